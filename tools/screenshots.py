"""Take the README's screenshots: the agent desktop with a ringing call and its screen-pop, and
the wallboard of a busy simulated center, in English (and, with --chinese, in Chinese too).

    python tools/screenshots.py [--out docs] [--busy-seconds 60] [--chinese]

Runs the same site as the browser tests (tests/e2e/e2e_support.py) in a temporary directory,
and Debian's Chromium (/usr/bin/chromium) through Playwright.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from browsing import CHROMIUM, CHROMIUM_ARGS, log_in  # noqa: E402 (on the path set above)
from e2e_support import CUSTOMER_ANI, HotlineSite, Load, site_center  # noqa: E402

from config.center import AgentDef, Center  # noqa: E402

VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
WAIT_MS = 30_000
SIMULATED = ("wang", "zhang", "zhao", "qian", "sun", "zhou", "wu")


def busy_center() -> Center:
    """The tests' center with five more agents and short wrap-ups, so that calls come and go
    within a minute and the wallboard has something to show."""
    center = site_center()
    queues = {
        name: queue.model_copy(update={"wrap_up_s": 10.0}) for name, queue in center.queues.items()
    }
    extra = {
        "zhao": AgentDef(name="Zhao Lei", extension="1004", skills={"sales": 2}),
        "qian": AgentDef(name="Qian Yu", extension="1005", skills={"sales": 4}),
        "sun": AgentDef(name="Sun Hao", extension="1006", skills={"support": 2}),
        "zhou": AgentDef(name="Zhou Ting", extension="1007", skills={"support": 4}),
        "wu": AgentDef(name="Wu Fang", extension="1008", skills={"sales": 3, "support": 3}),
    }
    return center.model_copy(update={"agents": {**center.agents, **extra}, "queues": queues})


def page_as(browser: Browser, site: HotlineSite, username: str, path: str, lang: str) -> Page:
    """A page as `username`, in `lang`."""
    context = browser.new_context(base_url=site.url, viewport=VIEWPORT, locale=lang)
    log_in(context, username)
    page = context.new_page()
    page.goto(f"{path}?lang={lang}")
    expect(page.locator("#link-status")).to_have_attribute("data-status", "live")
    return page


def shoot_desktop(browser: Browser, site: HotlineSite, out: Path, langs: list[str]) -> None:
    """The desktop of li, with the known customer's call ringing."""
    page = page_as(browser, site, "li", "/agent", langs[0])
    page.locator("#desk-login").click()
    expect(page.locator("#state-name")).to_have_attribute("data-state", "available")
    site.call_in(CUSTOMER_ANI)
    expect(page.locator("#ringing")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#card-name")).not_to_be_empty()
    page.wait_for_timeout(3_000)  # let the clocks on the banner show a few seconds
    for lang in langs:
        page.locator("#language").select_option(lang)
        page.screenshot(path=out / name("agent-desktop", lang))
    page.context.close()


def shoot_wallboard(browser: Browser, site: HotlineSite, out: Path, langs: list[str]) -> None:
    """The wallboard once the simulated center has been busy for a while."""
    pauses = {"li": "training", "wang": "lunch"}
    for username, reason in pauses.items():
        staff = page_as(browser, site, username, "/agent", "en")
        staff.request.post("/api/desk/login")
        staff.request.post("/api/desk/pause", data={"reason": reason})
        staff.context.close()
    page = page_as(browser, site, "boss", "/supervisor", langs[0])
    expect(page.locator('[data-queue="sales"] [data-field="answered"]')).not_to_have_text("0")
    page.wait_for_timeout(2_000)
    for lang in langs:
        page.locator("#language").select_option(lang)
        page.screenshot(path=out / name("wallboard", lang), full_page=True)
    page.context.close()


def name(base: str, lang: str) -> str:
    """`agent-desktop.png` in English, `agent-desktop-zh-CN.png` in Chinese."""
    return f"{base}.png" if lang == "en" else f"{base}-{lang}.png"


def main() -> None:
    """Take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--busy-seconds", type=float, default=60.0)
    parser.add_argument("--chinese", action="store_true", help="also the zh-CN screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    langs = ["en", "zh-CN"] if args.chinese else ["en"]
    with tempfile.TemporaryDirectory() as data, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        site = HotlineSite(Path(data), center=busy_center())
        try:
            site.start()
            shoot_desktop(browser, site, args.out, langs)
            site.load = Load(arrival_rate_per_s=0.15, agent_ids=SIMULATED[1:], handle_s=30.0)
            site.restart()
            time.sleep(args.busy_seconds)  # the simulated center at work, on the real clock
            shoot_wallboard(browser, site, args.out, langs)
        finally:
            site.close()
            browser.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
