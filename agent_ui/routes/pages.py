"""The pages: `/` (log in, today's figures, recent calls), `/agent` (the agent desktop) and
`/supervisor` (the wallboard). Their scripts and styles live under `/static`.

The desktop and the wallboard need a session: without one (or with an expired one) the browser
is sent to the login page, which comes back here once logged in. A user who must first change
their password goes to `/`, where that happens. What each role may see is enforced by the API
the pages call; a page itself holds nothing secret.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, RedirectResponse, Response

from agent_ui.deps import SESSION_COOKIE, ContextDep, user_of_session

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# The page loads only its own script and style, and calls only its own API.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
LOGIN_PAGE = "/"

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html", headers=PAGE_HEADERS)


@router.get("/")
def index() -> FileResponse:
    """The web page (log in, today's figures, recent calls)."""
    return _page("index.html")


def _session_page(request: Request, context: ContextDep, name: str) -> Response:
    try:
        user = user_of_session(context, request.cookies.get(SESSION_COOKIE))
    except HTTPException:
        next_page = quote(request.url.path, safe="/")
        return RedirectResponse(f"{LOGIN_PAGE}?next={next_page}", status.HTTP_303_SEE_OTHER)
    if user.must_change_password:
        return RedirectResponse(LOGIN_PAGE, status.HTTP_303_SEE_OTHER)
    return _page(name)


@router.get("/agent", response_model=None)
def agent_desktop(request: Request, context: ContextDep) -> Response:
    """The agent desktop (presence, ringing banner with screen-pop, call, wrap-up, search)."""
    return _session_page(request, context, "agent.html")


@router.get("/supervisor", response_model=None)
def wallboard(request: Request, context: ContextDep) -> Response:
    """The supervisor wallboard (queues, service level, agents)."""
    return _session_page(request, context, "supervisor.html")
