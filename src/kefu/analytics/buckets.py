"""Report periods cut along a site's wall clock: intervals, days, ISO weeks, months.

A historical report covers a range [since, until) of instants (seconds since the Unix
epoch) cut into buckets whose edges fall on the local time of one time zone (the site's):
an interval of 30 minutes starts at :00 or :30 local time, a day at local midnight, a week
on Monday at midnight and a month on its first day. Daylight-saving changes make some days
23 or 25 hours long; the edges stay on the wall clock.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.domain.errors import ValidationError

__all__ = ["INTERVAL_MINUTES", "Buckets", "parse_period", "zone"]

INTERVAL_MINUTES = (5, 15, 30, 60)
"""Interval lengths (minutes) a report may be cut into."""
PERIODS = ("day", "week", "month")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``); unknown names are refused."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {name!r}", timezone=name) from exc


def parse_period(text: str) -> tuple[str, int]:
    """``interval:30`` → (``"interval"``, 30 minutes); ``day``/``week``/``month`` → (name, 0)."""
    kind, _, size = text.strip().lower().partition(":")
    if kind == "interval":
        try:
            minutes = int(size or "30")
        except ValueError:
            minutes = -1
        if minutes not in INTERVAL_MINUTES:
            raise ValidationError(
                f"interval must be one of {', '.join(map(str, INTERVAL_MINUTES))} minutes, "
                f"not {size!r}",
                period=text,
            )
        return kind, minutes
    if kind in PERIODS and not size:
        return kind, 0
    raise ValidationError(
        f"unknown period {text!r}: use interval:5, interval:15, interval:30, interval:60, day, "
        "week or month",
        period=text,
    )


def _local_floor(t: datetime, kind: str, minutes: int) -> datetime:
    """The start (local wall time, naive) of the bucket holding local wall time ``t``."""
    if kind == "interval":
        return t.replace(minute=t.minute - t.minute % minutes, second=0, microsecond=0)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _local_next(t: datetime, kind: str, minutes: int) -> datetime:
    if kind == "interval":
        return t + timedelta(minutes=minutes)
    if kind == "day":
        return t + timedelta(days=1)
    if kind == "week":
        return t + timedelta(days=7)
    return t.replace(year=t.year + 1, month=1) if t.month == 12 else t.replace(month=t.month + 1)


@dataclass(frozen=True, slots=True)
class Buckets:
    """The edges (seconds) of the buckets of [since, until): ``edges[0] == since``,
    ``edges[-1] == until``; bucket ``i`` is [edges[i], edges[i + 1])."""

    edges: tuple[float, ...]
    period: str
    timezone: str

    @classmethod
    def cut(cls, since: float, until: float, period: str, timezone: str = "UTC") -> Buckets:
        """Cut [since, until) seconds along ``period`` (``interval:30``, ``day``, ...) in
        ``timezone``; the first and last buckets are partial when the range does not start
        or end on an edge."""
        if not (math.isfinite(since) and math.isfinite(until)) or not until > since:
            raise ValidationError(
                f"the range end ({until} s) must be after its start ({since} s)",
                since=since,
                until=until,
            )
        kind, minutes = parse_period(period)
        tz = zone(timezone)
        edges = [since]
        local = _local_floor(datetime.fromtimestamp(since, tz).replace(tzinfo=None), kind, minutes)
        while True:
            local = _local_next(local, kind, minutes)
            # An interval edge inside a daylight-saving gap does not exist on the wall
            # clock; the wall time after the gap maps back to a later instant, kept in
            # order by the check below.
            at = local.replace(tzinfo=tz).astimezone(UTC).timestamp()
            if at >= until:
                break
            if at > edges[-1]:
                edges.append(at)
        edges.append(until)
        return cls(tuple(edges), period, timezone)

    def __len__(self) -> int:
        return len(self.edges) - 1

    def index(self, at: float) -> int:
        """The bucket holding instant ``at``; −1 outside [since, until)."""
        edges = self.edges
        if not edges[0] <= at < edges[-1]:
            return -1
        return bisect_right(edges, at) - 1

    def accrue(self, bins: dict[int, float], t0: float, t1: float) -> None:
        """Add the seconds of [t0, t1) inside the range to the bucket totals ``bins``."""
        edges = self.edges
        t0 = max(t0, edges[0])
        t1 = min(t1, edges[-1])
        if t1 <= t0:
            return
        k = bisect_right(edges, t0) - 1
        while True:
            edge = edges[k + 1]
            if t1 <= edge:
                bins[k] = bins.get(k, 0.0) + (t1 - t0)
                return
            bins[k] = bins.get(k, 0.0) + (edge - t0)
            t0 = edge
            k += 1
