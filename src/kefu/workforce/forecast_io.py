"""Reading contact history and event days for the forecaster, writing staffing input.

History CSV (UTF-8, header row, column names case-insensitive), either

* contacts per interval: ``interval_start`` and ``contacts`` (or ``calls``), optional
  ``queue``; ``interval_start`` may be a time of day when a ``date`` column holds the day.
  Intervals missing from a day the file lists count as 0 contacts (files may list only busy
  intervals); a day with no row at all is **missing** (NaN), never 0 contacts; intervals
  listed twice are added; or
* one row per contact: a ``timestamp`` column (optional ``queue``), binned into intervals
  over whole days; a day without any contact between the first and the last is missing.

Finer intervals are added up into the requested length (6-minute counts into 30 minutes);
bins that straddle two intervals (6-minute counts into 15 minutes) are spread evenly over
their minutes, so those intervals hold fractional counts; an interval only partly covered by
the data at either end is dropped. Time-zone-aware times
become wall-clock times of the site's time zone ``tz`` (or of their own offset without
``tz``); times without an offset are taken as local already. Around daylight saving time the
skipped hour has no contact and the repeated hour's contacts are added into one wall-clock
hour. Events CSV: ``date,event`` (one label per row).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kefu.workforce.forecast_types import Event, Forecast, ForecastError

__all__ = [
    "DEFAULT_QUEUE",
    "history_from_frame",
    "load_events",
    "load_history",
    "parse_event",
    "staffing_frame",
]

DEFAULT_QUEUE = "default"
"""Queue name of a history without a ``queue`` column (unless one is given)."""

_COUNT_COLUMNS = ("contacts", "calls")


def parse_event(text: str) -> Event:
    """``"2026-03-01:billing"`` → ``Event(2026-03-01, "billing")``."""
    day, sep, label = text.partition(":")
    if not sep or not label.strip():
        raise ForecastError(f"event must look like YYYY-MM-DD:label, got {text!r}", value=text)
    try:
        when = dt.date.fromisoformat(day.strip())
    except ValueError as exc:
        raise ForecastError(f"bad event date in {text!r} (use YYYY-MM-DD)", value=text) from exc
    return Event(when, label)


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ForecastError(f"file not found: {path}", path=str(path))
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ForecastError(f"cannot read {path} as a UTF-8 CSV: {exc}", path=str(path)) from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def load_events(path: str | Path) -> list[Event]:
    """Events from a CSV with columns ``date,event``."""
    frame = _read_csv(Path(path))
    missing = {"date", "event"} - set(frame.columns)
    if missing:
        raise ForecastError(
            f"{path}: events need columns date,event; missing {', '.join(sorted(missing))}",
            columns=list(frame.columns),
        )
    return [
        parse_event(f"{row.date}:{row.event}")
        for row in frame[["date", "event"]].itertuples(index=False)
    ]


# A time of day followed by a UTC offset ("08:30:00+08:00", "08:30Z"); a bare date is not.
_OFFSET = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _parse_times(values: pd.Series, what: str, tz: str | None = None) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip()
    aware = text.str.contains(_OFFSET, regex=True).to_numpy()
    if aware.any() and not aware.all():
        raise ForecastError(f"{what}: some times have a UTC offset and some do not")
    try:
        # With offsets, parse as UTC so that mixed offsets (both sides of a DST change) work.
        utc = bool(aware.all()) and tz is not None
        parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
    except (ValueError, TypeError) as exc:  # e.g. mixed offsets without a time zone
        raise ForecastError(
            f"cannot parse {what}: {exc} (mixed UTC offsets need the site's time zone, --tz)"
        ) from exc
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ForecastError(
            f"unparsable {what} {text.iloc[row]!r} on data row {row + 1}",
            row=row + 1,
            value=str(text.iloc[row]),
        )
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        if tz is not None:
            index = index.tz_convert(tz)
        index = index.tz_localize(None)  # keep the local wall-clock time
    return index


def _counts(values: pd.Series, column: str) -> NDArray[np.float64]:
    numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(numbers) | (numbers < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ForecastError(
            f"{column} must be numbers >= 0; got {values.iloc[row]!r} on data row {row + 1}",
            row=row + 1,
        )
    return numbers


def _input_step(times: pd.DatetimeIndex, interval_minutes: int) -> int:
    """The input's own interval in minutes: the greatest common divisor of the gaps between
    the listed interval starts of the whole file (all queues), checked against the target."""
    unique = pd.DatetimeIndex(times.unique()).sort_values()
    seconds = np.asarray((unique - unique[0]).total_seconds(), dtype=np.int64)
    step_s = int(np.gcd.reduce(seconds)) if len(unique) > 1 else interval_minutes * 60
    first = unique[0]
    offset_s = (first.hour * 60 + first.minute) * 60 + first.second
    if step_s % 60 or step_s // 60 > interval_minutes or offset_s % step_s:
        raise ForecastError(
            f"the input's {step_s / 60:g}-minute intervals (first at {first:%H:%M:%S}) do "
            f"not add up into {interval_minutes}-minute intervals; choose an interval at "
            "least as long as the input's, on the same grid",
            input_minutes=step_s / 60,
        )
    return step_s // 60


def _interval_series(
    times: pd.DatetimeIndex, counts: NDArray[np.float64], step: int, interval_minutes: int
) -> pd.Series:
    """Counts on the input's ``step``-minute grid, added up into ``interval_minutes``."""
    raw = pd.Series(counts, index=times).groupby(level=0).sum().sort_index()
    index = pd.DatetimeIndex(raw.index)
    grid = pd.date_range(index[0], index[-1], freq=pd.Timedelta(minutes=step))
    full = _missing_days(raw.reindex(grid, fill_value=0.0), index)
    if interval_minutes % step:
        # Bins that straddle two intervals (6 minutes into 15): spread each count evenly
        # over its minutes, as if its contacts arrived uniformly within it.
        grid = pd.date_range(grid[0], periods=len(grid) * step, freq="min")
        full = pd.Series(np.repeat(full.to_numpy() / step, step), index=grid)
        step = 1
    bins = grid.floor(pd.Timedelta(minutes=interval_minutes))
    grouped = full.groupby(bins)
    total = grouped.sum(min_count=1).round(9)  # spread shares add up to whole counts
    complete = grouped.size() == interval_minutes // step
    return total[complete.to_numpy()]


