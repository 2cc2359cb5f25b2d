"""Both pages in English and Simplified Chinese, chosen per user: the user's setting (which the
header's switch changes), or `?lang=` for one page view; both dictionaries have every key."""

from __future__ import annotations

import pytest
from browsing import Browse
from e2e_support import HotlineSite
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def speaks_chinese(site: HotlineSite, username: str) -> None:
    user = site.users.by_username(username)
    assert user is not None
    site.users.set_language(user.id, "zh-CN")


def test_given_a_chinese_speaking_user_then_the_desktop_is_in_chinese(
    browse: Browse, site: HotlineSite
) -> None:
    speaks_chinese(site, "li")
    page = browse("li", "/agent", locale="en-US")  # the user's setting, not the browser's
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#link-status-text")).to_have_text("已连接")
    expect(page.locator("#state-name")).to_have_text("未签入")
    expect(page.get_by_role("heading", name="坐席工作台")).to_be_visible()
    page.get_by_role("button", name="签入队列").click()
    expect(page.locator("#state-name")).to_have_text("就绪")
    expect(page.get_by_label("原因")).to_contain_text("午餐")
    expect(page.get_by_role("searchbox")).to_have_attribute("placeholder", "姓名、电话或邮箱")


def test_given_a_chinese_speaking_supervisor_then_the_wallboard_is_in_chinese(
    browse: Browse, site: HotlineSite
) -> None:
    speaks_chinese(site, "boss")
    page = browse("boss", "/supervisor")
    expect(page.locator("#link-status-text")).to_have_text("已连接")
    expect(page.locator('[data-queue="sales"] dt').first).to_have_text("排队中")
    expect(page.locator('[data-agent="li"] .state-badge')).to_have_text("未签入")
    expect(page.get_by_role("columnheader", name="本状态时长")).to_be_visible()


def test_given_an_english_speaking_user_on_a_chinese_browser_then_english(
    browse: Browse,
) -> None:
    page = browse("li", "/agent", locale="zh-CN")
    expect(page.locator("#link-status")).to_have_attribute("data-status", "live")
    expect(page.locator("#state-name")).to_have_text("Logged out")


def test_given_the_switch_then_the_choice_becomes_the_users_and_lang_in_the_address_wins(
    browse: Browse, site: HotlineSite
) -> None:
    page = browse("li", "/agent")
    expect(page.locator("#state-name")).to_have_text("Logged out")
    with page.expect_response("**/api/me/language") as saved:
        page.locator("#language").select_option("zh-CN")
    assert saved.value.ok
    expect(page.locator("#state-name")).to_have_text("未签入")
    expect(page.get_by_role("button", name="签入队列")).to_be_visible()
    expect(page.locator("#nav")).to_contain_text("通话记录")
    page.reload()
    expect(page.locator("#state-name")).to_have_text("未签入")
    user = site.users.by_username("li")
    assert user is not None
    assert user.language == "zh-CN"
    page.goto("/agent?lang=en")
    expect(page.locator("#state-name")).to_have_text("Logged out")
    expect(page.locator("#language")).to_have_value("en")


def test_both_dictionaries_have_the_same_keys_and_the_pages_use_only_known_ones(
    browse: Browse,
) -> None:
    page = browse("li", "/agent")
    expect(page.locator("#link-status")).to_have_attribute("data-status", "live")
    keys = page.evaluate(
        """async () => {
            const { MESSAGES } = await import("/static/i18n.js");
            return { en: Object.keys(MESSAGES.en), zh: Object.keys(MESSAGES["zh-CN"]) };
        }"""
    )
    assert sorted(keys["en"]) == sorted(keys["zh"])
    for path in ("/agent", "/supervisor"):
        page.goto(path)
        used = page.eval_on_selector_all(
            "[data-i18n], [data-i18n-placeholder], [data-i18n-label]",
            """elements => elements.map(e =>
                e.dataset.i18n ?? e.dataset.i18nPlaceholder ?? e.dataset.i18nLabel)""",
        )
        assert set(used) <= set(keys["en"]), set(used) - set(keys["en"])
