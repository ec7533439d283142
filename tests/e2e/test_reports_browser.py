"""The historical report in a real browser against a running demo: a supervisor runs a
report by queue, sorts it, downloads the CSV, drills down from a cell to its contacts and
from a contact to its events (a screenshot in tests/artifacts/)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium

pytestmark = pytest.mark.e2e


def test_given_a_demo_when_a_supervisor_reports_sorts_exports_and_drills_down_then_each_works(
    tmp_path: Path,
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEFU_PASSWORD_TIME_COST", "1")
        env.setenv("KEFU_PASSWORD_MEMORY_KIB", "64")
        env.setenv("KEFU_PASSWORD_PARALLELISM", "1")
        demo = Demo(tmp_path / "reports.sqlite3", rate=3.0)
        demo.start()
    try:
        supervisor = next(c for c in demo.credentials() if c.role == "supervisor")
        with sync_playwright() as playwright:
            context = launch_chromium(playwright)
            context.set_default_timeout(15_000)
            try:
                page = context.new_page()
                page.goto(f"{demo.base}/login?next=/reports")
                page.fill("input[name=username]", supervisor.username)
                page.fill("input[name=password]", supervisor.password)
                with page.expect_navigation():
                    page.locator("form [type=submit]").click()
                # run a report: 15-minute periods by queue, from the form
                page.select_option("#period", "interval:15")
                page.check("input[name=group][value=queue]")
                with page.expect_navigation():
                    page.locator("#run").click()
                total = page.locator("#total td[data-col=offered]")
                deadline = time.monotonic() + 30
                while total.inner_text() in ("0", "") and time.monotonic() < deadline:
                    time.sleep(1)
                    page.reload()
                assert int(total.inner_text()) > 0
                expect(page.locator("svg.chart rect").first).to_be_attached()
                # sort by offered, most first
                with page.expect_navigation():
                    page.locator("#groups th a[data-sort=offered]").click()
                assert "sort=offered" in page.url and "order=desc" in page.url
                cells = page.locator("#groups tbody tr:not(.total) td[data-col=offered]")
                offered = [int(t) for t in cells.all_inner_texts()]
                assert offered == sorted(offered, reverse=True) and offered
                # export per period
                with page.expect_download() as download:
                    page.locator("#csv-intervals").click()
                raw = Path(download.value.path()).read_bytes()
                rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
                assert rows and "offered" in rows[0] and "queue" in rows[0]
                page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)
                # drill down: the busiest queue's offered cell → its contacts → one's events
                with page.expect_navigation():
                    cells.first.locator("a").click()
                expect(page.locator("#contacts tbody tr").first).to_be_visible()
                with page.expect_navigation():
                    page.locator("#contacts tbody tr a").first.click()
                expect(page.locator("#events tbody tr").first).to_be_visible()
                assert "/reports/contacts/" in page.url
                # from the wallboard: a queue's name opens today's contacts of that queue
                page.goto(f"{demo.base}/wallboard")
                queue_link = page.locator("#queues tbody tr a").first
                expect(queue_link).to_be_visible()
                with page.expect_navigation():
                    queue_link.click()
                assert "/reports/contacts?days=1&queue=" in page.url
                expect(page.locator("#contacts")).to_be_visible()
            finally:
                context.close()
    finally:
        demo.stop()
