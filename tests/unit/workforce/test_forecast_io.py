"""Reading histories and events, aggregating intervals, writing staffing input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce.forecast import (
    DEFAULT_QUEUE,
    Event,
    ForecastConfig,
    ForecastError,
    forecast,
    generate_history,
    history_from_frame,
    load_events,
    load_history,
    parse_event,
    staffing_frame,
)


def _write(tmp_path: Path, text: str, name: str = "history.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_given_interval_csv_with_chinese_queues_and_bom_when_loaded_then_one_series_each(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "Interval_Start,Contacts,Queue\n"
        "2026-01-05 08:00,3,售后\n2026-01-05 08:30,4,售后\n"
        "2026-01-05 08:00,7,信用卡\n2026-01-05 09:00,1,信用卡\n",
        bom=True,
    )
    histories = load_history(path, 30)
    assert sorted(histories) == ["信用卡", "售后"]
    card = histories["信用卡"]
    assert list(card.to_numpy()) == [7.0, 0.0, 1.0]  # the missing 08:30 counts as 0
    assert card.index[0] == pd.Timestamp("2026-01-05 08:00")
    assert card.index.name == "interval_start"
    assert list(load_history(path, 30, queue="售后")) == ["售后"]


def test_given_six_minute_counts_when_loaded_at_30_then_added_up_and_partial_bins_dropped() -> None:
    # 00:06 .. 01:54: the 00:00 bin misses its first 6 minutes and is dropped.
    times = pd.date_range("1999-01-01 00:06", "1999-01-01 01:54", freq="6min")
    frame = pd.DataFrame(
        {
            "date": times.strftime("%Y-%m-%d"),
            "interval_start": times.strftime("%H:%M"),
            "calls": np.arange(len(times), dtype=float),
        }
    )
    series = history_from_frame(frame, 30)[DEFAULT_QUEUE]
    assert list(series.index.strftime("%H:%M")) == ["00:30", "01:00", "01:30"]
    assert list(series.to_numpy()) == [
        4 + 5 + 6 + 7 + 8,
        9 + 10 + 11 + 12 + 13,
        14 + 15 + 16 + 17 + 18,
    ]


@settings(max_examples=30, deadline=None)
@given(
    counts=st.lists(st.integers(0, 50), min_size=240, max_size=240),
    interval=st.sampled_from([30, 60]),
)
def test_given_a_whole_day_of_6_minute_counts_when_aggregated_then_total_is_kept(
    counts: list[int], interval: int
) -> None:
    times = pd.date_range("1999-03-01", periods=240, freq="6min")
    frame = pd.DataFrame({"interval_start": times.astype(str), "contacts": counts})
    series = history_from_frame(frame, interval)[DEFAULT_QUEUE]
    assert len(series) == 1440 // interval
    assert series.sum() == sum(counts)


def test_given_duplicate_rows_when_loaded_then_added() -> None:
    frame = pd.DataFrame(
        {
            "interval_start": ["2026-01-05 08:00", "2026-01-05 08:00", "2026-01-05 09:00"],
            "contacts": ["2", "3", "1"],
        }
    )
    series = history_from_frame(frame, 60, queue="email")["email"]
    assert list(series.to_numpy()) == [5.0, 1.0]


def test_given_contact_timestamps_when_loaded_then_binned_over_whole_days(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "timestamp,queue\n2026-01-05T08:01:30,售后\n2026-01-05T08:14:59,售后\n"
        "2026-01-05T08:15:00,售后\n2026-01-06T23:59:00,售后\n",
    )
    series = load_history(path, 15)["售后"]
    assert len(series) == 2 * 96
    assert series.sum() == 4
    assert series[pd.Timestamp("2026-01-05 08:00")] == 2
    assert series[pd.Timestamp("2026-01-05 08:15")] == 1
    assert series.index[-1] == pd.Timestamp("2026-01-06 23:45")


def test_given_zoned_times_when_loaded_then_local_wall_clock_kept() -> None:
    frame = pd.DataFrame(
        {
            "interval_start": ["2026-01-05T08:00:00+08:00", "2026-01-05T09:00:00+08:00"],
            "contacts": [1, 2],
        }
    )
    series = history_from_frame(frame, 60)[DEFAULT_QUEUE]
    assert series.index.tz is None
    assert series.index[0] == pd.Timestamp("2026-01-05 08:00")


@pytest.mark.parametrize(
    ("text", "interval", "message"),
    [
        ("when,contacts\n2026-01-05 08:00,1\n", 60, "needs columns interval_start"),
        ("interval_start,contacts\nyesterday,1\n", 60, "unparsable interval_start 'yesterday'"),
        ("interval_start,contacts\n2026-01-05 08:00,1\n2026-01-05 09:00,-2\n", 60, "row 2"),
        ("interval_start,contacts\n2026-01-05 08:00,\n", 60, ">= 0"),
        ("interval_start,contacts\n2026-01-05 08:00,1\n2026-01-05 08:06,1\n", 5, "6-minute"),
        ("interval_start,contacts\n2026-01-05 08:00,1\n2026-01-05 09:00,1\n", 30, "60-minute"),
        ("interval_start,contacts\n2026-01-05 08:07,1\n2026-01-05 08:37,1\n", 30, "grid"),
        ("interval_start,contacts\n", 60, "no rows"),
        ("interval_start,contacts,queue\n2026-01-05 08:00,1,a\n", 60, None),
    ],
)
def test_given_bad_history_when_loaded_then_clear_error(
    tmp_path: Path, text: str, interval: int, message: str | None
) -> None:
    path = _write(tmp_path, text)
    if message is None:  # an unknown queue is named with the ones present
        with pytest.raises(ForecastError, match="queue 'b' not in the history; queues: a"):
            load_history(path, interval, queue="b")
        return
    with pytest.raises(ForecastError, match=message):
        load_history(path, interval)


def test_given_missing_or_binary_file_when_loaded_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ForecastError, match="file not found"):
        load_history(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ForecastError, match="UTF-8"):
        load_history(binary)


def test_given_bad_interval_argument_then_value_error() -> None:
    with pytest.raises(ValueError, match="interval_minutes"):
        history_from_frame(pd.DataFrame({"timestamp": ["2026-01-05 08:00"]}), 7)


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("2026-03-01:billing", Event(dt.date(2026, 3, 1), "billing")),
        ("2026-11-11:双十一", Event(dt.date(2026, 11, 11), "双十一")),
        (" 2026-03-01 : a:b ", Event(dt.date(2026, 3, 1), "a:b")),
    ],
)
def test_given_event_text_when_parsed_then_date_and_label(text: str, event: Event) -> None:
    assert parse_event(text) == event


@pytest.mark.parametrize(
    "text", ["2026-03-01", "2026-03-01:", "2026/03/01:billing", "2026-02-30:billing", ":x"]
)
def test_given_bad_event_text_when_parsed_then_forecast_error(text: str) -> None:
    with pytest.raises(ForecastError):
        parse_event(text)


def test_given_events_csv_when_loaded_then_events_and_bad_columns_refused(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "date,event\n2026-03-05,billing\n2026-11-11,双十一\n", "events.csv")
    assert load_events(path) == [
        Event(dt.date(2026, 3, 5), "billing"),
        Event(dt.date(2026, 11, 11), "双十一"),
    ]
    bad = _write(tmp_path, "day,label\n2026-03-05,billing\n", "bad.csv")
    with pytest.raises(ForecastError, match="missing date, event"):
        load_events(bad)


def test_given_forecasts_when_staffing_frame_then_kefu_staff_columns_first() -> None:
    fc = forecast(generate_history("2026-01-05", 14, 60, seed=1), 1, ForecastConfig(60))
    frame = staffing_frame([("售后", fc), ("sales", fc)], aht_s=240.0)
    assert list(frame.columns)[:4] == ["interval_start", "queue", "contacts", "aht_s"]
    assert len(frame) == 48
    assert set(frame["queue"]) == {"售后", "sales"}
    assert (frame["aht_s"] == 240.0).all()
    assert frame["interval_start"].iloc[0] == "2026-01-19 00:00:00"
    assert staffing_frame([("q", fc)])["aht_s"].isna().all()
    with pytest.raises(ValueError, match="aht_s"):
        staffing_frame([("q", fc)], aht_s=0.0)
