"""The live wallboard's figures: today's KPIs from :class:`kefu.analytics.KpiAccumulator`
fed with the engine's committed events, live queue figures from the router.

Per queue: contacts waiting and the longest current wait (router), SL today, ASA,
abandoned (analytics, standard definitions of ARCHITECTURE.md) and the predicted wait of a
new contact (the router's estimate). Agents: state and time in state. History for the
chart: SL per 5-minute interval and contacts waiting, sampled, over the last hour.

Today's totals are running counters (:class:`kefu.analytics.RunningKpis`) and only the last
hour's intervals are built, once per broadcast for every set of sites shown
(:meth:`WallboardProjection.snapshots`): the figures are read under the engine's lock, so
their cost delays every request.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.analytics import IntervalKpi, QueueKpi, RunningKpis
from kefu.domain import events as ev
from kefu.domain.model import Channel, ContactState
from kefu.service.engine import RoutingEngine
from kefu.service.ports import StoredEvent, UnitOfWork
from kefu.service.wallboard.supervision_records import QueueAlert, breached
from kefu.service.wallboard.views import (
    AgentFigures,
    Chart,
    KpiFigures,
    QueueFigures,
    WallboardSnapshot,
)

__all__ = ["HISTORY_S", "SL_INTERVAL_S", "Figures", "WallboardProjection"]

SL_INTERVAL_S = 300.0
"""Length of the SL intervals on the chart (seconds)."""
HISTORY_S = 3600.0
"""The chart's span (seconds)."""
SAMPLE_S = 10.0
"""Spacing of the waiting-contacts samples (seconds)."""
CHART_S = 1.0
"""The chart is rebuilt at most this often (seconds); the figures at every snapshot. Its
points are 5-minute intervals and 10-second samples, and rebuilding it is most of the
cost of a snapshot, which is taken under the engine's lock."""


