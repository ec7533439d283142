"""The customer's whole story in real browsers against the running demo (issue 15's
Playwright test): a customer complains in the web chat; the front agent takes the chat and
opens a complaint case from it; a task of the case is pushed to a back-office agent (another
login, another skill) as a work item, who resolves the case with its root cause; the
customer's chat end screen offers the follow-up survey (an NPS survey for complaints here),
the customer answers it on the public survey page, and the score shows in the customer's
timeline on the front agent's desktop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium
from desktop_helpers import PASSWORD, add_agent, admin_api

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e


@pytest.fixture
def story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    require_chromium()
    for name in ("TIME_COST", "MEMORY_KIB", "PARALLELISM"):
        monkeypatch.setenv(f"KEFU_PASSWORD_{name}", {"MEMORY_KIB": "64"}.get(name, "1"))
    monkeypatch.setenv("KEFU_SURVEY_NPS_CASE_TYPES", "complaint")
    running = Demo(tmp_path / "story.sqlite3", rate=0.01)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "story-demo-console.txt").write_text(running.output(), encoding="utf-8")


def _watch(page: Page, problems: list[str]) -> Page:
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return page


def _login(page: Page, demo: Demo, username: str) -> None:
    page.goto(f"{demo.base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form [type=submit]").click()
    page.wait_for_selector("#link.online")
    page.select_option("#presence", "ready")
    page.wait_for_selector("#presence-pill.ready")


def test_given_a_complaint_in_chat_when_the_back_office_resolves_it_then_the_survey_score_shows(
    story: Demo,
) -> None:
    from playwright.sync_api import sync_playwright

    demo = story
    with admin_api(demo) as api:
        front = {"queue_id": "story-chat", "site_id": "demo", "channel": "chat",
                 "skills": {"story": 1}, "aht_s": 120, "name": "投诉 Complaints"}  # fmt: skip
        back = {"queue_id": "story-back", "site_id": "demo", "channel": "workitem",
                "skills": {"backoffice": 1}, "aht_s": 600, "name": "后台 Back office"}  # fmt: skip
        for queue in (front, back):
            assert api.post("/queues", json=queue).status_code == 201
        add_agent(api, "story.front", "周芷若", skills={"story": 5}, capacity={"chat": 2})
        add_agent(api, "story.back", "张无忌", skills={"backoffice": 5}, capacity={"workitem": 1})
    problems: list[str] = []
    with sync_playwright() as playwright:
        contexts: list[BrowserContext] = []
        try:
            for _ in ("front", "back", "customer"):
                contexts.append(launch_chromium(playwright))
                contexts[-1].set_default_timeout(15_000)
            desk = _watch(contexts[0].new_page(), problems)
            office = _watch(contexts[1].new_page(), problems)
            _login(desk, demo, "story.front")
            _login(office, demo, "story.back")
            # The customer complains in the chat; the front agent takes it.
            chat = _watch(contexts[2].new_page(), problems)
            chat.goto(f"{demo.base}/chat/demo")
            chat.click(".kefu-chat-launcher")
            chat.fill(".kefu-prechat input[name=name]", "殷素素")
            chat.fill(".kefu-prechat input[name=phone]", "13600005678")
            chat.select_option(".kefu-prechat select[name=topic]", "story-chat")
            chat.fill(".kefu-prechat textarea[name=text]", "房贷申请三周没有消息，我要投诉")
            chat.click(".kefu-start")
            chat.wait_for_selector(".kefu-msg.customer:not(.pending)")
            desk.locator(".offer", has_text="殷素素").wait_for()
            desk.click(".offer .accept")
            # The front agent opens a complaint from the chat.
            desk.wait_for_selector("#case-none:not(.hidden)")
            desk.select_option("#case-type", "complaint")
            desk.fill("#case-title", "房贷申请无进展")
            desk.click("#case-open button[type=submit]")
            desk.wait_for_selector("#case-view:not(.hidden)")
            case_id = desk.inner_text("#case-head").split(" ")[0].lstrip("#")
            # A task of the case goes to the back office: pushed to its agent, not pulled.
            token = demo.issue_token("admin", "read", "contacts:write")
            routed = httpx.post(
                f"{demo.base}/api/v1/cases/{case_id}/tasks",
                json={"queue_id": "story-back", "task": "核实房贷审批进度"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=15,
            )
            assert routed.status_code == 201, routed.text
            assert desk.locator(".offer").count() == 0  # the front agent has no such skill
            office.locator(".offer").wait_for()
            office.click(".offer .accept")
            office.click("#contacts li:has-text('Back office')")
            office.wait_for_selector(f"#case-head:has-text('#{case_id}')")
            office.fill("#case-root", "审批积压")
            office.fill("#case-resolution", "已加急审批并致电客户")
            office.click("#case-close button[type=submit]")
            office.wait_for_selector("#case-head[data-state=closed]")
            # The chat's end screen offers the survey; the customer answers on its page.
            offer = chat.locator(".kefu-msg .kefu-survey")
            offer.wait_for()
            with contexts[2].expect_page() as opened:
                offer.click()
            survey = _watch(opened.value, problems)
            survey.wait_for_load_state()
            assert "/survey/" in survey.url
            assert survey.locator("input[name=score]").count() == 11  # NPS: 0-10
            survey.click("label.score:has-text('9')")
            survey.fill("textarea[name=comment]", "处理及时")
            survey.screenshot(path=str(ARTIFACTS / "survey-page.png"))
            with survey.expect_navigation():
                survey.click("#send")
            survey.wait_for_selector("#thanks")
            # The score is in the customer's timeline on the front agent's desktop.
            desk.click(f"#case-list li[data-case_id='{case_id}'] button")
            desk.locator("#case-timeline li.tl-survey", has_text="9/10").wait_for()
            desk.screenshot(path=str(ARTIFACTS / "story-timeline.png"))
        finally:
            for context in contexts:
                context.close()
    assert problems == []
