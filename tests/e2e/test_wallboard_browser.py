"""A supervisor watches the live wallboard of a running demo in a real browser.

Headless Debian chromium opens the demo's front page (the login page), logs in as the
supervisor the demo printed, sees the wallboard's figures move while contacts
are created over the API, switches to Chinese, and leaves screenshots in tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from browser_helpers import Demo, open_wallboard

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e

NEW_CONTACTS = 6
CUSTOMERS = ["王芳", "李娜", "Alice Smith", "张伟", "陈静", "David Lee"]


def offered(page: Page) -> int:
    return int(page.inner_text("#t-offered"))


def create_contacts(demo: Demo, token: str, count: int) -> list[str]:
    """Contacts created over the REST API with an integration's token, in the voice billing
    queue; their ids."""
    made = []
    with httpx.Client(base_url=demo.base, headers={"Authorization": f"Bearer {token}"}) as api:
        for i in range(count):
            body = {
                "queue_id": "billing",
                "customer_id": f"e2e-{i}",
                "attributes": {"customer": CUSTOMERS[i % len(CUSTOMERS)], "topic": "浏览器测试"},
            }
            response = api.post("/api/v1/contacts", json=body, timeout=10)
            assert response.status_code == 201, response.text
            made.append(response.json()["contact_id"])
    return made


def test_given_the_demo_when_a_supervisor_watches_then_figures_move_and_chinese_shows(
    demo: Demo, browser: BrowserContext, artifacts: Path
) -> None:
    page = browser.new_page()
    problems: list[str] = []  # script errors and failed requests once logged in
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )

    # Without a login neither the wallboard nor the API gives anything away.
    page.goto(f"{demo.base}/wallboard")
    assert "/login" in page.url
    anonymous = httpx.post(f"{demo.base}/api/v1/contacts", json={"queue_id": "billing"})
    assert anonymous.status_code == 401

    open_wallboard(page, demo)
    page.wait_for_selector("#status.online")
    page.wait_for_selector("#queues tbody tr >> nth=5")  # four queues and two hall services
    assert page.locator("#queues tbody tr").count() == 6
    assert page.locator("[data-i18n=waiting]").first.inner_text() == "Waiting"

    first_read = offered(page)
    token = demo.issue_token("supervisor", "contacts:write")
    ids = create_contacts(demo, token, NEW_CONTACTS)
    assert len(set(ids)) == NEW_CONTACTS
    page.wait_for_function(
        "n => Number(document.getElementById('t-offered').textContent) >= n",
        arg=first_read + NEW_CONTACTS,
    )
    second_read = offered(page)
    assert second_read >= first_read + NEW_CONTACTS
    billing = page.locator("#queues tbody tr[data-queue=billing] td").first
    assert billing.inner_text() == "账单 Billing"
    page.screenshot(path=str(artifacts / "wallboard-en.png"))

    page.click("#lang")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("[data-i18n=waiting]").first.inner_text() == "排队数"
    assert page.locator("[data-i18n=agents]").inner_text() == "座席"
    assert page.inner_text("#status") == "实时"
    assert page.inner_text("#lang") == "English"
    page.screenshot(path=str(artifacts / "wallboard-zh.png"))

    # The choice is kept: a reload comes back in Chinese and live again.
    page.reload()
    page.wait_for_selector("#status.online")
    assert page.locator("[data-i18n=offered]").inner_text() == "进线量"
    assert offered(page) >= second_read
    assert re.fullmatch(r"\d{1,2}:\d{2}:\d{2}", page.inner_text("#clock"))
    assert not problems, problems


def test_given_a_call_in_progress_when_the_supervisor_clicks_listen_then_chinese_refusal_shows(
    demo: Demo, browser: BrowserContext
) -> None:
    page = browser.new_page()
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    open_wallboard(page, demo)
    page.wait_for_selector("#status.online")
    page.click("#lang")
    # The demo's agents take its voice calls: an agent row shows the buttons of its call.
    listen = page.locator("#agents td.calls button.join.listen").first
    listen.wait_for(timeout=40_000)
    assert listen.inner_text() == "监听"
    assert page.locator("[data-i18n=calls]").inner_text() == "通话"
    listen.click()
    status = page.locator("#join-status.refused")
    status.wait_for()
    # The demo runs without SIP: no phone of the supervisor's can ring, said in Chinese.
    assert status.inner_text().startswith("监听未成功：")
    assert "没有已注册的话机" in status.inner_text()
    assert any(re.search(r"/api/v1/contacts/[^/]+/listen\?lang=zh$", url) for url in posted)
