"""Business calendars: when a site is open, and clocks that count only open time.

A :class:`BusinessCalendar` belongs to a site: its IANA time zone, working hours per weekday
(several spans a day, e.g. 09:00–12:00 and 13:30–18:00), holidays (closed all day) and make-up
working days (a Saturday worked in place of a holiday, common in China) with their own hours.

Definition used everywhere: an instant ``t`` (Unix seconds) is *open* when its local wall-clock
time, read in the calendar's zone, falls in one of the spans ``[start, end)`` of its local date.
So on a DST day a span covers exactly the real instants whose clock reading is inside it: a span
across the spring-forward gap is an hour shorter, one across the fall-back overlap an hour
longer, and wall-clock times that never happen are simply never open.

:meth:`business_seconds` measures open time between two instants and
:meth:`add_business_seconds` is its inverse (the first instant at which that much open time has
passed). Pure: no wall clock; ``now`` is always an argument.
"""

from __future__ import annotations

import calendar as _stdcal
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.domain.errors import ValidationError

__all__ = ["DAY_S", "BusinessCalendar", "Span", "parse_spans"]

DAY_S = 86_400
Span = tuple[int, int]
"""Local working time ``[start, end)`` in seconds after local midnight (0 ≤ start < end ≤ 86400)."""

_MAX_CLOSED_DAYS = 3 * 366
"""A search for open time gives up after this many consecutive closed days (a calendar that
never opens again would otherwise loop for ever)."""

_SPAN_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


