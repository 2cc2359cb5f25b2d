"""Browser-test fixtures: Debian's Chromium driven by Playwright, and a Hotline site per test.

Chromium comes from the system (`apt-get install chromium`); Playwright cannot download its
own browser here. Each test gets a fresh site (database, users, simulated center) on a port of
its own, and opens pages as users with `browse(username)`. Every page's console is watched: a
JavaScript error, a missing translation or a Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, ApiAs, Browse, ConsoleWatch, log_in
from e2e_support import HotlineSite
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

expect.set_options(timeout=WAIT_MS)


# Module scope, not session: the sync driver keeps an event loop running in the main thread,
# which would break every asyncio test collected after the browser tests.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for one test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium, for one test module (each test has its own contexts)."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[HotlineSite]:
    """A running Hotline site with a fresh database."""
    hotline = HotlineSite(tmp_path)
    hotline.start()
    yield hotline
    hotline.close()


@pytest.fixture
def console() -> ConsoleWatch:
    """What the pages logged as errors; checked after the test."""
    return ConsoleWatch()


@pytest.fixture
def browse(browser: Browser, site: HotlineSite, console: ConsoleWatch) -> Iterator[Browse]:
    """`browse(username, path="/agent", locale="en-US")`: a page as that user (None: nobody)."""
    contexts: list[BrowserContext] = []

    def open_page(username: str | None, path: str = "/agent", locale: str = "en-US") -> Page:
        context = browser.new_context(
            base_url=site.url, locale=locale, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        if username is not None:
            log_in(context, username)
        page = context.new_page()
        page.on("console", console.record)
        page.on("response", console.answered)
        page.on("pageerror", lambda error: console.errors.append(f"page error: {error}"))
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not console.unexpected(), f"the pages logged errors: {console.unexpected()}"


@pytest.fixture
def api_as(playwright: Playwright, site: HotlineSite) -> Iterator[ApiAs]:
    """`api_as(username)`: a REST client logged in as that user (another person's actions)."""
    clients: list[APIRequestContext] = []

    def client(username: str) -> APIRequestContext:
        request = playwright.request.new_context(base_url=site.url)
        clients.append(request)
        log_in(request, username)
        return request

    yield client
    for request in clients:
        request.dispose()
