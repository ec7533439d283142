"""Requirement CSVs in, schedule tables out.

A requirement CSV has ``interval_start`` and a value column: ``required`` agents, or the
staffing plan ``kefu staff`` writes (``interval_start,queue,...,scheduled``), whose rows are
summed over queues. ``interval_start`` is a date-time (``2024-03-04 08:30``) or, for one
day, a time of day (``08:30``). Intervals missing from the file need no agents.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kefu.workforce.schedule_shifts import format_clock
from kefu.workforce.schedule_types import DAY_S, ScheduleError, ScheduleResult

__all__ = [
    "Requirement",
    "assignment_rows",
    "interval_label",
    "interval_rows",
    "read_requirement_csv",
    "requirement_from_series",
    "summary",
]

_TIME_ONLY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
# Preferred value columns, in order: the staffing plan's agents to schedule, then required.
_VALUE_COLUMNS = ("scheduled", "required")


@dataclass(frozen=True)
class Requirement:
    """Agents required per interval from midnight of day 0.

    ``origin`` is that midnight when the source had dates (``None`` for a bare day);
    ``column`` names the source column.
    """

    required: tuple[float, ...]
    interval_s: int
    origin: datetime | None = None
    column: str = "required"

    @property
    def first_weekday(self) -> int:
        """Weekday of day 0 (0 = Monday); Monday when there are no dates."""
        return self.origin.weekday() if self.origin is not None else 0


def interval_label(offset_s: int, origin: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` of an offset from the origin, or ``dN HH:MM`` without dates."""
    if origin is not None:
        return (origin + timedelta(seconds=offset_s)).strftime("%Y-%m-%d %H:%M")
    day, rest = divmod(offset_s, DAY_S)
    return f"d{day} {format_clock(rest)}"


def requirement_from_series(
    starts: list[datetime] | list[int], values: list[float], column: str = "required"
) -> Requirement:
    """Lay (start, agents) pairs onto a regular grid from midnight of the first day.

    ``starts`` are date-times or seconds after midnight of day 0; repeated starts are
    summed (several queues); the interval is the smallest gap between starts.
    """
    if not starts:
        raise ScheduleError("the requirement has no rows")
    origin: datetime | None = None
    if isinstance(starts[0], datetime):
        stamps = [s for s in starts if isinstance(s, datetime)]
        first = min(stamps)
        origin = first.replace(hour=0, minute=0, second=0, microsecond=0)
        offsets = [round((s - origin).total_seconds()) for s in stamps]
    else:
        offsets = [int(s) for s in starts if isinstance(s, int)]
    if len(offsets) != len(starts) or min(offsets) < 0:
        raise ScheduleError("interval starts must be all date-times or all times of day >= 0")
    totals: dict[int, float] = {}
    for offset, value in zip(offsets, values, strict=True):
        if not math.isfinite(value) or value < 0:
            raise ScheduleError(f"{column} must be a number >= 0, got {value} at offset {offset}")
        totals[offset] = totals.get(offset, 0.0) + value
    keys = sorted(totals)
    gaps = [b - a for a, b in itertools.pairwise(keys)]
    interval = min(gaps) if gaps else _single_interval(keys[0])
    misaligned = [k for k in keys if k % interval]
    if misaligned:
        raise ScheduleError(
            f"interval starts must fall on multiples of the {interval} s interval from "
            f"midnight; {interval_label(misaligned[0], origin)} does not"
        )
    grid = [0.0] * (keys[-1] // interval + 1)
    for key, value in totals.items():
        grid[key // interval] = value
    return Requirement(tuple(grid), interval, origin, column)


def _single_interval(offset: int) -> int:
    for candidate in (3600, 1800, 900, 300, 60):
        if offset % candidate == 0:
            return candidate
    raise ScheduleError("cannot tell the interval length from a single row")


def read_requirement_csv(path: str | Path, column: str | None = None) -> Requirement:
    """Read a requirement or staffing-plan CSV (UTF-8); see the module docstring."""
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, encoding="utf-8", skipinitialspace=True)
    except FileNotFoundError as exc:
        raise ScheduleError(f"requirement file {path} not found") from exc
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ScheduleError(f"cannot read requirement file {path}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if "interval_start" not in frame.columns:
        raise ScheduleError(
            f"{path.name}: missing column interval_start (found: {', '.join(frame.columns)})"
        )
    if column is None:
        column = next((c for c in _VALUE_COLUMNS if c in frame.columns), None)
        if column is None:
            raise ScheduleError(
                f"{path.name}: needs a 'required' or 'scheduled' column "
                f"(found: {', '.join(frame.columns)})"
            )
    elif column not in frame.columns:
        raise ScheduleError(f"{path.name}: no column {column!r}")
    if frame.empty:
        raise ScheduleError(f"{path.name}: no rows")
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ScheduleError(
            f"{path.name} row {row + 2}: {column} must be a number >= 0, "
            f"got {frame[column].iloc[row]!r}"
        )
    texts = [str(v).strip() for v in frame["interval_start"]]
    starts: list[datetime] | list[int]
    if all(_TIME_ONLY.match(t) for t in texts):
        starts = [_clock_seconds(t) for t in texts]
    else:
        parsed = pd.to_datetime(pd.Series(texts), errors="coerce")
        if parsed.isna().any():
            row = int(parsed.isna().to_numpy().nonzero()[0][0])
            raise ScheduleError(
                f"{path.name} row {row + 2}: interval_start {texts[row]!r} is not a date-time"
            )
        starts = [ts.to_pydatetime().replace(tzinfo=None) for ts in parsed]
    return requirement_from_series(starts, [float(v) for v in values], column)


def _clock_seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def interval_rows(result: ScheduleResult, origin: datetime | None) -> list[dict[str, Any]]:
    """Per interval: start, required, scheduled, over and under (agents)."""
    return [
        {
            "interval_start": interval_label(c.start_s, origin),
            "required": round(c.required, 4),
            "scheduled": round(c.scheduled, 4),
            "over": round(c.over, 4),
            "under": round(c.under, 4),
        }
        for c in result.intervals
    ]


def assignment_rows(result: ScheduleResult, origin: datetime | None) -> list[dict[str, Any]]:
    """Per shift worked: type, start, end, breaks, agents, paid hours and cost."""
    return [
        {
            "shift": a.shift,
            "day": a.day,
            "start": interval_label(a.start_s, origin),
            "end": interval_label(a.start_s + a.length_s, origin),
            "breaks": "; ".join(
                f"{format_clock(s % DAY_S)}-{format_clock((s + n) % DAY_S)}" for s, n in a.breaks
            ),
            "agents": a.agents,
            "paid_hours": round(a.paid_hours, 4),
            "cost": round(a.cost, 4),
        }
        for a in result.assignments
    ]


def summary(result: ScheduleResult) -> dict[str, Any]:
    """Headline figures of a schedule, JSON-ready."""
    return {
        "status": result.status,
        "objective": round(result.objective, 4),
        "best_bound": round(result.best_bound, 4),
        "gap": round(result.gap, 6),
        "cost": round(result.cost, 4),
        "paid_hours": round(result.paid_hours, 4),
        "agents": result.agents,
        "under_agent_hours": round(result.under_agent_hours, 4),
        "over_agent_hours": round(result.over_agent_hours, 4),
        "understaffed_intervals": result.understaffed_intervals,
        "intervals": len(result.intervals),
        "interval_s": result.interval_s,
        "shift_types": result.num_shift_types,
        "variables": result.num_variables,
        "parts": result.num_parts,
        "wall_time_s": round(result.wall_time_s, 3),
    }
