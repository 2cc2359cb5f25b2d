"""The agent desktop in a real browser: log in, go Ready, take a call with its screen-pop, end
it, pick a disposition and go Ready again; reject an unknown caller; search customers."""

from __future__ import annotations

import re

import pytest
from browsing import ApiAs, Browse
from e2e_support import (
    CUSTOMER_ANI,
    CUSTOMER_NAME,
    PASSWORD,
    UNKNOWN_ANI,
    HotlineSite,
)
from playwright.sync_api import Locator, Page, expect

from crm_core.users import Role

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def state_badge(page: Page) -> Locator:
    return page.locator("#state-name")


def test_given_no_session_when_opening_the_desktop_then_login_leads_back_to_it(
    browse: Browse,
) -> None:
    page = browse(None, "/agent")
    expect(page).to_have_url(re.compile(r"/\?next=/agent$"))
    page.get_by_label("Username").fill("li")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/agent$"))
    expect(page.locator("#link-status")).to_have_attribute("data-status", "live")
    expect(state_badge(page)).to_have_text("Logged out")
    expect(page.locator("#who-name")).to_have_text("Li Na")


def test_given_a_forged_session_when_opening_the_desktop_then_the_login_page_comes(
    browse: Browse, site: HotlineSite
) -> None:
    page = browse(None, "/")
    forged = {"name": "hotline_session", "value": "forged.token", "url": site.url}
    page.context.add_cookies([forged])
    page.goto("/agent")
    expect(page).to_have_url(re.compile(r"/\?next=/agent$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_given_a_password_to_change_when_opening_the_desktop_then_the_home_page_asks_for_it(
    browse: Browse, site: HotlineSite
) -> None:
    site.users.create("new", Role.AGENT, password=PASSWORD, must_change_password=True)
    page = browse("new", "/agent")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()


def test_given_an_agent_when_a_known_customer_calls_then_the_whole_call_loop_works(
    browse: Browse, site: HotlineSite
) -> None:
    page = browse("li")
    expect(page.locator("#link-status")).to_have_attribute("data-status", "live")
    page.get_by_role("button", name="Log in to queues").click()
    expect(state_badge(page)).to_have_attribute("data-state", "available")
    expect(state_badge(page)).to_have_text("Ready")
    expect(page.locator("#state-time")).to_have_text(re.compile(r"^0:\d\d$"))

    site.call_in(CUSTOMER_ANI)
    banner = page.locator("#ringing")
    expect(banner).to_be_visible()
    expect(page.locator("#ring-caller")).to_have_text(CUSTOMER_ANI)
    expect(page.locator("#ring-queue")).to_have_text("sales")
    card = page.locator("#card")
    expect(card.locator("#card-name")).to_have_text(CUSTOMER_NAME)
    expect(card.locator("#card-vip")).to_have_text("VIP 3")
    expect(card.locator("#card-owner")).to_have_text("Li Na")
    expect(card.locator("#card-interactions")).to_contain_text("Prefers calls after 2 pm")
    expect(card.locator("#card-interactions")).to_contain_text("Asked for the spring price list")
    expect(card.locator("#card-unknown")).to_be_hidden()

    page.get_by_role("button", name="Accept").click()
    expect(state_badge(page)).to_have_text("On a call")
    expect(banner).to_be_hidden()
    expect(page.locator("#call-caller")).to_have_text(CUSTOMER_ANI)
    expect(card.locator("#card-name")).to_have_text(CUSTOMER_NAME)

    page.get_by_role("button", name="Hang up").click()
    expect(state_badge(page)).to_have_text("Wrap-up")
    expect(page.locator("#wrap-countdown")).to_have_text(re.compile(r"^(1:00|0:[0-5]\d)$"))
    choices = page.locator("#dispositions button")
    expect(choices).to_have_text(["sale", "no sale", "call back"])
    choices.filter(has_text=re.compile("^sale$")).click()
    expect(page.locator("#wrap-chosen")).to_have_text("Saved: sale")

    page.locator("#wrap").get_by_role("button", name="Ready").click()
    expect(state_badge(page)).to_have_text("Ready")
    for panel in ("#ringing", "#call", "#wrap", "#card"):
        expect(page.locator(panel)).to_be_hidden()


def test_given_an_unknown_caller_when_the_agent_rejects_then_the_call_goes_to_a_colleague(
    browse: Browse, site: HotlineSite, api_as: ApiAs
) -> None:
    page = browse("li")
    page.get_by_role("button", name="Log in to queues").click()
    expect(state_badge(page)).to_have_text("Ready")
    wang = api_as("wang")  # idle for less long than li: li is offered the call first
    assert wang.post("/api/desk/login").status == 202

    site.call_in(UNKNOWN_ANI)
    expect(page.locator("#ring-caller")).to_have_text(UNKNOWN_ANI)
    expect(page.locator("#card-unknown")).to_have_text("Unknown caller")
    expect(page.locator("#card-body")).to_be_hidden()
    page.get_by_role("button", name="Reject").click()

    expect(page.locator("#ringing")).to_be_hidden()
    expect(state_badge(page)).to_have_text("Ready")
    expect(page.locator("#card")).to_be_hidden()
    desk = wang.get("/api/desk").json()
    assert desk["agent"]["state"] == "reserved"
    assert desk["call"]["ani"] == UNKNOWN_ANI


def test_given_a_customer_the_agent_may_not_see_then_the_card_is_restricted(
    browse: Browse, site: HotlineSite
) -> None:
    page = browse("wang")  # the customer is li's, and not shared
    page.get_by_role("button", name="Log in to queues").click()
    expect(state_badge(page)).to_have_text("Ready")
    site.call_in(CUSTOMER_ANI)
    expect(page.locator("#card-name")).to_have_text(CUSTOMER_NAME)
    expect(page.locator("#card-restricted")).to_have_text(
        "Limited view: Li Na looks after this customer."
    )
    expect(page.locator("#card-history")).to_be_hidden()


def test_given_an_agent_then_pause_with_a_reason_and_ready_again(browse: Browse) -> None:
    page = browse("li")
    page.get_by_role("button", name="Log in to queues").click()
    expect(state_badge(page)).to_have_text("Ready")
    page.get_by_label("Reason").select_option("lunch")
    page.get_by_role("button", name="Pause").click()
    expect(state_badge(page)).to_have_text("Paused: Lunch")
    page.locator("#state-panel").get_by_role("button", name="Ready").click()
    expect(state_badge(page)).to_have_text("Ready")
    page.get_by_role("button", name="Log out of queues").click()
    expect(state_badge(page)).to_have_text("Logged out")


def test_given_a_name_when_searching_customers_then_the_matches_are_listed(
    browse: Browse,
) -> None:
    page = browse("li")
    page.get_by_role("searchbox").fill("Hangzhou")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-results li")).to_have_count(1)
    expect(page.locator("#search-results")).to_contain_text(CUSTOMER_NAME)
    expect(page.locator("#search-count")).to_have_text("1 found")
    page.get_by_role("searchbox").fill("nobody-like-this")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-count")).to_have_text("No customers found.")
    expect(page.locator("#search-results li")).to_have_count(0)


def test_given_a_call_when_the_page_is_reloaded_then_call_and_customer_come_back(
    browse: Browse, site: HotlineSite
) -> None:
    page = browse("li")
    page.get_by_role("button", name="Log in to queues").click()
    expect(state_badge(page)).to_have_text("Ready")
    site.call_in(CUSTOMER_ANI)
    page.get_by_role("button", name="Accept").click()
    expect(state_badge(page)).to_have_text("On a call")

    page.reload()  # what a reconnect does, from nothing: snapshot, then the card by number
    expect(state_badge(page)).to_have_text("On a call")
    expect(page.locator("#call-caller")).to_have_text(CUSTOMER_ANI)
    expect(page.locator("#card-name")).to_have_text(CUSTOMER_NAME)
    expect(page.locator("#call-talk")).to_have_text(re.compile(r"^0:\d\d$"))
    page.get_by_role("button", name="Hang up").click()
    expect(state_badge(page)).to_have_text("Wrap-up")


@pytest.mark.parametrize("path", ["/agent", "/supervisor"])
def test_given_a_page_then_it_has_the_strict_policy_and_no_inline_code(
    browse: Browse, path: str
) -> None:
    page = browse("boss", "/")
    response = page.request.get(path)
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), "inline style or handler"