def parse_spans(text: str) -> tuple[Span, ...]:
    """``"09:00-12:00, 13:30-18:00"`` → ``((32400, 43200), (48600, 64800))``; ``24:00`` ends a
    day; ``""`` is closed. Full-width commas and ``至`` are accepted."""
    spans: list[Span] = []
    for part in re.split(r"[,，;；]", text):
        if not part.strip():
            continue
        match = _SPAN_RE.match(part)
        if match is None:
            raise ValidationError(f"bad working-hours span {part.strip()!r} (want HH:MM-HH:MM)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59:
            raise ValidationError(f"bad minutes in working-hours span {part.strip()!r}")
        spans.append((h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60))
    return _check_spans(tuple(sorted(spans)))


def _check_spans(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    previous_end = -1
    for start, end in spans:
        if not (0 <= start < end <= DAY_S):
            raise ValidationError(f"working-hours span {start}-{end} s is not inside one day")
        if start < previous_end:
            raise ValidationError("working-hours spans of one day overlap")
        previous_end = end
    return spans


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours of one site.

    ``weekly[d]`` are the spans of weekday ``d`` (0 = Monday … 6 = Sunday); ``holidays`` are
    closed dates; ``workdays`` maps make-up working dates to their spans, overriding the weekday
    (a date cannot be both).
    """

    time_zone: str
    weekly: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()
    # Left out of the hash (a mapping is not hashable); equality still compares it.
    workdays: Mapping[date, tuple[Span, ...]] = field(default_factory=dict, hash=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"unknown time zone {self.time_zone!r}") from exc
        object.__setattr__(self, "_zone", zone)
        if len(self.weekly) != 7:
            raise ValidationError("weekly hours need exactly 7 days (Monday first)")
        object.__setattr__(self, "weekly", tuple(_check_spans(tuple(d)) for d in self.weekly))
        both = self.holidays & set(self.workdays)
        if both:
            raise ValidationError(f"{min(both)} is both a holiday and a working day")
        checked = {d: _check_spans(tuple(s)) for d, s in sorted(self.workdays.items())}
        object.__setattr__(self, "workdays", MappingProxyType(checked))

    @classmethod
    def weekdays(
        cls,
        time_zone: str,
        hours: str = "09:00-18:00",
        *,
        saturday: str = "",
        sunday: str = "",
        holidays: frozenset[date] = frozenset(),
        workdays: Mapping[date, str] | None = None,
    ) -> BusinessCalendar:
        """Monday–Friday ``hours`` (see :func:`parse_spans`), optional weekend hours."""
        week = parse_spans(hours)
        return cls(
            time_zone,
            (week,) * 5 + (parse_spans(saturday), parse_spans(sunday)),
            holidays,
            {d: parse_spans(text) for d, text in (workdays or {}).items()},
        )

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """Open around the clock: business time equals elapsed time."""
        return cls(time_zone, (((0, DAY_S),),) * 7)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """Working spans of a local date, after holidays and make-up days."""
        if day in self.holidays:
            return ()
        found = self.workdays.get(day)
        return found if found is not None else self.weekly[day.weekday()]

    # -- instants -------------------------------------------------------------------------

    def is_open(self, t: float) -> bool:
        """Whether the site is open at instant ``t`` (Unix seconds)."""
        local = datetime.fromtimestamp(t, self._zone)
        second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return any(start <= second < end for start, end in self.spans_on(local.date()))

    def open_intervals(self, a: float, b: float) -> Iterator[tuple[float, float]]:
        """Maximal open intervals ``[start, end)`` clipped to ``[a, b)``, in order."""
        pending: tuple[float, float] | None = None
        for start, end in self._raw_intervals(a):
            if start >= b:
                break
            start, end = max(start, a), min(end, b)
            if end <= start:
                continue
            if pending is not None and start <= pending[1]:
                pending = (pending[0], max(pending[1], end))
                continue
            if pending is not None:
                yield pending
            pending = (start, end)
        if pending is not None:
            yield pending

    def business_seconds(self, a: float, b: float) -> float:
        """Open time in ``[a, b)``, in seconds (``a <= b``)."""
        if b < a:
            raise ValidationError(f"business time from {a} to an earlier instant {b}")
        return sum(end - start for start, end in self.open_intervals(a, b))

    def add_business_seconds(self, t: float, seconds: float) -> float:
        """The first instant ``u >= t`` with ``business_seconds(t, u) == seconds``."""
        if seconds < 0:
            raise ValidationError(f"cannot add negative business time ({seconds} s)")
        if seconds == 0:
            return t
        left = seconds
        for start, end in self._raw_intervals(t):
            start = max(start, t)
            if end <= start:
                continue
            if end - start >= left:
                return start + left
            left -= end - start
        raise AssertionError("unreachable: _raw_intervals raises when the calendar stays closed")

    def next_opening(self, t: float) -> float:
        """``t`` if open, else the instant the site next opens."""
        for start, end in self._raw_intervals(t):
            if end > t:
                return max(start, t)
        raise AssertionError("unreachable: _raw_intervals raises when the calendar stays closed")

    def next_closing(self, t: float) -> float:
        """The end of the open stretch containing ``t`` (``t`` itself when closed; infinity
        when it stays open for over a year, e.g. an always-open calendar)."""
        if not self.is_open(t):
            return t
        closes = t
        for start, end in self._raw_intervals(t):
            if end <= closes:
                continue
            if start > closes:
                break
            closes = end
            if closes - t > 366 * DAY_S:
                return math.inf
        return closes

    # -- storage ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (spans as ``[start, end]`` seconds, dates as ISO strings)."""
        return {
            "time_zone": self.time_zone,
            "weekly": [[list(s) for s in day] for day in self.weekly],
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": {d.isoformat(): [list(s) for s in v] for d, v in self.workdays.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Rebuild from :meth:`to_dict`'s form; malformed input raises ``ValidationError``."""
        try:
            return cls(
                str(data["time_zone"]),
                tuple(tuple((int(s), int(e)) for s, e in day) for day in data["weekly"]),
                frozenset(date.fromisoformat(d) for d in data.get("holidays", ())),
                {
                    date.fromisoformat(d): tuple((int(s), int(e)) for s, e in v)
                    for d, v in dict(data.get("workdays", {})).items()
                },
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"malformed business calendar: {exc}") from exc

    # -- internals -------------------------------------------------------------------------

    def _raw_intervals(self, t: float) -> Iterator[tuple[float, float]]:
        """Open intervals of every local day from the one containing ``t`` on, endless; raises
        when the calendar stays closed for ``_MAX_CLOSED_DAYS`` days in a row."""
        day = datetime.fromtimestamp(t, self._zone).date() - timedelta(days=1)
        closed = 0
        while True:
            spans = self.spans_on(day)
            if spans:
                closed = 0
                yield from self._day_intervals(day, spans)
            else:
                closed += 1
                if closed > _MAX_CLOSED_DAYS:
                    raise ValidationError(
                        f"calendar in {self.time_zone} stays closed for over "
                        f"{_MAX_CLOSED_DAYS} days after {day}"
                    )
            day += timedelta(days=1)

    def _day_intervals(self, day: date, spans: tuple[Span, ...]) -> Iterator[tuple[float, float]]:
        """Real intervals whose local clock reading is in ``spans`` on ``day``; a day is cut
        into pieces of constant UTC offset so DST gaps and overlaps come out exactly."""
        naive_midnight = _stdcal.timegm(day.timetuple())
        begin = self._instant(day)
        finish = self._instant(day + timedelta(days=1))
        for piece_start, piece_end, offset in self._pieces(begin, finish):
            for start, end in spans:
                lo = max(naive_midnight + start - offset, piece_start)
                hi = min(naive_midnight + end - offset, piece_end)
                if hi > lo:
                    yield float(lo), float(hi)

    def _instant(self, day: date) -> int:
        """The first instant of a local date (at a gap, the transition itself)."""
        return int(datetime(day.year, day.month, day.day, tzinfo=self._zone).timestamp())

    def _offset(self, instant: int) -> int:
        delta = datetime.fromtimestamp(instant, UTC).astimezone(self._zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    def _pieces(self, begin: int, finish: int) -> list[tuple[int, int, int]]:
        """``[begin, finish)`` split at its UTC-offset change (at most one a day is assumed,
        true of every zone in use), as ``(start, end, offset)``."""
        first, last = self._offset(begin), self._offset(finish - 1)
        if first == last:
            return [(begin, finish, first)]
        lo, hi = begin, finish - 1  # offset(lo) == first, offset(hi) == last
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset(mid) == first:
                lo = mid
            else:
                hi = mid
        return [(begin, hi, first), (hi, finish, last)]
