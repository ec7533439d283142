"""Days the forecaster must not learn from: missing days and holidays.

* A **missing day** has no data at all (every interval NaN): nothing was recorded, so it is
  neither 0 contacts nor a quiet day, and the fit leaves it out.
* A **declared holiday** is a date the user lists (``--holiday`` or a CSV with a ``date``
  column); a **detected holiday** is a whole day (no missing interval) with fewer contacts
  than ``ratio`` × the median daily total of the other whole days of the same weekday in
  the window (at least two of them), unless that median is 0 (a weekday the site is closed)
  or the day carries an event label (its level is learned as an uplift instead). Holidays
  are left out of the fit like missing days.

Days are naive local dates (``pandas.Timestamp`` at midnight).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kefu.workforce.forecast_types import ForecastError

__all__ = [
    "SpecialDays",
    "find_special_days",
    "last_day_surprise",
    "load_holidays",
    "parse_holiday",
]


@dataclass(frozen=True)
class SpecialDays:
    """The days of a history left out of the fit (sorted local dates)."""

    missing: tuple[dt.date, ...] = ()
    declared: tuple[dt.date, ...] = ()
    detected: tuple[dt.date, ...] = ()

    @property
    def excluded(self) -> tuple[dt.date, ...]:
        """Every day left out of the fit."""
        return tuple(sorted({*self.missing, *self.declared, *self.detected}))


def _whole_day_totals(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Contacts per day, and whether the day is whole (covered from midnight, none missing)."""
    days = pd.DatetimeIndex(series.index).normalize()
    grouped = series.groupby(days)
    step = series.index[1] - series.index[0] if len(series) > 1 else pd.Timedelta(days=1)
    per_day = int(pd.Timedelta(days=1) / step)
    whole = (grouped.count() == per_day) & (grouped.size() == per_day)
    return grouped.sum(min_count=1), whole


def find_special_days(
    series: pd.Series,
    holidays: Iterable[dt.date] = (),
    ratio: float | None = 0.5,
    event_days: Iterable[dt.date] = (),
) -> SpecialDays:
    """Missing days, declared holidays and detected holidays (module doc) of ``series``.

    ``series`` holds contacts per interval on a gap-free grid, NaN where missing.
    """
    totals, whole = _whole_day_totals(series)
    missing = [day.date() for day in totals.index[totals.isna().to_numpy()]]
    present = {day.date() for day in totals.index}
    declared = sorted({day for day in holidays if day in present and day not in missing})
    skip = set(declared) | set(event_days)
    detected: list[dt.date] = []
    if ratio is not None:
        candidates = totals[whole.to_numpy()]
        candidates = candidates[[day.date() not in skip for day in candidates.index]]
        weekday = pd.DatetimeIndex(candidates.index).day_of_week.to_numpy()
        values = candidates.to_numpy(dtype=np.float64)
        for i, day in enumerate(pd.DatetimeIndex(candidates.index)):
            others = values[(weekday == weekday[i]) & (np.arange(values.size) != i)]
            if others.size < 2:
                continue
            level = float(np.median(others))
            if level > 0 and values[i] < ratio * level:
                detected.append(day.date())
    return SpecialDays(tuple(missing), tuple(declared), tuple(detected))


def last_day_surprise(
    actual: pd.Series, fitted: pd.Series, slots: int
) -> tuple[pd.Timestamp, float] | None:
    """The last whole day (``slots`` intervals, none NaN in ``actual`` or ``fitted``) and its
    level surprise, actual total / fitted total (1: as expected); None when there is none
    or nothing was expected on it."""
    days = pd.DatetimeIndex(actual.index).normalize()
    frame = pd.DataFrame(
        {"a": actual.to_numpy(dtype=np.float64), "f": fitted.to_numpy(dtype=np.float64)},
        index=days,
    )
    whole = frame.notna().all(axis=1).groupby(level=0).agg(["all", "size"])
    sums = frame.groupby(level=0).sum()
    good = whole["all"] & (whole["size"] == slots) & (sums["f"] > 0)
    if not good.any():
        return None
    last = int(np.flatnonzero(good.to_numpy(dtype=np.bool_))[-1])
    got, expected = sums.to_numpy(dtype=np.float64)[last]
    return pd.Timestamp(sums.index[last]), float(got / expected)


def parse_holiday(text: str) -> dt.date:
    """``"2026-10-01"`` → that date; a clear error otherwise."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ForecastError(f"bad holiday date {text!r} (use YYYY-MM-DD)", value=text) from exc


def load_holidays(path: str | Path) -> list[dt.date]:
    """Holidays from a UTF-8 CSV with a ``date`` column (other columns, e.g. a name, ignored)."""
    file = Path(path)
    if not file.is_file():
        raise ForecastError(f"file not found: {file}", path=str(file))
    try:
        frame = pd.read_csv(file, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ForecastError(f"cannot read {file} as a UTF-8 CSV: {exc}", path=str(file)) from exc
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "date" not in columns:
        raise ForecastError(f"{file}: holidays need a date column", columns=list(columns))
    return [parse_holiday(value) for value in frame[columns["date"]].astype(str)]
