"""Cross-site request refusal and security headers, for every route.

Sessions are cookies, so a page on another site could make the browser send a state-changing
request with the user's cookie (CSRF). Browsers say where a request comes from: `Origin` on
every cross-origin and every POST request, and `Sec-Fetch-Site` on all of them. A request that
changes something (any method but GET, HEAD, OPTIONS) is refused with 403 when either header
says it comes from another site; requests without both headers (command-line clients, tests)
carry no ambient cookie from a browser and pass. The session cookie is also `SameSite=Lax`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import JSONResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE_REFUSED = "cross-site request refused"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=(self)",
}

Endpoint = Callable[[Request], Awaitable[Response]]


def is_cross_site(method: str, headers: Mapping[str, str], host: str) -> bool:
    """True when a state-changing request comes from another site's page (`headers` with
    lower-case names, or case-insensitive like Starlette's)."""
    if method.upper() in SAFE_METHODS:
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != host


async def guard(request: Request, call_next: Endpoint) -> Response:
    """Refuse cross-site writes; add the security headers to every answer."""
    host = request.headers.get("host", "")
    if is_cross_site(request.method, request.headers, host):
        response: Response = JSONResponse({"detail": CROSS_SITE_REFUSED}, status_code=403)
    else:
        response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
