"""The sample history generator: determinism, shape, weekly pattern, surges, trend."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce.forecast import (
    Event,
    ForecastError,
    generate_history,
    intraday_shape,
    monthly_events,
)

START = dt.date(2026, 1, 5)  # a Monday


def test_given_same_seed_when_generated_twice_then_identical_and_other_seed_differs() -> None:
    a = generate_history(START, 14, 30, seed=11)
    b = generate_history(START, 14, 30, seed=11)
    c = generate_history(START, 14, 30, seed=12)
    pd.testing.assert_series_equal(a, b)
    assert not a.equals(c)


@settings(max_examples=25, deadline=None)
@given(
    days=st.integers(1, 10),
    interval=st.sampled_from([15, 30, 60]),
    seed=st.integers(0, 2**32 - 1),
    volume=st.floats(0.0, 5000.0),
)
def test_given_any_arguments_when_generated_then_whole_days_of_non_negative_integers(
    days: int, interval: int, seed: int, volume: float
) -> None:
    series = generate_history(START, days, interval, seed, daily_volume=volume)
    assert len(series) == days * 1440 // interval
    assert series.index[0] == pd.Timestamp(START)
    assert (series.index[1:] - series.index[:-1] == pd.Timedelta(minutes=interval)).all()
    values = series.to_numpy()
    assert np.all(values >= 0)
    assert np.all(values == np.round(values))
    assert series.name == "contacts"
    assert series.index.name == "interval_start"


@pytest.mark.parametrize("interval", [15, 30, 60])
@pytest.mark.parametrize("weekend", [False, True])
def test_given_interval_when_intraday_shape_then_shares_sum_to_one(
    interval: int, weekend: bool
) -> None:
    shape = intraday_shape(interval, weekend)
    assert shape.shape == (1440 // interval,)
    assert shape.sum() == pytest.approx(1.0)
    assert np.all(shape > 0)


def test_given_weekday_shape_then_day_peaks_and_quiet_night() -> None:
    shape = intraday_shape(60)
    assert int(np.argmax(shape)) in (9, 10)  # morning peak
    assert shape[12] < 0.8 * min(shape[10], shape[14])  # lunch dip between the two peaks
    assert shape[3] < 0.05 * shape.max()
    weekend = intraday_shape(60, weekend=True)
    assert int(np.argmax(weekend)) > int(np.argmax(shape))  # weekends peak later


def test_given_eight_weeks_when_generated_then_weekends_lower_than_weekdays() -> None:
    series = generate_history(START, 56, 60, seed=3)
    daily = series.groupby(series.index.normalize()).sum()
    weekday = daily[daily.index.day_of_week < 5].mean()
    weekend = daily[daily.index.day_of_week >= 5].mean()
    assert weekend < 0.55 * weekday
    assert daily[daily.index.day_of_week < 5].mean() == pytest.approx(2000 * 1.014, rel=0.05)


def test_given_event_day_when_generated_then_that_day_surges_by_its_uplift() -> None:
    surge = Event(START + dt.timedelta(days=9), "campaign")  # a Wednesday
    plain = generate_history(START, 14, 60, seed=4, day_noise_cv=0.0)
    surged = generate_history(
        START, 14, 60, seed=4, day_noise_cv=0.0, events=[surge], event_uplift={"campaign": 2.5}
    )
    day = plain.index.normalize() == pd.Timestamp(surge.day)
    assert surged[day].sum() == pytest.approx(2.5 * 2000 * 1.0, rel=0.05)
    assert plain[day].sum() == pytest.approx(2000 * 1.0, rel=0.06)


def test_given_trend_when_generated_then_later_weeks_busier() -> None:
    series = generate_history(START, 70, 60, seed=5, trend_per_week=0.05, day_noise_cv=0.0)
    weekly = series.groupby((series.index - series.index[0]).days // 7).sum()
    assert weekly.iloc[-1] / weekly.iloc[0] == pytest.approx(1.05**9, rel=0.04)


def test_given_day_of_month_when_monthly_events_then_clamped_to_month_end() -> None:
    events = monthly_events("2026-01-15", 60, 31, "billing")
    assert [e.day for e in events] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    assert {e.label for e in events} == {"billing"}
    assert monthly_events(START, 10, 1) == ()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days": 0},
        {"interval_minutes": 7},
        {"daily_volume": -1.0},
        {"weekday_factors": (1.0, 1.0)},
        {"trend_per_week": -1.0},
        {"day_noise_cv": -0.1},
        {"event_uplift": -2.0},
    ],
)
def test_given_bad_argument_when_generated_then_value_error(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"start": START, "days": 7, "interval_minutes": 60}
    args.update(kwargs)
    with pytest.raises(ValueError):
        generate_history(**args)  # type: ignore[arg-type]


def test_given_bad_start_when_generated_then_forecast_error() -> None:
    with pytest.raises(ForecastError, match="YYYY-MM-DD"):
        generate_history("05/01/2026", 7)
