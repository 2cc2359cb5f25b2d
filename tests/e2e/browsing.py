"""What the browser tests share besides fixtures: how Chromium is launched, the page console
watch, and the shapes of the `browse` and `api_as` fixtures (test modules import these names
from here, not from conftest, whose module name is not unique in the test tree)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from e2e_support import PASSWORD
from playwright.sync_api import APIRequestContext, BrowserContext, ConsoleMessage, Page, Response

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A shared 2-core machine can be slow; auto-waiting assertions only wait as long as needed.
WAIT_MS = 15_000
# Chromium logs every HTTP error answer too; those are judged by their status (see `answered`).
HTTP_ERROR_LOGGED = "Failed to load resource: the server responded with a status of"
# What a browser logs while the server is down: expected in the restart test, nowhere else.
NETWORK_NOISE = re.compile(r"WebSocket connection to .* failed|Failed to load resource|ERR_CONN")

Browse = Callable[..., Page]
"""`browse(username, path="/agent", locale="en-US")`: a page as that user (None: nobody)."""
ApiAs = Callable[[str], APIRequestContext]
"""`api_as(username)`: a REST client logged in as that user."""


@dataclass
class ConsoleWatch:
    """The errors the pages logged; `network_may_fail` tolerates a server that is down."""

    errors: list[str] = field(default_factory=list)
    network_may_fail: bool = False

    def record(self, message: ConsoleMessage) -> None:
        """A console message (JavaScript errors, CSP violations, missing translations)."""
        if message.type == "error" and not message.text.startswith(HTTP_ERROR_LOGGED):
            self.errors.append(message.text)

    def answered(self, response: Response) -> None:
        """An HTTP answer: 401/403/409/422 are answers the pages handle; a missing file or a
        server error is a bug."""
        missing = response.status == 404 and not response.url.endswith("/favicon.ico")
        if missing or response.status >= 500:
            self.errors.append(f"{response.status} for {response.url}")

    def unexpected(self) -> list[str]:
        """The errors that fail the test."""
        if not self.network_may_fail:
            return self.errors
        return [text for text in self.errors if not NETWORK_NOISE.search(text)]


def log_in(context: BrowserContext | APIRequestContext, username: str) -> None:
    """Open a session for `username` (a browser context's pages share its cookie)."""
    request = context.request if isinstance(context, BrowserContext) else context
    response = request.post("/api/auth/login", data={"username": username, "password": PASSWORD})
    assert response.ok, response.text()
