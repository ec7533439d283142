"""``kefu schedule`` end to end through the Typer app: files, tables, JSON and errors."""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app

runner = CliRunner()


@pytest.fixture
def requirement_csv(tmp_path: Path) -> Path:
    """Two days of half-hour requirements for two queues, 08:00–20:00."""
    path = tmp_path / "需求 week.csv"
    origin = datetime(2024, 3, 4)
    lines = ["interval_start,queue,required"]
    for day in range(2):
        for half_hour in range(16, 40):
            t = half_hour / 2
            load = 4 + 10 * math.exp(-(((t - 11) / 2) ** 2)) + 6 * math.exp(-(((t - 16) / 2) ** 2))
            stamp = origin + timedelta(days=day, minutes=30 * half_hour)
            lines.append(f"{stamp:%Y-%m-%d %H:%M},电话,{0.7 * load:.2f}")
            lines.append(f"{stamp:%Y-%m-%d %H:%M},在线,{0.3 * load:.2f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_given_requirement_only_when_run_then_tables_csvs_json_and_chart_are_written(
    requirement_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", str(requirement_csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Paid hours 带薪工时" in result.stdout
    assert "OPTIMAL" in result.stdout
    assert (out / "schedule.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (out / "schedule-intervals.csv").open(encoding="utf-8") as handle:
        intervals = list(csv.DictReader(handle))
    assert intervals[16]["interval_start"] == "2024-03-04 08:00"
    assert all(float(row["under"]) == 0 for row in intervals)
    assert any(float(row["scheduled"]) > 0 for row in intervals)
    document = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert document["summary"]["paid_hours"] == pytest.approx(
        sum(row["paid_hours"] for row in document["shifts"])
    )


def test_given_json_flag_then_stdout_is_machine_readable(
    requirement_csv: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["schedule", str(requirement_csv), "--out", str(tmp_path / "o"), "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    summary = document["summary"]
    assert summary["status"] in {"OPTIMAL", "FEASIBLE"}
    assert summary["under_agent_hours"] == 0
    assert summary["intervals"] == 88  # midnight of day 0 .. 19:30 of day 1
    assert Path(document["files"]["chart_png"]).is_file()


def test_given_shift_yaml_with_chinese_names_then_they_reach_the_outputs(
    requirement_csv: Path, tmp_path: Path
) -> None:
    shifts = tmp_path / "班次.yaml"
    shifts.write_text(
        "shift_types:\n"
        "  - name: 早班\n    start: '08:00'\n    length: 8h\n"
        "    breaks: [{length: 30m, earliest: 3h, latest: 4h}]\n"
        "  - name: 晚班\n    start: '12:00'\n    length: 8h\n",
        encoding="utf-8",
    )
    out = tmp_path / "o"
    result = runner.invoke(
        app, ["schedule", str(requirement_csv), "--shifts", str(shifts), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with (out / "schedule-shifts.csv").open(encoding="utf-8") as handle:
        names = {row["shift"] for row in csv.DictReader(handle)}
    assert names <= {"早班", "晚班"}
    assert "早班" in names


def test_given_missing_file_then_exit_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schedule", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "not found" in " ".join(result.output.split())  # Rich may wrap a long path
    assert "Traceback" not in result.output


def test_given_bad_shift_field_then_exit_2_naming_it(requirement_csv: Path, tmp_path: Path) -> None:
    shifts = tmp_path / "s.yaml"
    shifts.write_text("shift_types:\n  - {name: a, start: '08:00', length: 8}\n", "utf-8")
    result = runner.invoke(app, ["schedule", str(requirement_csv), "--shifts", str(shifts)])
    assert result.exit_code == 2
    assert "shift_types[0].length" in result.output


def test_given_capped_shifts_when_hard_then_exit_2_and_soft_then_understaffing_reported(
    requirement_csv: Path, tmp_path: Path
) -> None:
    shifts = tmp_path / "s.yaml"
    shifts.write_text(
        "shift_types:\n  - {name: all-day, start: '08:00', length: 12h, max_agents: 5}\n", "utf-8"
    )
    args = ["schedule", str(requirement_csv), "--shifts", str(shifts), "--out", str(tmp_path)]
    hard = runner.invoke(app, args)
    assert hard.exit_code == 2
    assert "cannot be covered" in hard.output
    soft = runner.invoke(app, [*args, "--under-penalty", "100", "--json"])
    assert soft.exit_code == 0, soft.output
    summary = json.loads(soft.stdout)["summary"]
    assert summary["agents"] == 10  # 5 a day, the cap, for two days
    assert summary["under_agent_hours"] > 0
    assert summary["understaffed_intervals"] > 0
