"""``kefu schedule --site``: the workforce plan from the stored log, named agents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_cli import _log, _store
from typer.testing import CliRunner

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.cli import app


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite store of half a morning in Shanghai (site sh, queues 贷款 and cards)."""
    made = sqlite_url(str(tmp_path / "kefu.sqlite3"))
    engine = make_engine(made)
    upgrade(engine)
    _store(engine, *_log())
    engine.dispose()
    return made


def _run(*args: str) -> object:
    return CliRunner().invoke(app, ["schedule", *args], env={"COLUMNS": "200"})


def test_given_a_stored_morning_when_planned_then_named_agents_of_the_site_get_shifts(
    url: str,
) -> None:
    result = _run(
        "--site", "sh", "--since", "2026-01-05", "--until", "2026-01-05", "--horizon", "1",
        "--interval", "60", "--time-limit", "3", "--json", "--database-url", url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    plan = json.loads(result.output)  # type: ignore[attr-defined]
    assert plan["first_day"] == "2026-01-06" and plan["timezone"] == "Asia/Shanghai"
    assert plan["queues"] == ["cards", "贷款"]
    assert "mean day of 1 days" in plan["notes"][0]
    assert plan["required"][8] >= 1 and plan["required"][2] == 0  # 08:00 busy, 02:00 not
    assert plan["shifts"] and {s["agent_id"] for s in plan["shifts"]} <= {"王芳", "a2"}
    assert all(s["local_start"].startswith("2026-01-06") for s in plan["shifts"])


def test_given_bad_site_or_queue_when_planned_then_a_clear_error_and_exit_2(
    url: str,
) -> None:
    unknown = _run("--site", "bj", "--database-url", url)
    assert unknown.exit_code == 2 and "unknown site" in unknown.output  # type: ignore[attr-defined]
    stray = _run("--site", "sh", "--queue", "nope", "--database-url", url)
    assert stray.exit_code == 2 and "nope" in stray.output  # type: ignore[attr-defined]
    bad = _run("--site", "sh", "--interval", "20", "--database-url", url)
    assert bad.exit_code == 2 and "15, 30 or 60" in bad.output  # type: ignore[attr-defined]
