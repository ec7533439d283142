"""The IVR in a real browser against one running demo: the admin edits the bank flow's
draft, publishes it and rolls it back (a screenshot in tests/artifacts/); a customer who
leaves the visual IVR page in the middle of the flow hangs it up."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium

from kefu.adapters.channels.webchat.gateway import LEAVE_GRACE_S

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def quiet_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``kefu demo`` with almost no synthetic traffic and cheap password hashing, shared
    by the tests of this module (its start is most of their time)."""
    require_chromium()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEFU_PASSWORD_TIME_COST", "1")
        env.setenv("KEFU_PASSWORD_MEMORY_KIB", "64")
        env.setenv("KEFU_PASSWORD_PARALLELISM", "1")
        running = Demo(tmp_path_factory.mktemp("ivr-admin") / "demo.sqlite3", rate=0.01)
        running.start()
    try:
        yield running
    finally:
        running.stop()


def test_given_the_admin_when_editing_publishing_and_rolling_back_then_the_page_follows(
    quiet_demo: Demo,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    admin = next(c for c in quiet_demo.credentials() if c.role == "admin")
    with sync_playwright() as playwright:
        context = launch_chromium(playwright)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto(f"{quiet_demo.base}/login?next=/admin/ivr")
            page.fill("input[name=username]", admin.username)
            page.fill("input[name=password]", admin.password)
            with page.expect_navigation():
                page.locator("form [type=submit]").click()
            page.goto(f"{quiet_demo.base}/admin/ivr?flow=bank")
            expect(page.locator("#published")).to_have_text("1")
            source = page.locator("#source")
            source.fill(source.input_value().replace("欢迎致电客服银行。", "欢迎致电（新）。"))
            page.locator("#save").click()
            expect(page.locator("#notice")).to_be_visible()
            expect(page.locator("#lint-clean")).to_be_visible()
            page.locator("#publish").click()
            expect(page.locator("#published")).to_have_text("2")
            expect(page.locator("#changes")).to_contain_text(admin.username)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "ivr-admin.png"), full_page=True)
            page.locator("#rollback").click()
            expect(page.locator("#published")).to_have_text("1")
        finally:
            context.close()


def test_given_a_customer_in_the_visual_ivr_when_leaving_the_page_then_the_flow_is_hung_up(
    quiet_demo: Demo,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_chromium(playwright)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto(f"{quiet_demo.base}/ivr/bank")
            stored = "() => localStorage.getItem('kefu.chat.conversation')"
            page.wait_for_function(f"() => ({stored})() !== null")  # the flow's chat began
            page.wait_for_timeout(1500)  # and asks its first question (state "ivr")
            first = page.evaluate(stored)
            page.close(run_before_unload=True)  # pagehide: the page sends leave
            time.sleep(LEAVE_GRACE_S + 1.5)  # the server waits for a reload first
            again = context.new_page()
            again.goto(f"{quiet_demo.base}/ivr/bank")
            # The old conversation was closed: the page starts a new one.
            again.wait_for_function(f"() => ({stored})() !== {json.dumps(first)}")
        finally:
            context.close()
