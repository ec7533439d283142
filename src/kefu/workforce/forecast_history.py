"""A small, realistic contact-history generator for trying the forecaster.

Each day gets a volume ``daily_volume × weekday factor × trend × day noise × event uplift``
spread over the day by an intraday shape (a morning peak near 10:15, a lunch dip, an
afternoon peak near 14:45, an evening shoulder and quiet nights; weekends peak later and
flatter); counts per interval are Poisson around that. The day noise is a gamma factor with
mean 1 and coefficient of variation ``day_noise_cv``, so counts are over-dispersed across
days as real traffic is. Randomness comes only from a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kefu.workforce.forecast_types import Event, ForecastError

__all__ = [
    "DEFAULT_WEEKDAY_FACTORS",
    "generate_history",
    "intraday_shape",
    "monthly_events",
]

DEFAULT_WEEKDAY_FACTORS: tuple[float, ...] = (1.12, 1.04, 1.0, 0.98, 0.93, 0.52, 0.34)
"""Relative daily volume Monday..Sunday: Monday busiest, weekends quiet."""


def _bump(hours: NDArray[np.float64], centre: float, width: float) -> NDArray[np.float64]:
    return np.exp(-0.5 * ((hours - centre) / width) ** 2)


def intraday_shape(interval_minutes: int, weekend: bool = False) -> NDArray[np.float64]:
    """Share of a day's contacts in each interval (sums to 1), weekday or weekend shape."""
    if not 1 <= interval_minutes <= 1440 or 1440 % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day, got {interval_minutes}")
    hours = (np.arange(1440, dtype=np.float64) + 0.5) / 60.0
    if weekend:
        rate = 0.02 + 0.8 * _bump(hours, 11.5, 2.0) + 0.6 * _bump(hours, 16.0, 2.2)
        rate += 0.2 * _bump(hours, 20.0, 1.5)
    else:
        rate = 0.015 + 1.0 * _bump(hours, 10.25, 1.4) + 0.8 * _bump(hours, 14.75, 1.7)
        rate += 0.25 * _bump(hours, 19.5, 1.3)
        rate *= 1.0 - 0.18 * _bump(hours, 12.75, 0.6)  # lunch dip
    per_interval = rate.reshape(-1, interval_minutes).sum(axis=1)
    return np.asarray(per_interval / per_interval.sum(), dtype=np.float64)


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ForecastError(f"not a date (YYYY-MM-DD): {value!r}", value=value) from exc


def monthly_events(
    start: dt.date | str, days: int, day_of_month: int, label: str = "billing"
) -> tuple[Event, ...]:
    """Events on ``day_of_month`` of every month in ``days`` days from ``start``.

    Months shorter than ``day_of_month`` get the event on their last day.
    """
    if not 1 <= day_of_month <= 31:
        raise ValueError(f"day_of_month must be in 1..31, got {day_of_month}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    first = _as_date(start)
    last = first + dt.timedelta(days=days - 1)
    out: list[Event] = []
    year, month = first.year, first.month
    while dt.date(year, month, 1) <= last:
        day = min(day_of_month, calendar.monthrange(year, month)[1])
        when = dt.date(year, month, day)
        if first <= when <= last:
            out.append(Event(when, label))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def generate_history(
    start: dt.date | str,
    days: int,
    interval_minutes: int = 30,
    seed: int = 0,
    *,
    daily_volume: float = 2000.0,
    weekday_factors: Sequence[float] = DEFAULT_WEEKDAY_FACTORS,
    trend_per_week: float = 0.0,
    day_noise_cv: float = 0.05,
    events: Iterable[Event] = (),
    event_uplift: Mapping[str, float] | float = 1.6,
) -> pd.Series:
    """Contacts per interval for ``days`` days from midnight of ``start``.

    ``daily_volume`` is the mean contacts of a day with weekday factor 1 at the start;
    ``trend_per_week`` the relative growth per week (0.02 = +2 %/week); ``event_uplift``
    multiplies the volume of event days, one factor for all labels or one per label (labels
    not in the mapping get 1.6). Returns integer-valued floats named ``contacts`` indexed by
    ``interval_start``; the same arguments and seed always give the same series.
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if daily_volume < 0:
        raise ValueError(f"daily_volume must be >= 0, got {daily_volume}")
    factors = np.asarray(weekday_factors, dtype=np.float64)
    if factors.shape != (7,) or not np.isfinite(factors).all() or (factors < 0).any():
        raise ValueError("weekday_factors must be 7 finite numbers >= 0 (Monday..Sunday)")
    if not trend_per_week > -1:
        raise ValueError(f"trend_per_week must be > -1, got {trend_per_week}")
    if day_noise_cv < 0:
        raise ValueError(f"day_noise_cv must be >= 0, got {day_noise_cv}")
    uplifts = event_uplift if isinstance(event_uplift, Mapping) else {}
    default_uplift = 1.6 if isinstance(event_uplift, Mapping) else float(event_uplift)
    if default_uplift < 0 or any(v < 0 for v in uplifts.values()):
        raise ValueError("event uplifts must be >= 0")

    rng = np.random.default_rng(seed)
    first = _as_date(start)
    day_index = pd.date_range(pd.Timestamp(first), periods=days, freq="D")
    multiplier = np.ones(days)
    position = {day.date(): i for i, day in enumerate(day_index)}
    for event in events:
        if event.day in position:
            multiplier[position[event.day]] *= uplifts.get(event.label, default_uplift)
    dow = np.asarray(day_index.day_of_week.to_numpy(), dtype=np.int64)
    volume = daily_volume * factors[dow] * (1.0 + trend_per_week) ** (np.arange(days) / 7.0)
    if day_noise_cv > 0:
        shape = 1.0 / day_noise_cv**2
        volume = volume * rng.gamma(shape, 1.0 / shape, size=days)
    volume = volume * multiplier
    weekday = intraday_shape(interval_minutes, weekend=False)
    weekend = intraday_shape(interval_minutes, weekend=True)
    shares = np.where((dow >= 5)[:, None], weekend[None, :], weekday[None, :])
    counts = rng.poisson(volume[:, None] * shares).astype(np.float64).ravel()
    index = pd.date_range(
        pd.Timestamp(first), periods=counts.size, freq=pd.Timedelta(minutes=interval_minutes)
    )
    return pd.Series(counts, index=index.rename("interval_start"), name="contacts")
