"""Volume forecast against actual per day for the executive dashboard.

Each week shown is forecast as the workforce pages forecast it (:func:`kefu.workforce.plan.
forecast_days` on hourly arrivals): from the 28 days before its Monday, a week ahead, as a
planner would have seen it that Monday (when the history has too few contacts for the
model's seasonality, the mean of its days with data). The actual is the contacts offered to the same
queues each day (the report source's figures); a day not over yet, or a day without any
contact (missing data, as in the forecast's history), has no actual. The error is
(actual - forecast) / forecast; the summary is the mean absolute error over the days with
both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kefu.adapters.storage.report_source import ReportSource
from kefu.adapters.storage.workforce_history import arrival_history
from kefu.domain.errors import ValidationError
from kefu.workforce.plan import forecast_days

__all__ = ["HISTORY_DAYS", "DayVolume", "VolumeCheck", "volume_check"]

HISTORY_DAYS = 28
"""Days of history each week's forecast starts from."""
INTERVAL_MINUTES = 60


@dataclass(frozen=True, slots=True)
class DayVolume:
    """One local day: contacts forecast and offered (``None``: none known)."""

    day: dt.date
    forecast: float | None
    actual: float | None

    @property
    def error(self) -> float | None:
        """(actual - forecast) / forecast, a ratio; ``None`` without both."""
        if self.forecast is None or self.actual is None or self.forecast <= 0:
            return None
        return (self.actual - self.forecast) / self.forecast


@dataclass(frozen=True, slots=True)
class VolumeCheck:
    """The days shown and the mean absolute error over the days with both figures."""

    days: tuple[DayVolume, ...]

    @property
    def mean_abs_error(self) -> float | None:
        errors = [abs(d.error) for d in self.days if d.error is not None]
        return sum(errors) / len(errors) if errors else None


def volume_check(
    source: ReportSource,
    queues: Collection[str],
    first_monday: dt.date,
    weeks: int,
    today: dt.date,
    timezone: str,
) -> VolumeCheck:
    """Forecast and actual per day of ``weeks`` weeks from ``first_monday`` for ``queues``
    (no queue: every day without figures)."""
    days = [first_monday + dt.timedelta(days=i) for i in range(7 * weeks)]
    last_read = min(days[-1], today - dt.timedelta(days=1))
    start = first_monday - dt.timedelta(days=HISTORY_DAYS)
    if not queues or last_read < start:
        return VolumeCheck(tuple(DayVolume(d, None, None) for d in days))
    series = arrival_history(source, queues, start, last_read, INTERVAL_MINUTES, timezone).contacts
    index = pd.DatetimeIndex(series.index)
    daily = series.groupby(index.normalize()).sum(min_count=1)
    actual = {
        ts.date(): float(v)
        for ts, v in daily.items()
        if isinstance(ts, pd.Timestamp) and not np.isnan(v) and ts.date() < today
    }
    forecast: dict[dt.date, float] = {}
    for week in range(weeks):
        monday = first_monday + dt.timedelta(weeks=week)
        if monday > today:
            break
        begin = pd.Timestamp(monday - dt.timedelta(days=HISTORY_DAYS))
        past = series[(index >= begin) & (index < pd.Timestamp(monday))]
        if len(past) < HISTORY_DAYS * 24 or past.isna().all():
            continue  # not enough history stored before this week
        week_days = [monday + dt.timedelta(days=i) for i in range(7)]
        try:
            fc, _model, _days = forecast_days(past, INTERVAL_MINUTES, 7)
        except (ValidationError, ValueError):
            # Too few contacts for the model's seasonality: the mean day with data.
            totals = past.groupby(pd.DatetimeIndex(past.index).normalize()).sum(min_count=1)
            forecast.update((d, float(totals.mean())) for d in week_days)
            continue
        mean = pd.Series(np.asarray(fc.mean, dtype=float), index=fc.index)
        per_day = mean.groupby(pd.DatetimeIndex(mean.index).normalize()).sum()
        for ts, value in per_day.items():
            if isinstance(ts, pd.Timestamp):
                forecast[ts.date()] = float(value)
    return VolumeCheck(tuple(DayVolume(d, forecast.get(d), actual.get(d)) for d in days))
