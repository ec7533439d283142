"""The web chat widget in a real browser against the running demo: a reload or a dropped
connection shows the whole conversation so far, the agent's answers too, under the status
naming the agent (headless Debian chromium; screenshots in tests/artifacts/)."""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
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

    # A person answers with the agent login the demo printed.
    login = next(c for c in demo.credentials() if c.username == "wang.lei")
    desk = browser.new_page()
    desk.on("pageerror", lambda exc: problems.append(str(exc)))
    desk.goto(f"{demo.base}/login?next=/desktop")
    desk.fill("input[name=username]", login.username)
    desk.fill("input[name=password]", login.password)
    with desk.expect_navigation():
        desk.locator("form [type=submit]").click()
    desk.wait_for_selector("#link.online")
    desk.select_option("#presence", "ready")
    desk.locator(".offer", has_text="周杰").locator(".accept").click()
    desk.locator("#contacts li", has_text="周杰").click()
    desk.locator("#messages li.inbound", has_text="订单号 20261206").wait_for()
    desk.fill("#reply-text", "您好，我帮您查一下线路。")
    desk.click("#reply button[type=submit]")
    page.locator(".kefu-msg.agent:not(.pending)").first.wait_for()
    before = transcript(page)
    assert before == ["你好，我的宽带断了。", "订单号 20261206", "您好，我帮您查一下线路。"]

    page.reload()
    page.click(".kefu-chat-launcher")
    page.locator(".kefu-msg:not(.pending)").nth(2).wait_for()
    assert transcript(page) == before
    page.wait_for_function(
        "() => document.querySelector('.kefu-status').textContent.includes('王磊')"
    )  # the status names the agent, over the whole conversation
    page.screenshot(path=str(artifacts / "chat-after-reload.png"))

    # Carrying on after the reload: each message shows once, in order.
    page.fill(".kefu-composer textarea", "还在吗？")
    page.keyboard.press("Enter")
    page.locator(".kefu-msg.customer:not(.pending)").nth(2).wait_for()
    assert transcript(page) == [*before, "还在吗？"]
    desk.locator("#messages li.inbound", has_text="还在吗？").wait_for()

    # The same agent takes a person's e-mail too; going from it back to the chat, the
    # transfer list offers the chat's targets (it went blank: the e-mail queue was kept).
    printed = re.search(r"SMTP 127\.0\.0\.1:(\d+)", demo.output())
    assert printed is not None, demo.output()
    smtp_port = int(printed.group(1))
    mail = EmailMessage()
    mail["From"] = "刘洋 <liu.yang@example.cn>"
    mail["To"] = "support@kefu.example"
    mail["Subject"] = "退款 Refund"
    mail["Message-ID"] = "<chat-browser-1@example.cn>"
    mail.set_content("订单 20261120 还没有退款。")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(mail)
    desk.locator(".offer", has_text="刘洋").locator(".accept").click()
    desk.locator("#contacts li", has_text="刘洋").click()
    desk.locator("#messages li.inbound", has_text="20261120").wait_for()
    desk.select_option("#transfer-target", index=0)
    desk.locator("#contacts li", has_text="周杰").click()
    desk.locator("#messages li.inbound", has_text="还在吗？").wait_for()
    target = desk.input_value("#transfer-target")
    assert target.startswith(("queue:", "agent:")), target
    assert problems == []
