"""The desktop's "my cases" list in a real browser against the running demo: an agent sees
its own cases, switches to its teams' (the teams it is a member of), filters by state, type
and breach, searches, opens a case from the list, in English and then in Chinese. The case
types, the teams and the site's calendar come from the admin API (an always-open calendar
and a type with a seconds-long target, so one case is breached while the test runs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import ARTIFACTS, Demo, launch_chromium, require_chromium
from desktop_helpers import PASSWORD, add_agent, admin_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

QUICK = {
    "type_id": "quick_check",
    "kind": "inquiry",
    "label_en": "Quick check",
    "label_zh": "快速核查",
    "targets": [{"tier": 0, "first_response_h": 0.0005, "resolution_h": 0.0005}],
}
ALWAYS = {"time_zone": "Asia/Shanghai",
          "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                                 "00:00-24:00")}  # fmt: skip


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    require_chromium()
    for name in ("TIME_COST", "MEMORY_KIB", "PARALLELISM"):
        monkeypatch.setenv(f"KEFU_PASSWORD_{name}", {"MEMORY_KIB": "64"}.get(name, "1"))
    running = Demo(tmp_path / "mycases.sqlite3", rate=0.01)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "mycases-demo-console.txt").write_text(running.output(), encoding="utf-8")


def _listed(page: Page, expected: list[str]) -> list[str]:
    """The case ids of the list, once they are ``expected`` (or after 10 s)."""
    found: list[str] = []
    for _ in range(100):
        found = [
            str(i)
            for i in page.eval_on_selector_all(
                "#mc-list li", "nodes => nodes.map(n => n.dataset.case_id)"
            )
        ]
        if found == expected:
            break
        page.wait_for_timeout(100)
    return found


def test_given_my_and_my_teams_cases_when_filtered_and_searched_then_the_chosen_one_opens(
    demo: Demo,
) -> None:
    from playwright.sync_api import sync_playwright

    with admin_api(demo) as api:
        add_agent(api, "e2e.mine", "张无忌", skills={"e2e_team": 3}, capacity={"chat": 1})
        token = demo.issue_token("admin", "admin", "read", "contacts:write")
        api.headers["Authorization"] = f"Bearer {token}"
        assert api.put("/sites/demo/calendar", json=ALWAYS).status_code == 200
        assert api.post("/case-types", json=QUICK).status_code == 201
        for team_id, members in (("e2e_team", ["e2e.mine"]), ("nobody", [])):
            body = {"team_id": team_id, "name": f"{team_id} 团队", "site_id": "demo",
                    "members": members}  # fmt: skip
            assert api.post("/teams", json=body).status_code == 201

        def open_case(title: str, case_type: str, kind: str, owner: str) -> str:
            body = {"case_type": case_type, "title": title, "site_id": "demo",
                    "owner": {"kind": kind, "id": owner}}  # fmt: skip
            made = api.post("/cases", json=body)
            assert made.status_code == 201, made.text
            return str(made.json()["case_id"])

        bill = open_case("账单疑问 bill question", "inquiry", "agent", "e2e.mine")
        quick = open_case("挂失核查 lost card check", "quick_check", "agent", "e2e.mine")
        team = open_case("团队任务 team task", "inquiry", "team", "e2e_team")
        open_case("别人的工单 someone else's", "inquiry", "team", "nobody")
    time.sleep(2.0)  # the quick check's 1.8 s resolution target is overdue now
    problems: list[str] = []
    with sync_playwright() as playwright:
        context = launch_chromium(playwright)
        context.set_default_timeout(15_000)
        try:
            desk = context.new_page()
            desk.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            desk.goto(f"{demo.base}/login")
            desk.fill("input[name=username]", "e2e.mine")
            desk.fill("input[name=password]", PASSWORD)
            with desk.expect_navigation():
                desk.locator("form [type=submit]").click()
            desk.locator("#mc-list li", has_text="bill question").wait_for()
            assert _listed(desk, [quick, bill]) == [quick, bill]
            assert desk.text_content("#my-cases h2") == "My cases"
            desk.select_option("#mc-scope", "team")
            desk.locator("#mc-list li", has_text="team task").wait_for()
            assert _listed(desk, [team]) == [team]
            desk.select_option("#mc-scope", "mine")
            desk.check("#mc-breached")
            assert _listed(desk, [quick]) == [quick]
            assert desk.locator("#mc-list li.breached").count() == 1
            desk.uncheck("#mc-breached")
            desk.select_option("#mc-type", "quick_check")
            assert _listed(desk, [quick]) == [quick]
            desk.click(f"#mc-list li[data-case_id='{quick}'] button")
            desk.wait_for_selector(f"#case-head:has-text('#{quick}')")
            assert "Quick check" in desk.inner_text("#case-head")
            # 中文: the same list, its labels and the admin's Chinese type label.
            desk.click("#lang")
            desk.wait_for_selector("#my-cases h2 >> text=我的工单")
            desk.select_option("#mc-type", "")
            desk.fill("#mc-q", "账单")
            assert _listed(desk, [bill]) == [bill]
            assert "咨询" in desk.inner_text("#mc-list")
            desk.select_option("#mc-state", "closed")
            desk.wait_for_selector("#mc-none:not(.hidden) >> text=没有符合条件的工单")
            desk.select_option("#mc-state", "new")
            desk.click(f"#mc-list li[data-case_id='{bill}'] button")
            desk.wait_for_selector(f"#case-head:has-text('#{bill}')")
            assert "新建" in desk.inner_text("#case-head") or "咨询" in desk.inner_text(
                "#case-head"
            )
            assert "快速核查" in desk.inner_text("#mc-type")
            desk.screenshot(path=str(ARTIFACTS / "desktop-my-cases.png"))
        finally:
            context.close()
    assert problems == []
