"""The web chat widget in a real browser against the running demo: a reload or a dropped
connection shows the whole conversation so far (headless Debian chromium; screenshots in
tests/artifacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import Demo

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e


def transcript(page: Page) -> list[str]:
    return [
        text.strip()
        for text in page.locator(".kefu-msg:not(.pending) p").all_inner_texts()
        if text.strip()
    ]


def test_given_a_chat_with_messages_when_the_page_reloads_then_the_whole_transcript_shows(
    demo: Demo, browser: BrowserContext, artifacts: Path
) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{demo.base}/chat/demo")
    page.click(".kefu-chat-launcher")
    page.fill(".kefu-prechat input[name=name]", "周杰")
    page.select_option(".kefu-prechat select[name=topic]", "chat")  # a queue, not the flow
    page.fill(".kefu-prechat textarea[name=text]", "你好，我的宽带断了。")
    page.click(".kefu-start")
    page.wait_for_selector(".kefu-msg.customer:not(.pending)")
    page.fill(".kefu-composer textarea", "订单号 20261206")
    page.keyboard.press("Enter")
    page.locator(".kefu-msg.customer:not(.pending)").nth(1).wait_for()
    before = transcript(page)
    assert before == ["你好，我的宽带断了。", "订单号 20261206"]

    page.reload()
    page.click(".kefu-chat-launcher")
    page.locator(".kefu-msg:not(.pending)").nth(1).wait_for()
    assert transcript(page) == before
    page.screenshot(path=str(artifacts / "chat-after-reload.png"))

    # Carrying on after the reload: each message shows once, in order.
    page.fill(".kefu-composer textarea", "还在吗？")
    page.keyboard.press("Enter")
    page.locator(".kefu-msg.customer:not(.pending)").nth(2).wait_for()
    assert transcript(page) == [*before, "还在吗？"]
    assert problems == []
