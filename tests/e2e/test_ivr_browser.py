"""The IVR in a real browser against the running demo: a customer opens the chat widget,
whose default topic is the bank flow; answers with buttons (language, service), types the
card number and the PIN (hidden), checks the balance, asks for an agent. The agent's desktop
shows "verified by IVR" with the path and the self-service outcome above the conversation,
and offers no verification question (screenshots in tests/artifacts/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_helpers import ARTIFACTS, CHEAP_HASHING, Demo, launch_chromium, require_chromium
from desktop_helpers import add_agent, admin_api, log_in

from kefu.adapters.ivr.bank_actions import FakeBank

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ivr_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``kefu demo`` (the bank flow greets chats) with almost no synthetic traffic, shared
    by the tests of this module (its start is most of their time)."""
    require_chromium()
    with pytest.MonkeyPatch.context() as env:
        for name, value in CHEAP_HASHING.items():
            env.setenv(name, value)
        running = Demo(tmp_path_factory.mktemp("ivr") / "ivr.sqlite3", rate=0.01)
        running.start()
    try:
        yield running
    finally:
        running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "ivr-demo-console.txt").write_text(running.output(), encoding="utf-8")


def press(page: Page, label: str) -> None:
    """Click the flow's button ``label`` once it shows."""
    page.locator(".kefu-choice", has_text=label).first.click()


def answer(page: Page, text: str) -> None:
    page.fill(".kefu-composer textarea", text)
    page.keyboard.press("Enter")


def test_given_the_bank_flow_in_the_widget_when_the_customer_verifies_and_asks_an_agent_then_the_agent_never_asks_again(  # noqa: E501
    ivr_demo: Demo,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    demo = ivr_demo
    acct = next(iter(FakeBank().accounts.values()))
    with admin_api(demo) as api:
        add_agent(api, "e2e.ivr", "林晓", skills={"support": 5}, capacity={"chat": 2})
    problems: list[str] = []
    with sync_playwright() as playwright:
        agent_ctx = launch_chromium(playwright)
        customer_ctx = launch_chromium(playwright)
        for context in (agent_ctx, customer_ctx):
            context.set_default_timeout(20_000)
        try:
            agent = agent_ctx.new_page()
            agent.on("pageerror", lambda exc: problems.append(f"desk: {exc}"))
            log_in(agent, demo, "e2e.ivr", "/desktop")
            agent.wait_for_selector("#link.online")
            agent.select_option("#presence", "ready")
            agent.wait_for_selector("#presence-pill.ready")

            page = customer_ctx.new_page()
            page.on("pageerror", lambda exc: problems.append(f"widget: {exc}"))
            page.goto(f"{demo.base}/chat/demo")
            page.click(".kefu-chat-launcher")
            expect(page.locator(".kefu-prechat select[name=topic]")).to_have_value("flow:bank")
            page.fill(".kefu-prechat input[name=name]", "王芳")
            page.click(".kefu-start")  # no words needed: the flow asks
            press(page, "English")
            expect(page.locator(".kefu-msg.agent p").last).to_have_text(
                "Please enter your 16-digit card number."
            )
            answer(page, acct.card)
            expect(page.locator(".kefu-composer textarea.kefu-secret")).to_be_visible()
            answer(page, acct.pin)
            press(page, "Account balance")
            expect(
                page.locator(".kefu-msg.agent p", has_text="Your available balance is CNY")
            ).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "ivr-widget.png"))
            transcript = page.locator(".kefu-msg p").all_inner_texts()
            assert acct.pin not in transcript and "•" * len(acct.pin) in transcript
            press(page, "Talk to an agent")

            offer = agent.locator(".offer", has_text="王芳")
            expect(offer.locator(".offer-ivr")).to_contain_text("Verified by IVR (account + PIN)")
            offer.locator(".accept").click()
            panel = agent.locator("#ivr")
            expect(panel).to_contain_text("Verified by IVR")
            expect(panel).to_contain_text("English > Account balance > Talk to an agent")
            expect(panel).to_contain_text("balance: done")
            expect(panel).to_contain_text("•••• " + acct.card[-4:])
            expect(agent.locator("#ivr .ivr-verified")).to_have_text(
                re.compile(r"^Verified by IVR \(account \+ PIN\) at \d\d:\d\d:\d\d$")
            )
            # Never asked again: no verification question among the canned replies.
            expect(agent.locator("#canned option[value=greeting]")).to_have_count(1)
            expect(agent.locator("#canned option[value=verify]")).to_have_count(0)
            desk_texts = agent.locator("#messages p").all_inner_texts()
            assert acct.pin not in desk_texts
            agent.screenshot(path=str(ARTIFACTS / "ivr-desktop.png"))
        finally:
            agent_ctx.close()
            customer_ctx.close()
    assert problems == []


def test_given_the_visual_ivr_page_when_the_customer_verifies_and_taps_services_then_answers_show_and_chat_takes_over(  # noqa: E501
    ivr_demo: Demo,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    demo = ivr_demo
    acct = next(iter(FakeBank().accounts.values()))
    problems: list[str] = []
    with sync_playwright() as playwright:
        context = launch_chromium(playwright)
        context.set_default_timeout(20_000)
        try:
            page = context.new_page()
            page.set_viewport_size({"width": 390, "height": 844})  # a phone
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(f"{demo.base}/ivr/bank")
            # An English browser: the page, and so the flow's language answer, in English.
            expect(page.locator("#lang")).to_have_text("中文")
            # The whole menu at once, the lost-card confirmation inside its option.
            expect(page.locator(".option")).to_have_count(9)
            expect(page.locator(".option", has_text="Block the card")).to_be_visible()
            page.locator(".option", has_text="Recent transactions").click()
            expect(page.locator("#status")).to_have_text("Please verify your identity first.")
            page.fill("#card", acct.card)
            page.fill("#pin", acct.pin)
            page.click("#identity-form button[type=submit]")
            expect(page.locator("#verified")).to_be_visible()
            # The transactions asked before verifying come once verified.
            expect(page.locator("#answers li").first).to_contain_text("transactions")
            page.locator(".option", has_text="Account balance").click()
            expect(page.locator("#answers li").first).to_contain_text(
                "Your available balance is CNY"
            )
            page.screenshot(path=str(ARTIFACTS / "ivr-visual.png"), full_page=True)
            page.click("#agent")
            expect(page.locator(".kefu-chat-panel:not(.kefu-hidden)")).to_be_visible()
            expect(
                page.locator(".kefu-msg.agent p", has_text="Connecting you to an agent")
            ).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "ivr-visual-handoff.png"))
        finally:
            context.close()
    assert problems == []


def test_given_the_hall_flow_at_the_kiosk_when_a_sub_menu_option_is_tapped_then_its_service_ticket(
    ivr_demo: Demo,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        context = launch_chromium(playwright)
        context.set_default_timeout(20_000)
        try:
            kiosk = context.new_page()
            kiosk.on("pageerror", lambda exc: problems.append(str(exc)))
            kiosk.goto(f"{ivr_demo.base}/branch/kiosk?lang=en")
            group = kiosk.locator(".service-group", has_text="Accounts")
            expect(group.locator(".service")).to_have_count(2)  # the sub-menu, shown at once
            kiosk.screenshot(path=str(ARTIFACTS / "ivr-kiosk.png"))
            group.locator(".service", has_text="Lost card").click()
            expect(kiosk.locator("#ticket-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
            expect(kiosk.locator("#ticket-service")).to_have_text("开户挂失 Accounts")
        finally:
            context.close()
    assert problems == []
