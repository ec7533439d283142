"""Backtests: metrics, the seasonal-naive baseline, and the model beating it on generated,
fixed and real data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kefu.workforce.forecast import (
    BacktestResult,
    Event,
    ForecastConfig,
    ForecastError,
    backtest,
    generate_history,
    load_history,
    mape,
    monthly_events,
    seasonal_naive,
    wape,
)

FIXED_CSV = Path(__file__).resolve().parents[2] / "data" / "helpdesk_hourly_6w.csv"
START = dt.date(2026, 1, 5)


def test_given_known_errors_when_scored_then_wape_and_mape_match_definitions() -> None:
    actual = np.array([10.0, 0.0, 5.0])
    fc = np.array([8.0, 1.0, 5.0])
    assert wape(actual, fc) == pytest.approx(3 / 15)
    assert mape(actual, fc) == pytest.approx((2 / 10 + 0 / 5) / 2)  # a = 0 left out
    assert math.isnan(wape(np.zeros(3), fc))
    assert math.isnan(mape(np.zeros(3), fc))


def test_given_history_when_seasonal_naive_then_same_interval_of_last_observed_week() -> None:
    index = pd.date_range("2026-01-05", periods=14 * 24, freq="h")
    history = pd.Series(np.arange(len(index), dtype=float), index=index)
    future = pd.date_range(index[-1] + pd.Timedelta(hours=1), periods=10 * 24, freq="h")
    naive = seasonal_naive(history, future)
    week = 7 * 24
    np.testing.assert_array_equal(naive[:week], history.to_numpy()[-week:])
    np.testing.assert_array_equal(naive[week:], history.to_numpy()[-week : -week + 3 * 24])


def test_given_six_days_when_seasonal_naive_then_refused() -> None:
    index = pd.date_range("2026-01-05", periods=6 * 24, freq="h")
    future = pd.date_range(index[-1] + pd.Timedelta(hours=1), periods=24, freq="h")
    with pytest.raises(ForecastError, match="full week"):
        seasonal_naive(pd.Series(1.0, index=index), future)


@pytest.fixture(scope="module")
def generated_result() -> BacktestResult:
    events = monthly_events(START, 63, 5)
    history = generate_history(START, 63, 30, seed=21, events=events)
    return backtest(
        history,
        horizon_days=7,
        origins=3,
        step_days=2,
        config=ForecastConfig(interval_minutes=30, window_days=28),
        events=events,
    )


def test_given_generated_history_when_backtested_then_model_beats_seasonal_naive_every_day(
    generated_result: BacktestResult,
) -> None:
    result = generated_result
    assert [s.horizon_day for s in result.by_horizon] == list(range(1, 8))
    assert all(s.intervals == 3 * 48 for s in result.by_horizon)
    assert result.overall.intervals == 3 * 7 * 48
    assert all(s.wape_ratio < 0.9 for s in result.by_horizon)
    assert result.overall.model.wape < 0.75 * result.overall.baseline.wape
    assert result.overall.model.mape < result.overall.baseline.mape


def test_given_backtest_then_origins_are_midnights_step_apart_and_last_fits_the_data(
    generated_result: BacktestResult,
) -> None:
    origins = generated_result.origins
    assert [o.hour for o in origins] == [0, 0, 0]
    assert [(b - a).days for a, b in itertools.pairwise(origins)] == [2, 2]
    assert origins[-1] == pd.Timestamp(START) + pd.Timedelta(days=63 - 7)
    last = generated_result.last
    assert last.index[0] == origins[-1]
    assert len(last.index) == len(last.actual) == len(last.model) == len(last.baseline) == 7 * 48


def test_given_backtest_result_then_frozen_and_json_ready(
    generated_result: BacktestResult,
) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        generated_result.horizon_days = 3  # type: ignore[misc]
    record = json.loads(json.dumps(generated_result.to_dict(), allow_nan=False))
    assert record["overall"]["horizon_day"] == 0
    assert len(record["by_horizon"]) == 7
    assert record["overall"]["model_wape"] == pytest.approx(
        generated_result.overall.model.wape, abs=1e-6
    )


def test_given_surges_when_backtested_with_events_then_event_days_scored_and_model_wins() -> None:
    surges = tuple(Event(START + dt.timedelta(days=d), "promo") for d in range(3, 49, 5))
    history = generate_history(START, 49, 60, seed=22, events=surges, event_uplift=1.8)
    result = backtest(
        history,
        horizon_days=7,
        origins=3,
        config=ForecastConfig(interval_minutes=60, window_days=28),
        events=surges,
    )
    assert result.event_days is not None
    assert result.event_days.model.wape < 0.5 * result.event_days.baseline.wape


def test_given_fixed_helpdesk_csv_when_backtested_then_model_beats_seasonal_naive() -> None:
    history = load_history(FIXED_CSV, 60)["售后"]
    result = backtest(
        history,
        horizon_days=7,
        origins=4,
        step_days=2,
        config=ForecastConfig(interval_minutes=60, window_days=28),
    )
    assert result.overall.model.wape < 0.85 * result.overall.baseline.wape
    assert sum(s.wape_ratio < 1 for s in result.by_horizon) >= 6


def test_given_too_short_history_when_backtested_then_says_how_much_is_needed() -> None:
    history = generate_history(START, 20, 60, seed=1)
    with pytest.raises(ForecastError, match="too little history for this backtest"):
        backtest(history, horizon_days=7, origins=3, config=ForecastConfig(interval_minutes=60))


@pytest.mark.parametrize("kwargs", [{"horizon_days": 0}, {"origins": 0}, {"step_days": 0}])
def test_given_bad_backtest_argument_then_value_error(kwargs: dict[str, int]) -> None:
    history = generate_history(START, 28, 60, seed=1)
    with pytest.raises(ValueError):
        backtest(history, config=ForecastConfig(interval_minutes=60), **kwargs)


def test_given_real_bank_arrivals_when_backtested_at_30_min_then_model_beats_seasonal_naive(
    shared_data: Path,
) -> None:
    arrivals = load_history(shared_data / "anonymous_bank_1999_arrivals_6min.csv", 30)
    # January and February 1999: no public holiday in the scored weeks.
    history = arrivals["default"]["1999-01-03":"1999-02-27"]
    result = backtest(
        history,
        horizon_days=7,
        origins=7,
        config=ForecastConfig(interval_minutes=30, window_days=28),
    )
    assert result.origins[-1] == pd.Timestamp("1999-02-21")
    assert result.overall.model.wape < 0.85 * result.overall.baseline.wape
    assert all(s.wape_ratio < 1 for s in result.by_horizon)
