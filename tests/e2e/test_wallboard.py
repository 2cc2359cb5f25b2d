"""The supervisor wallboard in a real browser: its counters follow a call from the queue to an
agent and to the end, pushed over the websocket; today's figures follow when the call ends."""

from __future__ import annotations

import re

import pytest
from browsing import ApiAs, Browse
from e2e_support import HotlineSite
from playwright.sync_api import APIRequestContext, Locator, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def tile_figure(page: Page, queue: str, field: str) -> Locator:
    return page.locator(f'[data-queue="{queue}"] [data-field="{field}"]')


def agent_state(page: Page, agent_id: str) -> Locator:
    return page.locator(f'[data-agent="{agent_id}"] .state-badge')


def desk_call_id(li: APIRequestContext) -> str:
    call_id = li.get("/api/desk").json()["agent"]["call_id"]
    assert call_id, "li has no call"
    return str(call_id)


def test_given_a_supervisor_when_a_call_comes_and_goes_then_the_counters_move(
    browse: Browse, site: HotlineSite, api_as: ApiAs
) -> None:
    page = browse("boss", "/supervisor")
    expect(page.locator("#link-status")).to_have_attribute("data-status", "live")
    expect(page.locator("#agents tr")).to_have_count(3)
    expect(tile_figure(page, "sales", "waiting")).to_have_text("0")
    expect(tile_figure(page, "sales", "answered")).to_have_text("0")
    expect(agent_state(page, "li")).to_have_text("Logged out")

    site.call_in()  # nobody is logged in: the caller waits
    expect(tile_figure(page, "sales", "waiting")).to_have_text("1")
    expect(page.locator("#total-waiting")).to_have_text("1")
    expect(tile_figure(page, "sales", "longest")).to_have_text(re.compile(r"^0:(0[1-9]|[1-5]\d)$"))

    li = api_as("li")
    assert li.post("/api/desk/login").status == 202
    expect(agent_state(page, "li")).to_have_text("Ringing")
    expect(page.locator("#total-reserved")).to_have_text("1")
    expect(tile_figure(page, "sales", "waiting")).to_have_text("1")  # until answered

    call_id = desk_call_id(li)
    assert li.post("/api/desk/answer", data={"call_id": call_id}).status == 202
    expect(agent_state(page, "li")).to_have_text("On a call")
    expect(tile_figure(page, "sales", "waiting")).to_have_text("0")
    expect(tile_figure(page, "sales", "longest")).to_have_text("–")
    expect(page.locator("#total-on-call")).to_have_text("1")
    expect(page.locator('[data-agent="li"] [data-field="time"]')).to_have_text(
        re.compile(r"^0:\d\d$")
    )

    assert li.post("/api/desk/hangup", data={"call_id": call_id}).status == 202
    expect(agent_state(page, "li")).to_have_text("Wrap-up")
    expect(page.locator("#total-wrap-up")).to_have_text("1")
    chosen = {"call_id": call_id, "disposition": "sale"}
    assert li.post("/api/desk/disposition", data=chosen).status == 202
    assert li.post("/api/desk/ready").status == 202
    expect(agent_state(page, "li")).to_have_text("Ready")
    expect(page.locator("#total-available")).to_have_text("1")

    expect(tile_figure(page, "sales", "answered")).to_have_text("1")
    expect(page.locator("#total-answered")).to_have_text("1")
    expect(tile_figure(page, "sales", "sl")).to_have_text("100%")
    expect(page.locator('[data-queue="sales"]')).to_have_attribute("data-level", "good")

    # The chart of the last hours: this hour's bars show the call, the earlier ones are empty.
    chart = page.locator("#hours-chart")
    expect(
        chart.locator("g[data-hour]").last.locator('[data-series="answered"]')
    ).to_have_attribute("data-value", "1")
    expect(chart.locator('[data-series="offered"][data-value="1"]')).to_have_count(1)
    expect(chart.locator('[data-series="abandoned"][data-value="0"]')).to_have_count(
        chart.locator("g[data-hour]").count()
    )
    expect(page.locator("#hours-legend li")).to_have_count(3)


def test_given_an_agent_when_opening_the_wallboard_then_it_says_it_is_for_supervisors(
    browse: Browse,
) -> None:
    page = browse("li", "/supervisor")
    expect(page.locator("#notice")).to_have_text("This page is for supervisors and administrators.")
    expect(page.locator("#agents tr")).to_have_count(0)


def test_given_no_session_when_opening_the_wallboard_then_the_login_page_comes(
    browse: Browse,
) -> None:
    page = browse(None, "/supervisor")
    expect(page).to_have_url(re.compile(r"/\?next=/supervisor$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_given_a_supervisor_when_forcing_a_pause_and_a_logout_then_the_agent_follows(
    browse: Browse, api_as: ApiAs
) -> None:
    li = api_as("li")
    assert li.post("/api/desk/login").status == 202
    page = browse("boss", "/supervisor")
    expect(agent_state(page, "li")).to_have_text("Ready")
    row = page.locator('[data-agent="li"]')
    row.locator('[data-field="reason"]').select_option("lunch")
    row.locator('[data-action="pause"]').click()
    expect(agent_state(page, "li")).to_have_text(re.compile("Paused.*"))
    assert li.get("/api/desk").json()["agent"]["state"] == "paused"
    expect(page.locator("#notice")).to_contain_text("Li")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('[data-agent="li"] [data-action="logout"]').click()
    expect(agent_state(page, "li")).to_have_text("Logged out")
    expect(page.locator('[data-agent="li"] [data-action="logout"]')).to_have_count(0)