def day_start(at: float, zone: ZoneInfo) -> float:
    """The instant (seconds) of the midnight that starts ``at``'s day in ``zone``."""
    local = datetime.fromtimestamp(at, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


@dataclass(frozen=True, slots=True)
class Figures:
    """What every snapshot of one instant shares: the instant (seconds), today's KPIs per
    queue, the chart's intervals and each queue's router status."""

    now: float
    today: Mapping[str, QueueKpi]
    intervals: tuple[IntervalKpi, ...] | None
    """``None`` while the charts built less than :data:`CHART_S` ago still serve."""
    status: dict[str, dict[str, Any]]


class WallboardProjection:
    """Consumes committed events; builds wallboard snapshots
    (:class:`~kefu.service.wallboard.views.WallboardSnapshot`)."""

    def __init__(self, engine: RoutingEngine, timezone: str = "Asia/Shanghai") -> None:
        self.engine = engine
        self.zone = ZoneInfo(timezone)
        self.day = -math.inf
        self.kpis = RunningKpis(SL_INTERVAL_S)
        self.seen_seq = 0
        self.loaded = 0
        """Stored events read by the last :meth:`load`."""
        self.samples: deque[tuple[float, dict[str, int]]] = deque(
            maxlen=int(HISTORY_S / SAMPLE_S) + 1
        )
        self._charts: dict[frozenset[str] | None, Chart] = {}
        self._charts_at = -math.inf
        self.alerts: Callable[[str], QueueAlert | None] = lambda _queue_id: None
        """The alert thresholds of a queue (the supervision desk's, wired by bootstrap)."""

    def _breached(
        self, queue_id: str, status: Mapping[str, Any], kpi: QueueKpi | None
    ) -> tuple[str, ...]:
        return breached(
            self.alerts(queue_id),
            None if kpi is None else kpi.service_level,
            status["waiting"],
            status["longest_wait_s"],
        )

    async def load(self) -> None:
        """Feed today's accumulator with today's stored events (start, and each new day).

        Only the events from the day's start are read, with the few earlier ones today's
        figures build on: the queue and agent definitions, and the earlier events of the
        contacts open now or named today (a contact queued before midnight and answered
        after it). The contacts are those open once what the router saw is stored, so a
        later event names a contact opened today or one of them."""
        engine = self.engine
        open_now = await engine.query(_open_contacts)
        day = day_start(engine.now(), self.zone)

        def read(uow: UnitOfWork) -> list[StoredEvent]:
            after = uow.events.position_at(day)
            today = list(uow.events.read(after))
            context = uow.events.read_context(after, _older(today, open_now))
            return [*context, *today]

        stored = await engine.read_store(read)
        self.loaded = len(stored)
        self.day = day
        self.kpis = RunningKpis(SL_INTERVAL_S, start=self.day)
        self.seen_seq = 0
        self._charts, self._charts_at = {}, -math.inf
        self.consume(stored)

    def consume(self, batch: Sequence[StoredEvent]) -> None:
        """Take a committed batch (duplicates by sequence number are skipped)."""
        fresh = [s.event for s in batch if s.seq > self.seen_seq]
        if fresh:
            self.kpis.consume_all(fresh)
            self.seen_seq = max(s.seq for s in batch)

    def needs_new_day(self) -> bool:
        return self.engine.now() >= self.day + 86_400 or self.day == -math.inf

    def sample_due(self, at: float) -> bool:
        """Whether a sample taken at ``at`` (seconds) would be kept: none was taken in the
        :data:`SAMPLE_S` before it."""
        return not self.samples or at - self.samples[-1][0] >= SAMPLE_S

    def sample(self, at: float, waiting: dict[str, int]) -> None:
        """Record the contacts waiting per queue (kept for the last hour)."""
        if self.sample_due(at):
            self.samples.append((at, waiting))

    def sample_now(self) -> None:
        """Record the contacts waiting now (the chart's history keeps growing while no
        wallboard is open). Call under the engine's lock."""
        engine = self.engine
        waiting = {q: engine.router.queue_status(q)["waiting"] for q in engine.router.queues}
        self.sample(engine.now(), waiting)

    def figures(self) -> Figures:
        """The shared figures now. Call under the engine's lock."""
        engine = self.engine
        now = max(engine.now(), self.kpis.start)
        status = {q: engine.router.queue_status(q) for q in engine.router.queues}
        self.sample(now, {q: s["waiting"] for q, s in status.items()})
        intervals = None
        if not 0 <= now - self._charts_at < CHART_S:
            intervals = self.kpis.recent(now - HISTORY_S, now)
            self._charts, self._charts_at = {}, now
        return Figures(now, self.kpis.totals(now), intervals, status)

    def snapshots(
        self, views: Iterable[frozenset[str] | None]
    ) -> dict[frozenset[str] | None, WallboardSnapshot]:
        """One snapshot per set of sites (``None``: all), from one reading of the figures.
        Call under the engine's lock."""
        figures = self.figures()
        out: dict[frozenset[str] | None, WallboardSnapshot] = {}
        for sites in views:
            if sites not in out:
                one = next(iter(sites)) if sites is not None and len(sites) == 1 else None
                out[sites] = self.snapshot(one, sites, figures)
        return out

    def snapshot(
        self,
        site_id: str | None = None,
        sites: frozenset[str] | None = None,
        figures: Figures | None = None,
    ) -> WallboardSnapshot:
        """The wallboard's figures now, for one site (and the queues shared with it), for a
        set of ``sites`` (a supervisor's), or all. Call under the engine's lock
        (:meth:`RoutingEngine.query`)."""
        if site_id is not None:
            sites = frozenset({site_id})
        if figures is None:
            figures = self.figures()
        engine = self.engine
        now = figures.now
        today = figures.today
        queues: list[QueueFigures] = []
        waiting_total = 0
        for queue_id, record in engine.router.queues.items():
            row = engine.queue_rows.get(queue_id)
            owner = row.site_id if row else record.spec.site_id
            status = figures.status[queue_id]
            if sites is not None and owner not in sites and not (row and row.shared):
                continue
            waiting_total += status["waiting"]
            queues.append(
                QueueFigures(
                    queue_id=queue_id,
                    name=record.spec.name or queue_id,
                    site_id=owner,
                    channel=record.spec.channel.value,
                    waiting=status["waiting"],
                    longest_wait_s=status["longest_wait_s"],
                    estimated_wait_s=status["estimated_wait_s"],
                    staffed=status["staffed"],
                    sl_target=record.spec.sl_target,
                    sl_threshold_s=record.spec.sl_threshold_s,
                    today=KpiFigures.of(today.get(queue_id)),
                    alerts=self._breached(queue_id, status, today.get(queue_id)),
                )
            )
        agents: list[AgentFigures] = []
        counts: dict[str, int] = {}
        for agent_id, agent in engine.router.agents.items():
            if sites is not None and agent.spec.site_id not in sites:
                continue
            activity = agent.activity
            interval = engine.intervals.open.get(agent_id)
            since = agent.state_since if interval is None else interval.start_at
            counts[activity] = counts.get(activity, 0) + 1
            agents.append(
                AgentFigures(
                    agent_id=agent_id,
                    name=agent.spec.name or agent_id,
                    site_id=agent.spec.site_id,
                    presence=agent.presence.value,
                    activity=activity,
                    reason=agent.reason,
                    pending=None if agent.pending is None else agent.pending[0].value,
                    contacts=len(agent.held),
                    time_in_state_s=max(0.0, now - since),
                    calls=tuple(
                        sorted(
                            contact_id
                            for contact_id, contact in agent.held.items()
                            if contact.channel is Channel.VOICE
                            and contact.state is ContactState.ACTIVE
                        )
                    ),
                )
            )
        return WallboardSnapshot(
            at=now,
            day_start=self.day,
            site_id=site_id,
            queues=tuple(queues),
            waiting=waiting_total,
            totals=KpiFigures.of(_merge(today[q.queue_id] for q in queues if q.queue_id in today)),
            agents=tuple(agents),
            agent_counts=counts,
            history=self._chart(sites, figures, queues),
        )

    def _chart(
        self, sites: frozenset[str] | None, figures: Figures, queues: list[QueueFigures]
    ) -> Chart:
        chart = self._charts.get(sites)
        if chart is None:
            intervals = figures.intervals
            if intervals is None:  # a set of sites not shown since the charts were built
                intervals = self.kpis.recent(figures.now - HISTORY_S, figures.now)
            chart = self._charts[sites] = self._history(
                intervals, figures.now, queues, sites is None
            )
        return chart

    def _history(
        self,
        intervals: Sequence[IntervalKpi],
        now: float,
        queues: list[QueueFigures],
        every: bool,
    ) -> Chart:
        since = now - HISTORY_S
        names = {q.queue_id for q in queues}
        sl: list[tuple[float, float | None]] = []
        for interval in intervals:
            if interval.end_s <= since:
                continue
            kpis = [k for q, k in interval.queues.items() if every or q in names]
            merged = _merge(kpis)
            sl.append((interval.start_s, None if merged is None else merged.service_level))
        waiting = tuple(
            (t, sum(n for q, n in per_queue.items() if every or q in names))
            for t, per_queue in self.samples
            if t >= since
        )
        return Chart(since, SL_INTERVAL_S, tuple(sl), waiting)


def _older(today: Sequence[StoredEvent], open_now: set[str]) -> set[str]:
    """The contacts of ``open_now`` and ``today``'s events that may have earlier events:
    not those whose first event today is their ``ContactQueued`` (a contact's first)."""
    named: set[str] = set()
    born: set[str] = set()
    for stored in today:
        contact_id = getattr(stored.event, "contact_id", None)
        if isinstance(contact_id, str):
            if contact_id not in named and isinstance(stored.event, ev.ContactQueued):
                born.add(contact_id)
            named.add(contact_id)
    return (open_now | named) - born


def _open_contacts(engine: RoutingEngine) -> set[str]:
    """The router's contacts not yet in a final state."""
    return {
        contact_id
        for contact_id, contact in engine.router.contacts.items()
        if contact.state not in _FINAL
    }


_FINAL = frozenset({ContactState.COMPLETED, ContactState.ABANDONED, ContactState.TRANSFERRED_OUT})


def _merge(kpis: Iterable[QueueKpi]) -> QueueKpi | None:
    merged: QueueKpi | None = None
    for kpi in kpis:
        merged = kpi if merged is None else merged.merge(kpi)
    return merged
