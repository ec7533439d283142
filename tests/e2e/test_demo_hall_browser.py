"""The demo's branch hall in a real browser, as a person meets it: the counter login the demo
prints, a ticket taken at the kiosk, the hall display (headless Debian chromium;
screenshots in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import ARTIFACTS, Demo, require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.e2e


@pytest.fixture
def quiet_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """``kefu demo`` with almost no synthetic traffic (so only the test's ticket waits)."""
    require_chromium()
    for name in ("KEFU_SMTP_PORT", "KEFU_RELAY_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KEFU_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("KEFU_PASSWORD_MEMORY_KIB", "64")
    monkeypatch.setenv("KEFU_PASSWORD_PARALLELISM", "1")
    running = Demo(tmp_path / "hall.sqlite3", rate=0.01)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "hall-demo-console.txt").write_text(running.output(), encoding="utf-8")


def test_given_the_demo_hall_when_a_person_takes_a_number_then_counter_3_calls_it_by_number(
    quiet_demo: Demo, browser: BrowserContext
) -> None:
    demo = quiet_demo
    clerk_login = next(c for c in demo.credentials() if c.username == "liu.fang")
    problems: list[str] = []
    clerk = browser.new_page()
    clerk.on("pageerror", lambda exc: problems.append(str(exc)))
    clerk.goto(f"{demo.base}/login?next=/branch/counter")
    clerk.fill("input[name=username]", clerk_login.username)
    clerk.fill("input[name=password]", clerk_login.password)
    with clerk.expect_navigation():
        clerk.locator("form [type=submit]").click()
    clerk.goto(f"{demo.base}/branch/counter?lang=zh")
    clerk.click("#next")  # on duty, but nobody waits: the page says so
    clerk.wait_for_selector("#counter-idle >> text=暂无客户等候您办理的业务。")
    assert clerk.inner_text("#counter-state").startswith("3号窗口")
    clerk.click("#lang")
    clerk.wait_for_selector("#counter-idle >> text=Nobody is waiting for your services.")
    assert clerk.inner_text("#logout") == "Sign out"
    clerk.screenshot(path=str(ARTIFACTS / "counter-idle-en.png"))

    kiosk = browser.new_page()
    kiosk.goto(f"{demo.base}/branch/kiosk?lang=zh")
    kiosk.click(".service[data-queue=hall-cash]")
    kiosk.wait_for_selector("#ticket-number >> text=B001")
    # The demo sends no SMS: the kiosk offers no SMS reminder.
    assert kiosk.locator("#sms-form").count() == 0
    assert kiosk.inner_text("label:has(#phone)") == "手机号（选填）"
    # The simulated clerks (counters 1 and 2) hand a person's ticket on: counter 3 calls it.
    clerk.wait_for_selector("#serving >> text=B001")
    assert clerk.inner_text("#counter-idle") == ""
    kiosk.wait_for_selector("#ticket-wait >> text=请到 3号窗口 办理")

    display = browser.new_page()
    display.goto(f"{demo.base}/branch/display?lang=zh")
    display.wait_for_selector("#latest-ticket >> text=B001")
    assert display.inner_text("#latest-counter") == "3号窗口"
    assert "刘芳" not in display.inner_text("body")  # the number, never the clerk's name
    display.screenshot(path=str(ARTIFACTS / "demo-hall-display.png"))
    with clerk.expect_navigation():
        clerk.click("#logout")  # the counter signs out like the other pages
    assert clerk.url.endswith("/login"), clerk.url
    assert problems == []


def test_given_a_ticket_with_a_phone_when_the_clerk_replies_then_the_refusal_is_in_chinese(
    quiet_demo: Demo, browser: BrowserContext
) -> None:
    """The demo sends no SMS: replying on a kiosk ticket's conversation is refused, and the
    desktop says so in the page's language (it showed the server's English text)."""
    demo = quiet_demo
    login = next(c for c in demo.credentials() if c.username == "liu.fang")
    desk = browser.new_page()
    desk.goto(f"{demo.base}/login?next=/desktop")
    desk.fill("input[name=username]", login.username)
    desk.fill("input[name=password]", login.password)
    with desk.expect_navigation():
        desk.locator("form [type=submit]").click()
    desk.goto(f"{demo.base}/desktop?lang=zh")
    desk.wait_for_selector("#link.online")
    desk.select_option("#presence", "ready")
    desk.wait_for_selector("#presence-pill.ready")

    kiosk = browser.new_page()
    kiosk.goto(f"{demo.base}/branch/kiosk?lang=zh")
    kiosk.fill("#phone", "13900002222")
    kiosk.click(".service[data-queue=hall-account]")
    kiosk.wait_for_selector("#ticket-number >> text=A001")
    desk.wait_for_selector("#messages li.inbound")
    desk.fill("#reply-text", "请到 3 号窗口办理。")
    desk.click("#reply button[type=submit]")
    desk.wait_for_selector("#error:not(.hidden)")
    assert desk.inner_text("#error") == "该渠道尚未配置回复通道"
    desk.screenshot(path=str(ARTIFACTS / "desktop-error-zh.png"))
