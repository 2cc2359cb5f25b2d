"""The pages' websocket comes back by itself after the server restarts, and what they then show
is the server's state, not what was on screen before the link broke."""

from __future__ import annotations

import pytest
from browsing import Browse, ConsoleWatch
from e2e_support import HotlineSite
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_given_a_ready_agent_when_the_server_restarts_then_the_desktop_reconnects_to_its_state(
    browse: Browse, site: HotlineSite, console: ConsoleWatch
) -> None:
    console.network_may_fail = True
    page = browse("li")
    status = page.locator("#link-status")
    badge = page.locator("#state-name")
    page.get_by_role("button", name="Log in to queues").click()
    expect(badge).to_have_text("Ready")
    expect(status).to_have_attribute("data-status", "live")

    site.stop()
    expect(status).to_have_attribute("data-status", "reconnecting")
    expect(page.locator("body")).to_have_class("desk stale")
    expect(page.get_by_role("button", name="Log out of queues")).to_be_disabled()

    site.start()  # same port and database; a fresh center, where nobody is logged in yet
    expect(status).to_have_attribute("data-status", "live")
    expect(page.locator("#link-status-text")).to_have_text("Connected")
    expect(badge).to_have_text("Logged out")  # the server's word, not the stale "Ready"
    expect(page.locator("body")).to_have_class("desk")

    page.get_by_role("button", name="Log in to queues").click()  # news flows on the new link
    expect(badge).to_have_text("Ready")


def test_given_a_wallboard_when_the_server_restarts_then_it_reconnects_and_follows_again(
    browse: Browse, site: HotlineSite, console: ConsoleWatch
) -> None:
    console.network_may_fail = True
    page = browse("boss", "/supervisor")
    status = page.locator("#link-status")
    expect(status).to_have_attribute("data-status", "live")

    site.restart()
    expect(status).to_have_attribute("data-status", "live")
    site.call_in()
    expect(page.locator('[data-queue="sales"] [data-field="waiting"]')).to_have_text("1")
