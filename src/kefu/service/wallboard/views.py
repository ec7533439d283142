"""The wallboard's read models: what one snapshot shows, as frozen dataclasses.

:class:`WallboardSnapshot` is built under the engine's lock by
:class:`~kefu.service.wallboard.projection.WallboardProjection`; its :meth:`to_json` is
the frame the page receives (the keys and their order are the page's contract, tested
byte for byte), and may be called after the lock is released. Times are seconds since
the epoch, durations seconds, rates fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu.analytics import QueueKpi

__all__ = ["AgentFigures", "Chart", "KpiFigures", "QueueFigures", "WallboardSnapshot"]


@dataclass(frozen=True, slots=True)
class KpiFigures:
    """Today's KPIs of a queue or of a set of queues (standard definitions of
    :mod:`kefu.analytics.records`); ``None`` where nothing defines them yet."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    service_level: float | None = None
    asa_s: float | None = None
    abandon_rate: float | None = None

    @classmethod
    def of(cls, kpi: QueueKpi | None) -> KpiFigures:
        """The figures of ``kpi`` (all zero and ``None`` without one)."""
        if kpi is None:
            return _NO_KPI
        return cls(
            kpi.offered,
            kpi.answered,
            kpi.abandoned,
            kpi.short_abandons,
            kpi.service_level,
            kpi.asa_s,
            kpi.abandon_rate,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandons": self.short_abandons,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
            "abandon_rate": self.abandon_rate,
        }


_NO_KPI = KpiFigures()


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """One queue: the router's live figures and today's KPIs."""

    queue_id: str
    name: str
    site_id: str | None
    channel: str
    waiting: int
    longest_wait_s: float
    estimated_wait_s: float | None
    """A new contact's predicted wait; ``None`` when nobody staffs the queue."""
    staffed: int
    sl_target: float
    sl_threshold_s: float
    today: KpiFigures

    def to_json(self) -> dict[str, Any]:
        return {
            "queue_id": self.queue_id,
            "name": self.name,
            "site_id": self.site_id,
            "channel": self.channel,
            "waiting": self.waiting,
            "longest_wait_s": self.longest_wait_s,
            "estimated_wait_s": self.estimated_wait_s,
            "staffed": self.staffed,
            "sl_target": self.sl_target,
            "sl_threshold_s": self.sl_threshold_s,
            **self.today.to_json(),
        }


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent: presence, what it is doing and for how long."""

    agent_id: str
    name: str
    site_id: str | None
    presence: str
    activity: str
    reason: str | None
    pending: str | None
    """The presence the agent asked for once its contacts end, if any."""
    contacts: int
    time_in_state_s: float
    calls: tuple[str, ...] = ()
    """The ids of the voice contacts the agent is talking on (a supervisor may join)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "site_id": self.site_id,
            "presence": self.presence,
            "activity": self.activity,
            "reason": self.reason,
            "pending": self.pending,
            "contacts": self.contacts,
            "time_in_state_s": self.time_in_state_s,
            "calls": list(self.calls),
        }


@dataclass(frozen=True, slots=True)
class Chart:
    """The last hour: SL per interval of ``sl_interval_s`` (``None`` without an outcome)
    and samples of the contacts waiting, as (instant, value) points from ``since``."""

    since: float
    sl_interval_s: float
    sl: tuple[tuple[float, float | None], ...]
    waiting: tuple[tuple[float, int], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "sl_interval_s": self.sl_interval_s,
            "sl": [[at, value] for at, value in self.sl],
            "waiting": [[at, value] for at, value in self.waiting],
        }


@dataclass(frozen=True, slots=True)
class WallboardSnapshot:
    """The wallboard at instant ``at`` for one site (``site_id``), a set of sites or all
    of them: its queues, their totals, its agents and the chart."""

    at: float
    day_start: float
    """The midnight (site's zone) that began the day the KPIs count."""
    site_id: str | None
    queues: tuple[QueueFigures, ...]
    waiting: int
    """Contacts waiting in all the queues shown."""
    totals: KpiFigures
    agents: tuple[AgentFigures, ...]
    agent_counts: Mapping[str, int]
    """Agents shown per activity, in the order first met."""
    history: Chart

    def queue(self, queue_id: str) -> QueueFigures:
        """The figures of a queue shown (:class:`KeyError` if it is not)."""
        for queue in self.queues:
            if queue.queue_id == queue_id:
                return queue
        raise KeyError(queue_id)

    def to_json(self) -> dict[str, Any]:
        """The frame the page receives."""
        return {
            "at": self.at,
            "day_start": self.day_start,
            "site_id": self.site_id,
            "queues": [queue.to_json() for queue in self.queues],
            "totals": {"waiting": self.waiting, **self.totals.to_json()},
            "agents": [agent.to_json() for agent in self.agents],
            "agent_counts": dict(self.agent_counts),
            "history": self.history.to_json(),
        }
