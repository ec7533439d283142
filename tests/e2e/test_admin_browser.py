"""The admin console in a real browser against a fresh demo: the admin lands on /admin,
creates a queue, an agent, its login, a canned reply for that queue, a value tier's routing
effect (seen in the new queue's waiting order) and an API token through the forms only;
the new agent logs in to its desktop and goes ready; a contact created in the new queue
(over the API with that token) is offered to it, and its desktop lists the new canned reply
for that contact (screenshots in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium
from desktop_helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def quiet_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """``kefu demo`` with almost no synthetic traffic and cheap password hashing."""
    require_chromium()
    monkeypatch.setenv("KEFU_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("KEFU_PASSWORD_MEMORY_KIB", "64")
    monkeypatch.setenv("KEFU_PASSWORD_PARALLELISM", "1")
    running = Demo(tmp_path / "admin.sqlite3", rate=0.01)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_given_a_fresh_demo_when_an_admin_configures_a_queue_and_an_agent_then_contacts_reach_it(
    quiet_demo: Demo,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    demo = quiet_demo
    admin = next(c for c in demo.credentials() if c.role == "admin")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = launch_chromium(playwright)
        context.set_default_timeout(15_000)
        desk_context = launch_chromium(playwright, locale="zh-CN")
        desk_context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto(f"{demo.base}/")
            page.fill("input[name=username]", admin.username)
            page.fill("input[name=password]", admin.password)
            with page.expect_navigation():
                page.locator("form [type=submit]").click()
            assert page.url.endswith("/admin"), page.url

            page.click("nav.menu >> text=Queues")
            page.fill("#f-queue_id", "loans-e2e")
            page.fill("#f-name", "贷款 Loans")
            page.select_option("#f-site_id", "demo")
            page.select_option("#f-channel", "chat")
            page.fill("#f-skills", "admin_e2e:3")
            page.fill("#f-wrapup_s", "0")
            page.click("#save")
            expect(page.locator("#notice")).to_be_visible()
            expect(page.locator("tr[data-queue='loans-e2e']")).to_contain_text("admin_e2e:3")
            page.screenshot(path=str(ARTIFACTS / "admin-queues.png"), full_page=True)

            page.click("nav.menu >> text=Agents")
            page.fill("#f-agent_id", "new-agent")
            page.fill("#f-name", "新座席")
            page.select_option("#f-site_id", "demo")
            page.fill("#f-skills", "admin_e2e:5")
            page.fill("#f-capacity_chat", "2")
            page.click("#save")
            expect(page.locator("tr[data-agent='new-agent']")).to_contain_text("admin_e2e:5")

            page.click("nav.menu >> text=Users")
            page.fill("#f-username", "new-agent")
            page.fill("#f-display_name", "新座席")
            page.fill("#f-password", PASSWORD)
            page.select_option("#f-role", "agent")
            page.select_option("#f-agent_id", "new-agent")
            page.click("#save")
            expect(page.locator("tr[data-user='new-agent']")).to_be_visible()

            page.goto(f"{demo.base}/admin/phrases/canned")
            page.fill("#f-code", "loan_hello")
            page.fill("#f-text_en", "Hello {customer}, about your loan:")
            page.fill("#f-text_zh", "{customer}您好，关于您的贷款：")
            page.select_option("#f-queues", ["loans-e2e"])
            page.click("#save")
            expect(page.locator("tr[data-code='loan_hello']")).to_contain_text("loans-e2e")

            # Value tier 1's routing effect: the standard class with priority +2 (by
            # default a tier is served before every lower tier); Enter submits the form.
            page.goto(f"{demo.base}/admin/phrases/tier")
            page.select_option("#f-tier", "1")
            page.select_option("#f-effect", "boost")
            page.fill("#f-boost", "2")
            page.press("#f-boost", "Enter")
            expect(page.locator("#notice")).to_be_visible()
            expect(page.locator("tr[data-code='1'] td.effect")).to_have_text("Priority +2")
            page.screenshot(path=str(ARTIFACTS / "admin-tiers.png"), full_page=True)

            # An integration's token, issued in the console and shown once.
            page.goto(f"{demo.base}/admin/users/{admin.username}")
            page.fill("#f-token_name", "e2e")
            page.check("#f-scopes input[value='contacts:write']")
            page.click("#issue")
            secret = page.locator("#token-secret").inner_text().strip()
            headers = {"Authorization": f"Bearer {secret}"}

            # Nobody serves the new queue yet: its waiting list shows the tier's effect.
            with httpx.Client(base_url=f"{demo.base}/api/v1", headers=headers) as api:
                waiting = []
                for tier, priority in ((0, 3), (1, 0), (0, 1)):
                    body = {"queue_id": "loans-e2e", "value_tier": tier, "priority": priority}
                    made = api.post("/contacts", json=body)
                    assert made.status_code == 201, made.text
                    waiting.append(made.json()["contact_id"])
                listed = page.request.get(f"{demo.base}/api/v1/queues/loans-e2e/waiting")
                assert listed.ok, listed.text()
                order = [c["contact_id"] for c in listed.json()["items"]]
                # Tier 1 (0 + 2) after priority 3, before priority 1; served first it
                # would lead.
                assert order == waiting, order
                for contact_id in waiting:
                    assert api.post(f"/contacts/{contact_id}/abandon").status_code == 200

            desk = desk_context.new_page()
            log_in(desk, demo, "new-agent", "/desktop")
            desk.select_option("#presence", "ready")
            desk.wait_for_selector("#presence-pill.ready")

            with httpx.Client(base_url=f"{demo.base}/api/v1", headers=headers) as api:
                body = {
                    "queue_id": "loans-e2e",
                    "attributes": {"customer": "王芳", "topic": "贷款"},
                }
                made = api.post("/contacts", json=body)
                assert made.status_code == 201, made.text
                contact_id = made.json()["contact_id"]
                offer = desk.locator(f".offer[data-contact='{contact_id}']")
                offer.wait_for()
                held = api.get("/agents/new-agent").json()
                assert contact_id in held["contacts"], held
            offer.locator(".accept").click()
            expect(desk.locator("#detail")).to_be_visible()
            # The reply box is a conversation's; the list is filled for the held contact.
            canned = desk.locator("#canned option[value='loan_hello']")
            expect(canned).to_have_text("{customer}您好，关于您的贷款：")
            desk.screenshot(path=str(ARTIFACTS / "admin-new-agent-desktop.png"), full_page=True)
        finally:
            desk_context.close()
            context.close()
