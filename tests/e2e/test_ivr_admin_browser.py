"""The IVR flow page in a real browser against the running demo: the admin edits the bank
flow's draft, publishes it and rolls it back (a screenshot in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium

pytestmark = pytest.mark.e2e


@pytest.fixture
def quiet_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """``kefu demo`` with almost no synthetic traffic and cheap password hashing."""
    require_chromium()
    monkeypatch.setenv("KEFU_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("KEFU_PASSWORD_MEMORY_KIB", "64")
    monkeypatch.setenv("KEFU_PASSWORD_PARALLELISM", "1")
    running = Demo(tmp_path / "ivr-admin.sqlite3", rate=0.01)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_given_the_admin_when_editing_publishing_and_rolling_back_then_the_page_follows(
    quiet_demo: Demo, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    admin = next(c for c in quiet_demo.credentials() if c.role == "admin")
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
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
