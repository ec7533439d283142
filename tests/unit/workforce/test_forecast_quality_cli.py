"""``kefu forecast`` and forecast quality: 5-minute intervals, local days, missing days,
holidays and the noise floor, through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.workforce.forecast import generate_history

runner = CliRunner()


def _write(series: pd.Series, path: Path, drop_days: tuple[str, ...] = ()) -> Path:
    frame = series.reset_index()
    day = frame["interval_start"].dt.strftime("%Y-%m-%d")
    frame = frame[~day.isin(drop_days)]
    frame["interval_start"] = frame["interval_start"].dt.strftime("%Y-%m-%d %H:%M")
    frame.to_csv(path, index=False)
    return path


def test_given_5_minute_history_when_generated_and_run_then_5_minute_forecast(
    tmp_path: Path,
) -> None:
    history = tmp_path / "five.csv"
    made = runner.invoke(
        app,
        ["forecast", "generate", "--days", "15", "--interval", "5", "--out", str(history)],
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(
        app,
        ["forecast", "run", str(history), "--interval", "5", "--horizon", "1", "--window", "14",
         "--out", str(tmp_path / "o"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["interval_minutes"] == 5
    starts = pd.to_datetime([row["interval_start"] for row in payload["queues"][0]["intervals"]])
    assert len(starts) == 288
    assert starts[0] == pd.Timestamp("2026-01-20") and starts[-1] == pd.Timestamp(
        "2026-01-20 23:55"
    )
    assert (starts[1:] - starts[:-1] == pd.Timedelta(minutes=5)).all()


def test_given_history_ending_mid_day_when_run_then_horizon_from_next_midnight(
    tmp_path: Path,
) -> None:
    series = generate_history("2026-01-05", 21, 60, seed=2)[:-9]  # ends with 14:00
    path = _write(series, tmp_path / "h.csv")
    result = runner.invoke(
        app,
        ["forecast", "run", str(path), "--interval", "60", "--horizon", "2",
         "--out", str(tmp_path / "o"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["queues"][0]["intervals"]
    assert rows[0]["interval_start"] == "2026-01-26T00:00:00"
    assert rows[-1]["interval_start"] == "2026-01-27T23:00:00"
    assert len(rows) == 48


def test_given_utc_records_and_site_zone_when_run_then_local_days_with_dst(
    tmp_path: Path,
) -> None:
    first, last = (
        pd.Timestamp("2026-02-01 05:00", tz="UTC"),
        pd.Timestamp("2026-03-07 04:59", tz="UTC"),
    )
    seconds = np.random.default_rng(7).uniform(0, (last - first).total_seconds(), 12_000)
    times = pd.DatetimeIndex(np.sort(first + pd.to_timedelta(seconds, unit="s")))
    times = times.append(pd.DatetimeIndex([last]))
    path = tmp_path / "calls.csv"
    pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ")}).to_csv(path, index=False)
    result = runner.invoke(
        app,
        ["forecast", "run", str(path), "--interval", "60", "--horizon", "2",
         "--tz", "America/New_York", "--out", str(tmp_path / "o"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["time_zone"] == "America/New_York"
    starts = [row["interval_start"] for row in payload["queues"][0]["intervals"]]
    # The last call is 23:56 on 6 March in New York; 8 March loses 02:00 (clocks go forward).
    assert starts[0] == "2026-03-07T00:00:00"
    assert len(starts) == 24 + 23 and "2026-03-08T02:00:00" not in starts


def test_given_a_week_without_rows_when_run_then_missing_days_reported(tmp_path: Path) -> None:
    series = generate_history("2026-01-05", 35, 60, seed=3)
    gap = tuple(f"2026-01-{d}" for d in range(19, 26))
    path = _write(series, tmp_path / "gap.csv", gap)
    args = ["forecast", "run", str(path), "--interval", "60", "--horizon", "1",
            "--out", str(tmp_path / "o")]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    queue = json.loads(result.stdout)["queues"][0]
    assert queue["history"]["missing_days"] == list(gap)
    assert queue["model"]["excluded_days"]["missing"] == list(gap)
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "Missing days 缺失日" in text.output and "2026-01-19" in text.output


def test_given_declared_and_detected_holidays_when_run_then_left_out_and_reported(
    tmp_path: Path,
) -> None:
    series = generate_history("2026-01-05", 35, 60, seed=4, day_noise_cv=0.02)
    series[series.index.normalize() == pd.Timestamp("2026-01-28")] *= 0.05
    path = _write(series, tmp_path / "h.csv")
    holidays = tmp_path / "holidays.csv"
    holidays.write_text("date,name\n2026-02-02,春节调休\n", encoding="utf-8")
    args = ["forecast", "run", str(path), "--interval", "60", "--horizon", "1",
            "--holiday", "2026-01-30", "--holidays", str(holidays),
            "--out", str(tmp_path / "o")]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    excluded = payload["queues"][0]["model"]["excluded_days"]
    assert excluded["declared_holidays"] == ["2026-01-30", "2026-02-02"]
    assert excluded["detected_holidays"] == ["2026-01-28"]
    assert payload["holidays"] == ["2026-01-30", "2026-02-02"]
    text = runner.invoke(app, args)
    assert "Holidays left out 已排除节假日" in text.output
    assert "Detected holidays left out 识别并排除的节假日" in text.output
    ahead = runner.invoke(app, [*args, "--holiday", "2026-02-09"])  # the forecast day
    assert "holiday 节假日" in ahead.output
    assert "forecast as ordinary days 预测期内的节假日按普通日预测" in ahead.output
    off = runner.invoke(app, [*args, "--no-detect-holidays", "--json"])
    assert json.loads(off.stdout)["queues"][0]["model"]["excluded_days"]["detected_holidays"] == []


def test_given_backtest_when_run_then_noise_floor_in_table_and_json(tmp_path: Path) -> None:
    path = _write(generate_history("2026-01-05", 28, 60, seed=5), tmp_path / "h.csv")
    args = ["forecast", "run", str(path), "--interval", "60", "--horizon", "1",
            "--backtest", "--origins", "3", "--out", str(tmp_path / "o")]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["queues"][0]["backtest"]["overall"]
    assert 0 < overall["floor_wape"] < overall["model_wape"]
    assert overall["floor_ratio"] == pytest.approx(
        overall["model_wape"] / overall["floor_wape"], rel=1e-4
    )
    text = runner.invoke(app, args)
    assert "Floor WAPE 下限" in text.output and "vs floor 对下限" in text.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--holiday", "2026-02-30"], "bad holiday date"),
        (["--holidays", "{nope}"], "file not found"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--interval", "45"], "5, 15, 30 or 60"),
    ],
)
def test_given_bad_quality_options_when_run_then_clear_message_and_exit_2(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    path = _write(generate_history("2026-01-05", 21, 60, seed=6), tmp_path / "h.csv")
    argv = [a.format(nope=tmp_path / "nope.csv") for a in extra]
    result = runner.invoke(app, ["forecast", "run", str(path), *argv, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
