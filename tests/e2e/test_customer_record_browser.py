"""The customer record in a real browser against the running demo: an e-mail customer's
products, custom field, notes and consent, set over the API, show on the agent's customer
panel (the number masked); after a failed payment the customer's next e-mail pops up with
"likely about: a failed payment"; the supervisor's customer page shows the same record and
the likely reason, in English and in Chinese."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import TYPE_CHECKING

import httpx
import pytest
from browser_helpers import ARTIFACTS, Demo, NewContext
from desktop_helpers import add_agent, add_supervisor, admin_api, log_in
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
CARD = "6222 0212 3456 7890"


def _mail(port: int, subject: str, text: str, message_id: str) -> None:
    message = EmailMessage()
    message["From"] = "刘洋 <liu.yang@example.cn>"
    message["To"] = "support@kefu.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(text)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def _accept(desk: Page, subject: str) -> None:
    desk.locator(".offer", has_text="刘洋").wait_for()
    desk.click(".offer .accept")
    desk.wait_for_selector(f"#detail-title >> text={subject}")


def test_given_a_customer_record_then_the_desktop_and_the_customer_page_show_it(
    quiet_demo: tuple[Demo, int],  # noqa: F811
    contexts: NewContext,
) -> None:
    demo, smtp_port = quiet_demo
    problems: list[str] = []
    with admin_api(demo) as admin:
        e2e_queue(admin, "e2e-mail", "email", "邮件测试 E-mail")
        add_agent(admin, "e2e.record", "客户经理 王芳", skills=E2E_SKILLS, capacity=DESK)
        add_supervisor(admin, "e2e.lead", "主管 陈", ["demo"])
        field = {"label_en": "Monthly income", "label_zh": "月收入", "kind": "number"}
        assert admin.put("/customer-fields/income", json=field).status_code == 200
    # The supervisor's integration token (read and contacts:write) edits the record.
    token = demo.issue_token("e2e.lead", "read", "contacts:write")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{demo.base}/api/v1", headers=headers, timeout=15) as api:
        desk = watch(contexts("desk").new_page(), problems)
        log_in(desk, demo, "e2e.record", "/desktop")
        desk.wait_for_selector("#link.online")
        go_ready(desk)
        _mail(smtp_port, "信用卡账单", "请问我的信用卡账单什么时候出？", "<bill-1@example.cn>")
        _accept(desk, "信用卡账单")
        customer_id = desk.get_attribute("#customer", "data-customer")
        assert customer_id
        record = f"/customers/{customer_id}"
        edited = api.patch(record, json={"fields": {"income": "12000"}, "notes": "偏好邮件联系"})
        assert edited.status_code == 200, edited.text
        products = {"products": [{"number": CARD, "kind": "card", "opened": "2021-03-04"}]}
        assert api.post(f"{record}/products", json=products).status_code == 200
        refused = {"channel": "sms", "allowed": False, "reason": "客户要求"}
        assert api.put(f"{record}/consent", json=refused).status_code == 200
        # The periodic push refreshes the panel: the record shows, the number masked.
        desk.wait_for_selector("#customer .products >> text=•••• 7890", timeout=15_000)
        panel = desk.inner_text("#customer")
        assert "12000" in panel and "偏好邮件联系" in panel and "3456" not in panel
        desk.select_option("#disposition", "resolved")
        desk.keyboard.press("Alt+w")
        desk.wait_for_selector("#end-wrapup:not(.hidden), #no-contacts:not(.hidden)")
        failed = {"number": CARD, "kind": "payment_failed", "detail": "余额不足"}
        assert api.post(f"{record}/product-events", json=failed).status_code == 200
    if desk.is_visible("#end-wrapup:not(.hidden)"):
        desk.click("#end-wrapup")
    _mail(smtp_port, "扣款", "我的卡今天扣款没成功，怎么回事？", "<pay-1@example.cn>")
    _accept(desk, "扣款")
    desk.wait_for_selector("#likely")
    assert "a failed payment" in desk.inner_text("#likely")
    assert "•••• 7890" in desk.inner_text("#likely")
    desk.screenshot(path=str(ARTIFACTS / "desktop-customer-record.png"))

    lead = watch(contexts("lead").new_page(), problems)
    log_in(lead, demo, "e2e.lead", "/customers")
    lead.fill("#q", "7890")
    with lead.expect_navigation():
        lead.click("#search button[type=submit]")
    with lead.expect_navigation():
        lead.click(f"#results a >> text={customer_id}")
    lead.wait_for_selector("#products")
    assert "•••• 7890" in lead.inner_text("#products") and "3456" not in lead.content()
    assert "12000" in lead.inner_text("#profile")
    assert "refused" in lead.inner_text("#consent")
    assert "a failed payment" in lead.inner_text("#likely")
    lead.click("#lang")
    lead.wait_for_selector("#likely >> text=扣款失败")
    assert "产品 •••• 7890" in lead.inner_text("#likely")
    assert "月收入" in lead.inner_text("#profile") and "拒绝" in lead.inner_text("#consent")
    lead.screenshot(path=str(ARTIFACTS / "customer-record.png"))
    assert problems == []
