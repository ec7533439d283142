"""``kefu erlang`` and ``kefu staff`` through the real Typer app, including bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.workforce.erlang import erlang_a, required_agents, service_level
from kefu.workforce.staffing import VolumeRow
from kefu.workforce.staffing_io import read_plan_csv, write_volumes_csv

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_given_agents_when_erlang_then_table_with_erlang_a_metrics() -> None:
    code, out = run("erlang", "--rate", "2.0", "--aht", "180", "--agents", "400", "--patience",
                    "120")  # fmt: skip
    assert code == 0
    expected = erlang_a(2.0, 180.0, 120.0, 400)
    assert "Erlang A" in out and "放弃率" in out and "400" in out
    assert f"{expected.service_level:.2%}" in out


def test_given_json_when_erlang_then_numbers_match_the_library() -> None:
    code, out = run("erlang", "--rate", "2", "--aht", "180", "--agents", "380", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["model"] == "erlang_c" and data["traffic_erlangs"] == 360.0
    (row,) = data["results"]
    assert row["agents"] == 380
    assert row["service_level"] == pytest.approx(service_level(360.0, 380, 180.0, 20.0))
    assert row["p_abandon"] is None


def test_given_no_agents_when_erlang_then_sweep_includes_required_agents() -> None:
    code, out = run("erlang", "--rate", "2", "--aht", "180", "--target-sl", "0.8", "--json")
    assert code == 0
    data = json.loads(out)
    n = required_agents(2.0, 180.0, service_level=0.8)
    assert data["required_agents"] == n
    agents = [r["agents"] for r in data["results"]]
    assert n in agents and len(agents) >= 12 and agents == sorted(agents)
    assert all(a > 360 for a in agents)  # Erlang C sweeps stable sizes only


def test_given_sl_met_with_many_abandoning_when_erlang_then_yellow_warning() -> None:
    code, out = run("erlang", "--rate", "2", "--aht", "180", "--patience", "30", "--target-sl",
                    "0.8")  # fmt: skip
    assert code == 0
    assert "warning" in out and "abandon" in out and "放弃率" in out
    code, out = run("erlang", "--rate", "2", "--aht", "180", "--patience", "30", "--target-sl",
                    "0.8", "--max-abandon", "0.05")  # fmt: skip
    assert code == 0 and "warning" not in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--rate", "-1", "--aht", "180"], "--rate must be"),
        (["--rate", "1", "--aht", "0", "--agents", "5"], "aht must be"),
        (["--rate", "1", "--aht", "180", "--max-abandon", "0.1"], "needs a finite patience"),
        (["--rate", "1", "--aht", "180", "--target-sl", "80"], "service_level must be"),
        (["--rate", "1", "--aht", "180", "--agents", "0"], "agents must be >= 1"),
        (["--rate", "x", "--aht", "180"], "Invalid value"),
    ],
)
def test_given_bad_input_when_erlang_then_message_and_exit_2(args: list[str], words: str) -> None:
    code, out = run("erlang", *args)
    assert code == 2
    assert words in out
    assert "Traceback" not in out


@pytest.fixture()
def volumes(tmp_path: Path) -> Path:
    start = datetime(2024, 3, 1, 8, 0)
    rows = [
        VolumeRow(start + timedelta(minutes=30 * i), queue, peak * (0.4 + 0.1 * i), aht)
        for queue, peak, aht in (("售后", 120.0, 185.0), ("sales", 40.0, 240.0))
        for i in range(10)
    ]
    return write_volumes_csv(rows, tmp_path / "volumes.csv")


def test_given_volumes_when_staff_then_table_and_files_written(
    volumes: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "plan"
    code, out = run("staff", str(volumes), "--sl", "0.8", "--threshold", "20", "--shrinkage",
                    "0.3", "--out", str(out_dir))  # fmt: skip
    assert code == 0, out
    assert "Staffing plan" in out and "人员配置计划" in out and "售后" in out
    rows = read_plan_csv(out_dir / "staffing_plan.csv")
    assert len(rows) == 20
    for r in rows:
        assert r.required == required_agents(r.arrival_rate, r.aht, service_level=0.8)
    assert json.loads((out_dir / "staffing_plan.json").read_text(encoding="utf-8"))["rows"]
    assert (out_dir / "staffing_plan.png").read_bytes()[:4] == b"\x89PNG"


def test_given_json_and_groups_when_staff_then_plan_and_pooling_note(
    volumes: Path, tmp_path: Path
) -> None:
    groups = tmp_path / "groups.csv"
    groups.write_text("queue,group\n售后,general\nsales,general\n", encoding="utf-8")
    code, out = run("staff", str(volumes), "--asa", "15", "--patience", "120", "--abandon",
                    "0.05", "--groups", str(groups), "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["model"] == "erlang_a" and len(data["rows"]) == 20
    assert all(r["asa_s"] <= 15 and r["abandon"] <= 0.05 for r in data["rows"])
    assert any("general" in note for note in data["notes"])
    assert data["files"] == [] and data["warnings"] == []


def test_given_impatient_callers_when_staff_sl_only_then_warning(volumes: Path) -> None:
    code, out = run("staff", str(volumes), "--sl", "0.8", "--patience", "20", "--show", "2")
    assert code == 0
    assert "warning" in out and "--abandon" in out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("interval_start,queue,contacts\n2024-03-01T08:00,q,3\n", "missing column(s) aht_s"),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,-3,180\n", "line 2"),
        ("interval_start,queue,contacts,aht_s\n2024-03-01T08:00,q,many,180\n", "'contacts'"),
    ],
)
def test_given_malformed_volumes_when_staff_then_message_and_exit_2(
    tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out = run("staff", str(path), "--sl", "0.8", "--interval", "30")
    assert code == 2
    assert words in out and "Traceback" not in out


def test_given_bad_staff_arguments_when_run_then_exit_2(volumes: Path, tmp_path: Path) -> None:
    code, out = run("staff", str(tmp_path / "missing.csv"), "--sl", "0.8")
    assert code == 2 and "no such file" in out
    code, out = run("staff", str(volumes))
    assert code == 2 and "at least one target" in out
    code, out = run("staff", str(volumes), "--sl", "0.8", "--shrinkage", "1.2")
    assert code == 2 and "shrinkage" in out
