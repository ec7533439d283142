"""Customers in a real browser against the running demo: the desktop's suggested match is a
button that merges after a confirmation (on the Chinese page, errors in Chinese too), and a
supervisor searches a customer and opens its whole cross-channel history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_helpers import ARTIFACTS, Demo, NewContext
from desktop_helpers import add_agent, add_supervisor, admin_api, chat_in_widget, log_in
from test_desktop_browser import (  # the desktop browser test's fixtures and steps
    DESK,
    E2E_SKILLS,
    e2e_queue,
    go_ready,
    quiet_demo,  # noqa: F401
    watch,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def accept_offer(desk: Page, name: str) -> None:
    desk.locator(".offer", has_text=name).wait_for()
    desk.click(".offer .accept")


def test_given_a_suggested_match_when_the_agent_clicks_and_confirms_then_merged_and_found(
    quiet_demo: tuple[Demo, int],  # noqa: F811
    contexts: NewContext,
) -> None:
    demo, _ = quiet_demo
    with admin_api(demo) as api:
        e2e_queue(api, "e2e-chat", "chat", "宽带支持 Broadband")
        add_agent(api, "e2e.suggest", "周敏", skills=E2E_SKILLS, capacity=DESK)
        add_supervisor(api, "e2e.lead", "主管 陈", ["demo"])
    problems: list[str] = []
    desk = watch(contexts("desk").new_page(), problems)
    log_in(desk, demo, "e2e.suggest", "/desktop")
    desk.wait_for_selector("#link.online")
    go_ready(desk)
    profile = {"name": "周杰", "email": "zhou.jie@example.cn"}
    first = watch(contexts("laptop").new_page(), problems)
    chat_in_widget(first, demo, "e2e-chat", "第一次咨询宽带", **profile)
    accept_offer(desk, "周杰")
    # The same person from another browser (another chat cookie) types the same e-mail.
    second = watch(contexts("phone").new_page(), problems)
    chat_in_widget(second, demo, "e2e-chat", "换了个浏览器再问", **profile)
    accept_offer(desk, "周杰")
    desk.wait_for_selector("#contacts li:nth-child(2)")
    desk.click("#lang")  # the Chinese page, where the failure was reported
    suggestion = desk.locator("#customer button.suggestion")
    for row in (1, 2):  # the later chat is the one with the suggestion
        desk.click(f"#contacts li:nth-child({row})")
        if suggestion.count():
            break
    suggestion.wait_for()
    shown = desk.get_attribute("#customer", "data-customer")
    other = suggestion.get_attribute("data-suggest")
    assert other and shown and other != shown
    # The match is worded in the page's language, not as the API's "email: …".
    assert suggestion.inner_text() == f"邮箱: zhou.jie@example.cn → {other}"
    suggestion.click()
    desk.wait_for_selector("#merge-confirm:not(.hidden)")
    assert other in desk.inner_text("#merge-confirm-text")
    assert "合并" in desk.inner_text("#merge-confirm-text")
    assert "邮箱: zhou.jie@example.cn" in desk.inner_text("#merge-confirm-text")
    desk.screenshot(path=str(ARTIFACTS / "desktop-suggested-merge.png"))
    desk.click("#merge-confirm-yes")
    desk.wait_for_selector("#merge-done:not(.hidden), #merge-error:not(.hidden)")
    assert desk.inner_text("#merge-error") == ""
    assert "已合并" in desk.inner_text("#merge-text")
    desk.wait_for_selector("#merge-confirm.hidden", state="attached")
    # Merged: the panel shows one customer and no suggestion any more.
    desk.wait_for_selector("#customer button.suggestion", state="detached", timeout=5_000)
    # Two browsers' chat cookies: one line for the web visitor, not two identical ones.
    visitors = desk.locator("#customer .ids li[data-kind=chat_cookie]")
    assert visitors.all_inner_texts() == ["网页访客 ×2"]
    # An unknown customer is refused in the page's language.
    desk.fill("#merge-other", "13999990000")
    desk.fill("#merge-reason", "测试")
    desk.click("#merge button[type=submit]")
    desk.wait_for_selector("#merge-error:not(.hidden)")
    assert desk.inner_text("#merge-error").startswith("未知客户")
    refused = [p for p in problems if "/api/v1/customers/" in p and p.startswith("404 ")]
    assert len(refused) == 1
    assert [p for p in problems if p not in refused] == []

    lead = watch(contexts("lead").new_page(), problems)
    log_in(lead, demo, "e2e.lead", "/customers")
    lead.fill("#q", "zhou.jie@EXAMPLE.cn")
    with lead.expect_navigation():
        lead.click("#search button[type=submit]")
    lead.wait_for_selector("#results")
    with lead.expect_navigation():
        lead.click("#results a")
    lead.wait_for_selector("#timeline")
    history = lead.inner_text("#timeline")
    assert "第一次咨询宽带" in history and "换了个浏览器再问" in history
    assert "宽带支持 Broadband" in history
    lead.click("#lang")
    lead.wait_for_selector("h3 >> text=全渠道联系记录")
    assert lead.inner_text("#customer dd.tier") == "普通"  # the tier's label, not "0"
    identifiers = lead.inner_text("#identifiers")
    assert "邮箱: zhou.jie@example.cn" in identifiers and "chat_cookie" not in identifiers
    assert identifiers.count("网页访客") == 1 and "网页访客 ×2" in identifiers  # two browsers
    assert "周敏" in history  # the agent by name
    lead.screenshot(path=str(ARTIFACTS / "customer-history.png"))
    assert [p for p in problems if p not in refused] == []
