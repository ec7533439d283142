"""The day-level carry: a persistent daily busyness carried from the last whole day."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from kefu.workforce.forecast import ForecastConfig, fit_model, poisson_mae
from kefu.workforce.forecast_days import last_day_surprise

HOURLY = ForecastConfig(interval_minutes=60, window_days=28)


def _poisson_days(
    days: int, seed: int, step_day: int | None = None, step: float = 1.0
) -> tuple[pd.Series, np.ndarray]:
    """Hourly Poisson counts with known rates: a fixed daily profile (about 2,000 contacts
    a day), times ``step`` from day ``step_day`` on (a busier spell that persists)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    profile = 5.0 + 200.0 * np.exp(-(((hours - 13) / 4.0) ** 2))
    level = np.ones(days)
    if step_day is not None:
        level[step_day:] = step
    rate = np.concatenate([profile * lv for lv in level])
    index = pd.date_range("2026-01-05", periods=rate.size, freq="h", name="interval_start")
    counts = pd.Series(rng.poisson(rate).astype(np.float64), index=index, name="contacts")
    return counts, rate


def _next_day_ratio(series: pd.Series, rate: np.ndarray, carry: float, origins: range) -> float:
    """WAPE / Poisson floor (with the true rates) of the day after each origin day."""
    err = floor = 0.0
    for origin_day in origins:
        cut = origin_day * 24
        config = dataclasses.replace(HOURLY, carry=carry)
        fc = fit_model(series.iloc[:cut], config).forecast(1).mean
        actual = series.iloc[cut : cut + 24].to_numpy()
        err += float(np.abs(actual - fc).sum())
        floor += float(poisson_mae(rate[cut : cut + 24]).sum())
    return err / floor


def test_given_a_persistent_busier_spell_when_carried_then_closer_to_the_floor() -> None:
    # 28 ordinary days, then 30 % busier from day 28 on; forecasts for days 31 to 35.
    series, rate = _poisson_days(36, seed=16, step_day=28, step=1.3)
    origins = range(31, 36)
    without = _next_day_ratio(series, rate, 0.0, origins)
    carried = _next_day_ratio(series, rate, 0.8, origins)
    assert without > 1.8  # the model's weekday levels still mostly remember the old level
    assert carried < 0.7 * without


def test_given_pure_poisson_days_when_carried_then_still_near_the_floor() -> None:
    series, rate = _poisson_days(36, seed=17)
    assert _next_day_ratio(series, rate, 0.5, range(28, 36)) < 1.15


def test_given_a_busy_last_day_when_forecast_then_scaled_by_the_carried_surprise() -> None:
    series, _rate = _poisson_days(29, seed=18)
    series.iloc[-24:] *= 1.5  # the last day half as busy again as usual
    plain = fit_model(series, HOURLY)
    carried = dataclasses.replace(plain, config=dataclasses.replace(HOURLY, carry=0.5))
    assert plain.level_day == pd.Timestamp("2026-02-02")
    assert plain.level_surprise > 1.3
    two_days = plain.forecast(2).mean
    got = carried.forecast(2).mean / two_days
    surplus = plain.level_surprise - 1.0
    assert got[:24] == pytest.approx(1.0 + 0.5 * surplus)
    assert got[24:] == pytest.approx(1.0 + 0.25 * surplus)


def test_given_history_without_a_whole_day_then_no_surprise() -> None:
    index = pd.date_range("2026-01-05 08:00", periods=10, freq="h")
    series = pd.Series(5.0, index=index)
    assert last_day_surprise(series, series, 24) is None
    whole = pd.Series(5.0, index=pd.date_range("2026-01-05", periods=34, freq="h"))
    assert last_day_surprise(whole, whole / 2, 24) == (pd.Timestamp("2026-01-05"), 2.0)


def test_given_carry_out_of_range_then_refused() -> None:
    with pytest.raises(ValueError, match="carry"):
        ForecastConfig(carry=1.0)
