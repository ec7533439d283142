"""``kefu forecast run`` and ``kefu forecast generate`` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kefu.cli import app

FIXED_CSV = Path(__file__).resolve().parents[2] / "data" / "helpdesk_hourly_6w.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five weeks of hourly history with monthly billing surges, made by the CLI."""
    out = tmp_path_factory.mktemp("gen") / "history.csv"
    result = runner.invoke(
        app,
        ["forecast", "generate", "--days", "35", "--interval", "60", "--billing-day", "5",
         "--queue", "售后", "--seed", "7", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_given_help_when_asked_then_both_commands_listed() -> None:
    result = runner.invoke(app, ["forecast", "--help"])
    assert result.exit_code == 0
    assert "run" in result.output and "generate" in result.output
    assert "来电量" in result.output


def test_given_generate_when_run_then_history_and_events_written_deterministically(
    generated: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(generated)
    assert list(frame.columns) == ["interval_start", "contacts", "queue"]
    assert len(frame) == 35 * 24
    assert set(frame["queue"]) == {"售后"}
    events = pd.read_csv(generated.with_name("history_events.csv"))
    # Billing days of the history and of the four weeks after it.
    assert list(events["date"]) == ["2026-01-05", "2026-02-05", "2026-03-05"]
    again = tmp_path / "again.csv"
    result = runner.invoke(
        app,
        ["forecast", "generate", "--days", "35", "--interval", "60", "--billing-day", "5",
         "--queue", "售后", "--seed", "7", "--out", str(again), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["intervals"] == 35 * 24
    assert again.read_bytes() == generated.read_bytes()


def test_given_history_when_run_with_backtest_json_then_forecast_files_and_scores(
    generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["forecast", "run", str(generated), "--interval", "60", "--horizon", "3",
         "--events", str(generated.with_name("history_events.csv")), "--backtest",
         "--origins", "2", "--window", "28", "--aht", "240", "--out", str(out), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    queue = payload["queues"][0]
    assert queue["queue"] == "售后"
    assert len(queue["intervals"]) == 3 * 24
    assert queue["intervals"][0]["interval_start"] == "2026-02-09T00:00:00"
    assert all(row["forecast"] >= 0 for row in queue["intervals"])
    assert "billing" in queue["model"]["event_uplift"]
    assert queue["backtest"]["overall"]["wape_ratio"] < 1
    staffing = pd.read_csv(out / "forecast.csv")
    assert list(staffing.columns)[:4] == ["interval_start", "queue", "contacts", "aht_s"]
    assert (staffing["aht_s"] == 240).all()
    assert len(pd.read_csv(out / "backtest.csv")) == 3 + 1
    assert (out / "forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert payload["files"]["chart_png"] == str(out / "forecast.png")


def test_given_fixed_csv_when_run_then_rich_tables_in_both_languages(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["forecast", "run", str(FIXED_CSV), "--interval", "60", "--horizon", "2",
         "--event", "2025-04-15:促销", "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "售后" in result.output
    assert "Forecast 预测" in result.output
    assert "促销" in result.output  # a future label with no history is reported
    assert (tmp_path / "forecast.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "file not found"),
        (["{bad_columns}"], "needs columns"),
        (["{bad_dates}"], "unparsable"),
        (["{short}", "--interval", "60"], "at least 14 days"),
        (["{fixed}", "--interval", "60", "--event", "2025-13-01:x"], "bad event date"),
        (["{fixed}", "--interval", "20"], "15, 30 or 60"),
        (["{fixed}", "--interval", "30"], "60-minute"),
        (["{fixed}", "--interval", "60", "--queue", "nope"], "queue 'nope'"),
        (["{fixed}", "--interval", "60", "--backtest", "--origins", "30"], "too little"),
    ],
)
def test_given_bad_input_when_run_then_clear_message_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    files = {
        "bad_columns": "when,count\n2026-01-05 08:00,1\n",
        "bad_dates": "interval_start,contacts\nnot a date,1\n",
        "short": "".join(
            ["interval_start,contacts\n"]
            + [
                f"{t:%Y-%m-%d %H:%M},5\n"
                for t in pd.date_range("2026-01-05", periods=120, freq="h")
            ]
        ),
    }
    paths = {"fixed": str(FIXED_CSV)}
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        paths[name] = str(tmp_path / f"{name}.csv")
    argv = [a.format(**paths) for a in args]
    if argv[0] == "missing.csv":
        argv[0] = str(tmp_path / "missing.csv")
    result = runner.invoke(app, ["forecast", "run", *argv, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_given_bad_generate_arguments_then_exit_2(tmp_path: Path) -> None:
    for extra in (["--start", "tomorrow"], ["--interval", "45"], ["--event", "x"]):
        result = runner.invoke(
            app, ["forecast", "generate", "--out", str(tmp_path / "h.csv"), *extra]
        )
        assert result.exit_code == 2, extra
        assert "Traceback" not in result.output
