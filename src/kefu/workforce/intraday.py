"""Intraday: today's forecast against the contacts so far, the rest of the day
re-forecast from them, and the staffing gap per interval.

The re-forecast scales the rest of the day's forecast by the ratio of the contacts seen
to those forecast so far, with a prior of ``prior`` contacts on each side so that the
first quiet minutes of a morning do not swing it (a ratio of (actual + prior) /
(forecast + prior)). Agents needed come from the same Erlang staffing as the plan
(:func:`~kefu.workforce.staffing.build_plan`, with shrinkage); the gap is agents
scheduled (on shift and not on a break, from the published shifts) less agents needed.
Times: interval starts in seconds since the epoch; counts are contacts per interval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from kefu.workforce.required import StaffingTarget
from kefu.workforce.staffing import VolumeRow, build_plan

__all__ = ["Intraday", "IntradayRow", "intraday", "reforecast", "scheduled_per_interval"]

PRIOR_CONTACTS = 5.0


@dataclass(frozen=True, slots=True)
class IntradayRow:
    """One interval: its start (s), the forecast, the actual count (``None`` for an
    interval not over yet), the re-forecast (the actual once over), agents needed (after
    shrinkage) for the re-forecast, agents scheduled and the gap (scheduled − needed)."""

    start: float
    forecast: float
    actual: float | None
    reforecast: float
    needed: int
    scheduled: int

    @property
    def gap(self) -> int:
        return self.scheduled - self.needed


@dataclass(frozen=True, slots=True)
class Intraday:
    """The day's rows and the ratio the rest of the day was scaled by."""

    rows: tuple[IntradayRow, ...]
    ratio: float
    elapsed: int


def scheduled_per_interval(
    shifts: Sequence[tuple[float, float, Sequence[tuple[float, float]]]],
    starts: Sequence[float],
    interval_s: float,
) -> list[int]:
    """Agents on shift and off break at the middle of each interval; ``shifts`` are
    (start, end, breaks) in seconds."""
    out = []
    for start in starts:
        mid = start + interval_s / 2
        out.append(
            sum(
                1
                for a, b, breaks in shifts
                if a <= mid < b and not any(x <= mid < y for x, y in breaks)
            )
        )
    return out


def reforecast(
    forecast: Sequence[float], actual: Sequence[float], prior: float = PRIOR_CONTACTS
) -> tuple[float, list[float]]:
    """The day re-forecast from the counts of its first ``len(actual)`` intervals (contacts
    per interval): those counts, then the rest of ``forecast`` scaled by the damped ratio
    (Σ actual + ``prior``) / (Σ forecast so far + ``prior``). Returns (ratio, the day)."""
    if len(actual) > len(forecast):
        raise ValueError("actual may not be longer than the forecast")
    elapsed = len(actual)
    ratio = (sum(actual) + prior) / (sum(forecast[:elapsed]) + prior)
    return ratio, [float(a) for a in actual] + [f * ratio for f in forecast[elapsed:]]


def intraday(
    starts: Sequence[float],
    forecast: Sequence[float],
    actual: Sequence[float],
    scheduled: Sequence[int],
    *,
    aht_s: float,
    interval_s: int,
    target: StaffingTarget,
    shrinkage: float,
    prior: float = PRIOR_CONTACTS,
) -> Intraday:
    """The day by interval; ``actual`` holds the counts of the intervals over (the first
    ``len(actual)``)."""
    if not len(starts) == len(forecast) == len(scheduled) or len(actual) > len(starts):
        raise ValueError("starts, forecast and scheduled must align; actual may not be longer")
    elapsed = len(actual)
    ratio, refc = reforecast(forecast, actual, prior)
    volumes = [
        VolumeRow(dt.datetime.fromtimestamp(t, dt.UTC), "day", max(0.0, c), aht_s)
        for t, c in zip(starts, refc, strict=True)
    ]
    plan = build_plan(volumes, target, shrinkage=shrinkage, interval_seconds=interval_s)
    rows = tuple(
        IntradayRow(
            starts[i],
            float(forecast[i]),
            float(actual[i]) if i < elapsed else None,
            refc[i],
            plan.rows[i].scheduled,
            int(scheduled[i]),
        )
        for i in range(len(starts))
    )
    return Intraday(rows, ratio, elapsed)
