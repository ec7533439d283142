"""Running KPI totals over a window (a wallboard's day), kept up to date event by event.

:class:`RunningKpis` feeds every event to two :class:`~kefu.analytics.KpiAccumulator`:
one with the chart's intervals, of which only the recent ones are ever built, and one
whose single interval spans the window, so the window's totals per queue are a few
counters incremented as events arrive, not a sum over every interval since the window
opened. Both apply the same handlers, so the figures follow the same definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kefu.analytics.kpi import KpiAccumulator
from kefu.analytics.records import IntervalKpi, QueueKpi
from kefu.domain import events as ev

__all__ = ["WHOLE_S", "RunningKpis"]

WHOLE_S = float(2**40)
"""Interval length (seconds, about 35,000 years) of the totals accumulator: every instant
of a real window falls into its interval 0."""


class RunningKpis:
    """KPIs of the window [start, end) seconds: totals per queue and recent intervals of
    ``interval_s`` seconds (counted from instant 0), both up to date after each event."""

    def __init__(self, interval_s: float, *, start: float = 0.0, end: float | None = None):
        self.start = float(start)
        self.intervals = KpiAccumulator(interval_s, start=start, end=end)
        self._totals = KpiAccumulator(WHOLE_S, start=start, end=end)

    def consume_all(self, events: Iterable[ev.Event]) -> None:
        """Take a batch of events in log order."""
        batch = events if isinstance(events, list | tuple) else list(events)
        self.intervals.consume_all(batch)
        self._totals.consume_all(batch)

    def totals(self, at: float | None = None) -> Mapping[str, QueueKpi]:
        """Per queue, the KPIs of the window so far (as ``KpiAccumulator.result(at)
        .queues`` gives them); open queue-length time is counted up to ``at`` seconds."""
        return self._totals.result(at).queues

    def recent(self, since: float, at: float | None = None) -> tuple[IntervalKpi, ...]:
        """The chart's intervals that end after ``since`` (seconds), counted up to ``at``."""
        return self.intervals.recent_intervals(since, at)