def _missing_days(series: pd.Series, listed: pd.DatetimeIndex) -> pd.Series:
    """``series`` with NaN on the days where ``listed`` (the times in the file) has none."""
    days = pd.DatetimeIndex(series.index).normalize()
    absent = ~days.isin(listed.normalize().unique())
    return series.mask(np.asarray(absent, dtype=np.bool_))


def _binned_contacts(times: pd.DatetimeIndex, interval_minutes: int) -> pd.Series:
    step = pd.Timedelta(minutes=interval_minutes)
    counts = pd.Series(1.0, index=times.floor(step)).groupby(level=0).sum()
    first = times.min().normalize()
    last = times.max().normalize() + pd.Timedelta(days=1) - step
    full = counts.reindex(pd.date_range(first, last, freq=step), fill_value=0.0)
    return _missing_days(full, times)


def history_from_frame(
    frame: pd.DataFrame,
    interval_minutes: int = 30,
    queue: str | None = None,
    tz: str | None = None,
) -> dict[str, pd.Series]:
    """Contacts per ``interval_minutes`` interval, one series per queue (see module doc).

    With a ``queue`` column and ``queue`` given, only that queue is returned; without the
    column, the single series is named ``queue`` (default :data:`DEFAULT_QUEUE`). ``tz`` is
    the site's IANA time zone (``Asia/Shanghai``) that times with a UTC offset are read in.
    """
    if not 5 <= interval_minutes <= 60 or 1440 % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day and lie in 5..60: {interval_minutes}")
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    if frame.empty:
        raise ForecastError("the history has no rows")
    raw_contacts = "timestamp" in frame.columns
    count_col = next((c for c in _COUNT_COLUMNS if c in frame.columns), None)
    if not raw_contacts and ("interval_start" not in frame.columns or count_col is None):
        raise ForecastError(
            "history needs columns interval_start,contacts[,queue] (or date,interval_start,"
            f"calls) or a timestamp column; got {', '.join(map(str, frame.columns))}",
            columns=[str(c) for c in frame.columns],
        )
    if raw_contacts:
        times = _parse_times(frame["timestamp"], "timestamp", tz)
    elif "date" in frame.columns:
        combined = frame["date"].astype(str).str.strip() + " " + frame["interval_start"].astype(str)
        times = _parse_times(combined, "date and interval_start", tz)
    else:
        times = _parse_times(frame["interval_start"], "interval_start", tz)
    counts = np.ones(len(frame)) if raw_contacts else _counts(frame[count_col], str(count_col))
    if "queue" in frame.columns:
        names = frame["queue"].astype(str).str.strip().to_numpy()
        present = sorted(set(names.tolist()))
        if queue is not None and queue not in present:
            raise ForecastError(
                f"queue {queue!r} not in the history; queues: {', '.join(present)}",
                queue=queue,
            )
        wanted = present if queue is None else [queue]
    else:
        names = np.full(len(frame), queue or DEFAULT_QUEUE, dtype=object)
        wanted = [queue or DEFAULT_QUEUE]
    step = 0 if raw_contacts else _input_step(times, interval_minutes)
    out: dict[str, pd.Series] = {}
    for name in wanted:
        rows = names == name
        if raw_contacts:
            series = _binned_contacts(times[rows], interval_minutes)
        else:
            series = _interval_series(times[rows], counts[rows], step, interval_minutes)
        if series.empty:
            raise ForecastError(
                f"queue {name!r}: no whole {interval_minutes}-minute interval in the history"
            )
        series.index = pd.DatetimeIndex(series.index).rename("interval_start")
        out[name] = series.rename("contacts")
    return out


def load_history(
    path: str | Path,
    interval_minutes: int = 30,
    queue: str | None = None,
    tz: str | None = None,
) -> dict[str, pd.Series]:
    """Read a history CSV (see module doc) into one contacts series per queue."""
    return history_from_frame(_read_csv(Path(path)), interval_minutes, queue, tz)


def staffing_frame(
    forecasts: Iterable[tuple[str, Forecast]], aht_s: float | None = None
) -> pd.DataFrame:
    """Forecasts as staffing input: ``interval_start,queue,contacts,aht_s,lower,upper``.

    ``aht_s`` (average handling time, seconds) fills its column; None leaves it empty.
    """
    if aht_s is not None and not (math.isfinite(aht_s) and aht_s > 0):
        raise ValueError(f"aht_s must be > 0, got {aht_s}")
    parts = []
    for queue, fc in forecasts:
        parts.append(
            pd.DataFrame(
                {
                    "interval_start": fc.index.strftime("%Y-%m-%d %H:%M:%S"),
                    "queue": queue,
                    "contacts": np.round(fc.mean, 3),
                    "aht_s": aht_s if aht_s is not None else math.nan,
                    "lower": fc.lower,
                    "upper": fc.upper,
                }
            )
        )
    columns = ["interval_start", "queue", "contacts", "aht_s", "lower", "upper"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
