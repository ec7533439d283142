"""The historical report in a real browser against a running demo: a supervisor runs a
report by queue, sorts it, downloads the CSV, drills down from a cell to its contacts and
from a contact to its events; then plans the chat queue from today's stored history,
publishes the schedule, and an agent sees its shift (screenshots in tests/artifacts/)."""

from __future__ import annotations

import csv
import datetime as dt
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
                # workforce: the chat and e-mail pool is noah, wang.lei and liu.fang; noah
                # gets every day off, so the people's logins take tomorrow's shifts
                page.goto(f"{demo.base}/workforce")
                row = page.locator('#rules tr[data-agent="noah"]')
                row.locator("input[name=days_off]").fill("0,1,2,3,4,5,6")
                with page.expect_navigation():
                    row.locator("button").click()
                today = dt.date.fromisoformat(page.input_value("#until")) + dt.timedelta(days=1)
                deadline = time.monotonic() + 60
                while True:  # until the demo has offered a chat or an e-mail today
                    page.goto(f"{demo.base}/workforce")
                    page.uncheck("input[name=queue][value=billing]")
                    page.check("input[name=queue][value=chat]")
                    page.check("input[name=queue][value=email]")
                    page.fill("#since", today.isoformat())
                    page.fill("#until", today.isoformat())
                    page.fill("#horizon", "1")
                    page.fill("#time-limit", "5")
                    with page.expect_navigation():
                        page.locator("#make-plan").click()
                    expect(page.locator("#publish, #error")).to_be_visible(timeout=60_000)
                    if page.locator("#publish").count() or time.monotonic() > deadline:
                        break
                    time.sleep(3)
                planned = page.locator("#roster tbody tr").evaluate_all(
                    "rows => rows.map(r => r.dataset.agent)"
                )
                human = next(a for a in ("wang.lei", "liu.fang", "") if a in planned or not a)
                assert human, planned
                page.screenshot(path=str(ARTIFACTS / "workforce-plan.png"), full_page=True)
                with page.expect_navigation():
                    page.locator("#publish").click()
                assert "/workforce/adherence" in page.url
                expect(page.locator(f'#adherence tr[data-agent="{human}"]')).to_be_visible()
                agent = next(c for c in demo.credentials() if c.username == human)
                own = launch_chromium(playwright)
                own.set_default_timeout(15_000)
                mine = own.new_page()
                mine.goto(f"{demo.base}/login?next=/me/schedule")
                mine.fill("input[name=username]", agent.username)
                mine.fill("input[name=password]", agent.password)
                with mine.expect_navigation():
                    mine.locator("form [type=submit]").click()
                expect(mine.locator("#my-shifts tbody tr").first).to_be_visible()
                mine.goto(f"{demo.base}/me/schedule?lang=zh")
                expect(mine.locator("h1")).to_contain_text("我的班表")
                mine.screenshot(path=str(ARTIFACTS / "my-schedule.png"), full_page=True)
                mine.goto(f"{demo.base}/desktop")  # the next shift beside the link
                # (two fetches after the page: its texts, then the shifts; slow when loaded)
                expect(mine.locator("#next-shift")).to_contain_text("Next shift", timeout=20_000)
                own.close()
            finally:
                context.close()
    finally:
        demo.stop()
