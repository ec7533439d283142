"""Records and checks shared by the forecasting modules: events, options, forecasts.

Times are naive local wall-clock timestamps at the start of each interval; counts are
contacts per interval, NaN where the data are missing (a day with no record at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kefu.domain.errors import ValidationError

__all__ = [
    "MIN_HISTORY_DAYS",
    "Event",
    "Forecast",
    "ForecastConfig",
    "ForecastError",
    "check_history",
    "readonly",
]

MIN_HISTORY_DAYS = 14
"""Fewest days of history a model is fitted on: two of each weekday."""

FloatArray = NDArray[np.float64]


class ForecastError(ValidationError, ValueError):
    """Bad forecasting input (a bad column, too little history ...); says what to fix."""

    error_id = "forecast_invalid"


@dataclass(frozen=True)
class Event:
    """A labelled event day (``billing``, ``campaign``, ``双十一`` ...), local date."""

    day: dt.date
    label: str

    def __post_init__(self) -> None:
        if not isinstance(self.day, dt.date) or isinstance(self.day, dt.datetime):
            raise ForecastError(f"event day must be a date, got {self.day!r}", day=str(self.day))
        if not self.label.strip():
            raise ForecastError("event label must not be empty", day=self.day.isoformat())
        object.__setattr__(self, "label", self.label.strip())


@dataclass(frozen=True)
class ForecastConfig:
    """How to fit: interval length (minutes), history window (days) and model options.

    ``harmonics`` is the number of sine/cosine pairs per weekday that bend the intraday
    shape; ``trend`` adds a log-linear trend per week; ``half_life_days`` weights history
    down by half every that many days (None: equal weights); ``level`` is the coverage of the
    prediction interval (0.8 → 10 % and 90 % quantiles); ``carry`` (0 ≤ carry < 1) is the
    share of the last whole day's level surprise (its actual / fitted total − 1) carried into
    the forecast, ``carry``^h for a day h days after it (a daily busyness that persists, as
    an AR(1) on the day level; 0: none).
    """

    interval_minutes: int = 30
    window_days: int = 56
    harmonics: int = 4
    trend: bool = False
    half_life_days: float | None = None
    level: float = 0.8
    holiday_ratio: float | None = 0.5
    carry: float = 0.0

    def __post_init__(self) -> None:
        m = self.interval_minutes
        if not 5 <= m <= 60 or 1440 % m:
            raise ValueError(f"interval_minutes must divide a day and lie in 5..60, got {m}")
        if self.window_days < MIN_HISTORY_DAYS:
            raise ValueError(f"window_days must be >= {MIN_HISTORY_DAYS}, got {self.window_days}")
        if not 0 <= self.harmonics < (1440 // m) // 2:
            raise ValueError(
                f"harmonics must be in 0..{(1440 // m) // 2 - 1}, got {self.harmonics}"
            )
        if self.half_life_days is not None and not self.half_life_days > 0:
            raise ValueError(f"half_life_days must be > 0, got {self.half_life_days}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level}")
        if not 0 <= self.carry < 1:
            raise ValueError(f"carry must be in [0, 1), got {self.carry}")
        if self.holiday_ratio is not None and not 0 < self.holiday_ratio < 1:
            raise ValueError(f"holiday_ratio must be in (0, 1), got {self.holiday_ratio}")

    @property
    def slots_per_day(self) -> int:
        """Intervals per day."""
        return 1440 // self.interval_minutes

    @property
    def step(self) -> pd.Timedelta:
        """The interval length."""
        return pd.Timedelta(minutes=self.interval_minutes)


def check_history(history: pd.Series, interval_minutes: int) -> pd.Series:
    """Validate a contacts-per-interval series and return it as floats.

    It must have a gap-free, increasing, naive ``DatetimeIndex`` on the interval grid and
    finite counts >= 0 or NaN (missing data, never read as 0 contacts).
    """
    if not isinstance(history, pd.Series) or not isinstance(history.index, pd.DatetimeIndex):
        raise ForecastError("history must be a pandas Series indexed by interval start times")
    index = history.index
    if len(index) == 0:
        raise ForecastError("history is empty")
    if index.tz is not None:
        raise ForecastError("history times must be naive local times (no time zone)")
    step = pd.Timedelta(minutes=interval_minutes)
    if len(index) > 1 and not (index[1:] - index[:-1] == step).all():
        raise ForecastError(
            f"history must be a gap-free series of {interval_minutes}-minute intervals "
            "in increasing order"
        )
    first = index[0]
    if first.second or first.microsecond or (first.hour * 60 + first.minute) % interval_minutes:
        raise ForecastError(
            f"interval starts must fall on the {interval_minutes}-minute grid, got {first}"
        )
    try:
        values = pd.to_numeric(history, errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise ForecastError(f"contacts must be numbers: {exc}") from exc
    if np.isinf(values).any() or (values < 0).any():
        raise ForecastError("contacts must be finite numbers >= 0 (or NaN where missing)")
    if np.isnan(values).all():
        raise ForecastError("history has no data, only missing intervals")
    return pd.Series(values, index=index, name="contacts")


@dataclass(frozen=True, eq=False)
class Forecast:
    """Forecast contacts per interval: mean and a ``level`` prediction interval.

    Arrays are read-only and aligned with ``index`` (interval starts). ``event_uplift`` maps
    each learned label to its multiplier; ``unlearned_events`` lists labels on forecast days
    that history never showed, so no uplift was applied to them.
    """

    index: pd.DatetimeIndex
    mean: FloatArray
    lower: FloatArray
    upper: FloatArray
    level: float
    event_uplift: Mapping[str, float]
    unlearned_events: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Columns ``interval_start, forecast, lower, upper``."""
        return pd.DataFrame(
            {
                "interval_start": self.index,
                "forecast": self.mean,
                "lower": self.lower,
                "upper": self.upper,
            }
        )

    def daily_totals(self) -> pd.Series:
        """Forecast contacts per day."""
        return pd.Series(self.mean, index=self.index).groupby(self.index.normalize()).sum()


def readonly(values: FloatArray) -> FloatArray:
    """A read-only float copy of ``values``."""
    out = np.array(values, dtype=np.float64)
    out.flags.writeable = False
    return out
