"""Historical reports: the standard figures over any range, per bucket and group.

A report covers the contacts that entered a queue in [since, until) (seconds since the
epoch), cut into buckets along a site's wall clock (:mod:`kefu.analytics.buckets`) and
grouped by any of site, queue, channel, agent, disposition and value tier. Contact
figures are counted by :class:`~kefu.analytics.tallies.Tally` into
:class:`~kefu.analytics.records.QueueKpi` records, exactly as the live KPIs are; each
visit counts in the bucket in which it entered the queue. Contacts waiting or ringing at
``since`` entered before it and are not counted; those waiting at ``until`` are followed
to their outcome as far as the events read go (``as_of``), and a contact still waiting
then counts in SL only once it has waited past T (the "outcome known" rule). Agent time
(occupancy, utilisation) is the part of each agent's time inside each bucket; it can be
split by site and agent only, so rows grouped by anything else carry none.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.analytics.buckets import Buckets
from kefu.analytics.records import DEFAULT_WAIT_BINS_S, QueueKpi
from kefu.analytics.report_build import queue_kpi
from kefu.analytics.tallies import Tally
from kefu.analytics.visits import (
    ABANDONED,
    ANSWERED,
    HANDED_OVER,
    AgentSeconds,
    Visit,
    VisitLog,
)
from kefu.domain import events as ev
from kefu.domain.errors import ValidationError

__all__ = [
    "AGENT_DIMENSIONS",
    "DIMENSIONS",
    "SL_VARIANT",
    "HistoryBuilder",
    "HistoryReport",
    "ReportRow",
    "group_key",
    "history_report",
    "parse_group_by",
]

DIMENSIONS = ("site", "queue", "channel", "agent", "disposition", "value_tier")
"""What a report can be grouped by."""
AGENT_DIMENSIONS = frozenset({"site", "agent"})
"""The dimensions agent time can be split by (an agent serves many queues and channels)."""
NONE_LABEL = "-"
"""The group label of a contact without the value (not answered: no agent)."""
_ELSEWHERE = ("\x00elsewhere",)
"""The key of agent time outside the sites a report is limited to (dropped)."""
SL_VARIANT = (
    "SL(T) = answered within T s / (offered - short abandons - still waiting <= T s); "
    "T = each queue's sl_threshold_s, short abandon = left within its short_abandon_s; "
    "a contact counts in the bucket in which it entered the queue"
)
"""The service-level variant every report states."""

_KEYS: dict[str, Callable[[Visit], str]] = {
    "site": lambda v: v.site_id or NONE_LABEL,
    "queue": lambda v: v.queue_id,
    "channel": lambda v: v.channel,
    "agent": lambda v: v.agent_id or NONE_LABEL,
    "disposition": lambda v: v.disposition or NONE_LABEL,
    "value_tier": lambda v: str(v.value_tier),
}


def group_key(visit: Visit, group_by: Sequence[str]) -> tuple[str, ...]:
    """The group ``visit`` counts in when a report is grouped by ``group_by``."""
    return tuple(_KEYS[d](visit) for d in group_by)


def parse_group_by(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"queue,agent"`` → (``"queue"``, ``"agent"``); unknown or repeated names refused."""
    names = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(n.strip().lower().replace("-", "_") for n in names if n.strip())
    for name in out:
        if name not in DIMENSIONS:
            raise ValidationError(
                f"cannot group by {name!r}: use {', '.join(DIMENSIONS)}", group=name
            )
    if len(set(out)) != len(out):
        raise ValidationError(f"a dimension is repeated in {','.join(out)!r}", group=out)
    return out


@dataclass(frozen=True, slots=True)
class ReportRow:
    """The figures of one group over [start_s, end_s): ``contacts`` (the standard contact
    figures) and ``agents`` (agent seconds; ``None`` when the grouping cannot split it)."""

    start_s: float
    end_s: float
    group: tuple[str, ...]
    contacts: QueueKpi
    agents: AgentSeconds | None

    def figures(self) -> dict[str, float | None]:
        """The headline figures by their standard names (ratios 0–1, times in seconds)."""
        c = self.contacts
        a = self.agents
        return {
            "offered": c.offered,
            "answered": c.answered,
            "abandoned": c.abandoned,
            "short_abandons": c.short_abandons,
            "service_level": c.service_level,
            "asa_s": c.asa_s,
            "aht_s": c.aht_s,
            "talk_s": c.talk_s,
            "hold_s": c.hold_s,
            "wrapup_s": c.wrapup_s,
            "abandon_rate": c.abandon_rate,
            "longest_wait_s": c.longest_wait_s,
            "transferred_out": c.transferred_out,
            "callbacks": c.callbacks,
            "predicted_wait_mae_s": c.predicted_wait_mae_s,
            "predicted_wait_bias_s": c.predicted_wait_bias_s,
            "occupancy": None if a is None else a.occupancy,
            "utilisation": None if a is None else a.utilisation,
            "handling_s": None if a is None else a.handling_s,
            "idle_s": None if a is None else a.idle_s,
            "staffed_s": None if a is None else a.staffed_s,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "group": list(self.group),
            **self.figures(),
        }


@dataclass(frozen=True, slots=True)
class HistoryReport:
    """A historical report: ``rows`` per bucket × group (groups with no contact and no
    agent time left out), ``groups`` per group over the whole range, ``total`` overall.
    ``as_of``: the instant the events read end (seconds); ``waiting_at_end``: contacts of
    the range still waiting then."""

    since: float
    until: float
    period: str
    timezone: str
    group_by: tuple[str, ...]
    buckets: tuple[float, ...]
    rows: tuple[ReportRow, ...]
    groups: tuple[ReportRow, ...]
    total: ReportRow
    as_of: float
    waiting_at_end: int
    predicted_wait_known: bool
    sl_variant: str = SL_VARIANT

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "period": self.period,
            "timezone": self.timezone,
            "group_by": list(self.group_by),
            "sl_variant": self.sl_variant,
            "as_of": self.as_of,
            "waiting_at_end": self.waiting_at_end,
            "predicted_wait": (
                "router's predicted wait at queue entry vs actual wait, over answered contacts"
                if self.predicted_wait_known
                else "the events carry no predicted wait"
            ),
            "total": self.total.to_dict(),
            "groups": [r.to_dict() for r in self.groups],
            "rows": [r.to_dict() for r in self.rows],
        }


class HistoryBuilder:
    """Builds a :class:`HistoryReport` from events given in log order, in batches.

    Feed it the events from some time before ``since`` (so agents' states and contacts
    in progress are known) up to ``until`` or beyond (to follow contacts of the range to
    their outcome). ``on_visit`` also receives every visit, in or out of the range.
    ``sites``: count only the visits to queues of these sites and the time of agents of
    these sites (``None``: every site).
    """

    def __init__(
        self,
        since: float,
        until: float,
        *,
        period: str = "interval:30",
        timezone: str = "UTC",
        group_by: Sequence[str] = (),
        on_visit: Callable[[Visit], None] | None = None,
        sites: Collection[str] | None = None,
    ) -> None:
        self.sites = None if sites is None else frozenset(sites)
        self.buckets = Buckets.cut(since, until, period, timezone)
        self.group_by = parse_group_by(group_by)
        self.agent_split = set(self.group_by) <= AGENT_DIMENSIONS
        dims = [d for d in self.group_by if d in AGENT_DIMENSIONS] if self.agent_split else []
        self._keys = [_KEYS[d] for d in self.group_by]
        self._bins = DEFAULT_WAIT_BINS_S
        self._tallies: dict[tuple[int, tuple[str, ...]], Tally] = {}
        self._waiting = 0
        self._predicted = False
        self._on_visit = on_visit

        def agent_key(agent_id: str, site_id: str | None) -> tuple[str, ...]:
            if self.sites is not None and site_id not in self.sites:
                return _ELSEWHERE
            return tuple(agent_id if d == "agent" else site_id or NONE_LABEL for d in dims)

        self.log = VisitLog(self._add, self.buckets, agent_key)

    def consume_all(self, events: Iterable[ev.Event]) -> None:
        """Take a batch of events in log order."""
        self.log.consume_all(events)

    def agent_key(self, agent_id: str, site_id: str | None) -> tuple[str, ...]:
        """The group agent time of ``agent_id`` goes to (``()`` when the grouping cannot
        split agent time: then it counts in the total only)."""
        return self.log.agent_key(agent_id, site_id)

    def add_tally(
        self, k: int, key: tuple[str, ...], tally: Tally, *, waiting: int, predicted: bool
    ) -> None:
        """Add the counters of visits counted elsewhere (a stored projection) to bucket
        ``k`` and group ``key``; ``waiting``: how many of them were still waiting."""
        self._tallies[(k, key)] = tally
        self.add_tally_flags(waiting=waiting, predicted=predicted)

    def add_tally_flags(self, *, waiting: int, predicted: bool) -> None:
        """Count ``waiting`` more visits still waiting; ``predicted``: some carried a
        predicted wait."""
        self._waiting += waiting
        self._predicted = self._predicted or predicted

    @property
    def wait_bins_s(self) -> tuple[float, ...]:
        """The edges (seconds) of the wait histogram's bins."""
        return self._bins

    def _add(self, v: Visit) -> None:
        if self.sites is not None and v.site_id not in self.sites:
            return
        if self._on_visit is not None:
            self._on_visit(v)
        k = self.buckets.index(v.queued_at)
        if k < 0:
            return
        key = tuple(f(v) for f in self._keys)
        tally = self._tallies.get((k, key))
        if tally is None:
            tally = self._tallies[(k, key)] = Tally(len(self._bins))
        tally.offered += 1
        if v.predicted_wait_s is not None:
            self._predicted = True
        if v.outcome == ANSWERED:
            tally.answer(v.wait_s, v.sl_threshold_s, self._bins, v.predicted_wait_s)
        elif v.outcome == ABANDONED:
            tally.abandon(v.wait_s, v.short_abandon_s, self._bins)
        elif v.outcome == HANDED_OVER:
            pass  # counted below as transferred out: neither answered nor abandoned here
        else:
            self._waiting += 1
            tally.still_waiting(v.wait_s, v.sl_threshold_s)
        if v.handled:
            tally.handle(v.talk_s, v.hold_s, v.wrapup_s)
        if v.transferred_out:
            tally.transferred_out += 1
        if v.callback:
            tally.callbacks += 1
        if v.overflowed:
            tally.overflowed += 1

    def result(self, as_of: float | None = None) -> HistoryReport:
        """The report, with contacts still open and agent time counted up to ``as_of``
        (default: the last event read). Call once: it closes the log."""
        self.log.finish(as_of)
        edges = self.buckets.edges
        bins = len(self._bins)
        time = self.log.agent_seconds()
        time.pop(_ELSEWHERE, None)
        by_key: dict[tuple[str, ...], dict[int, Tally]] = {}
        for (k, key), tally in self._tallies.items():
            by_key.setdefault(key, {})[k] = tally
        if self.agent_split:
            for key, logged in time.items():
                if logged[2]:  # logged in inside the range
                    by_key.setdefault(key, {})
        rows: list[ReportRow] = []
        groups: list[ReportRow] = []
        empty = queue_kpi((), bins, 0, 0.0, 0.0)
        for key in sorted(by_key):
            per_k = by_key[key]
            # split by site or agent, a group without agent time in the range has none
            seconds = time.get(key, ({}, {}, {})) if self.agent_split else None
            ks = set(per_k) | (set(seconds[2]) if seconds is not None else set())
            for k in sorted(ks):
                one = per_k.get(k)
                contacts = queue_kpi((one,), bins, 0, 0.0, 0.0) if one else empty
                rows.append(ReportRow(edges[k], edges[k + 1], key, contacts, _agents(seconds, [k])))
            groups.append(
                ReportRow(
                    edges[0],
                    edges[-1],
                    key,
                    queue_kpi(per_k.values(), bins, 0, 0.0, 0.0),
                    _agents(seconds, ks) if self.agent_split else None,
                )
            )
        rows.sort(key=lambda r: (r.start_s, r.group))
        all_seconds = list(time.values())
        total = ReportRow(
            edges[0],
            edges[-1],
            (),
            queue_kpi(self._tallies.values(), bins, 0, 0.0, 0.0),
            _sum_agents(all_seconds),
        )
        return HistoryReport(
            since=edges[0],
            until=edges[-1],
            period=self.buckets.period,
            timezone=self.buckets.timezone,
            group_by=self.group_by,
            buckets=edges,
            rows=tuple(rows),
            groups=tuple(groups),
            total=total,
            as_of=self.log.last if as_of is None else max(as_of, self.log.last),
            waiting_at_end=self._waiting,
            predicted_wait_known=self._predicted,
        )


def _agents(seconds: tuple[dict[int, float], ...] | None, ks: Iterable[int]) -> AgentSeconds | None:
    if seconds is None:
        return None
    ks = list(ks)
    h, i, s = seconds
    return AgentSeconds(
        sum(h.get(k, 0.0) for k in ks),
        sum(i.get(k, 0.0) for k in ks),
        sum(s.get(k, 0.0) for k in ks),
    )


def _sum_agents(all_seconds: list[tuple[dict[int, float], ...]]) -> AgentSeconds:
    return AgentSeconds(
        sum(sum(s[0].values()) for s in all_seconds),
        sum(sum(s[1].values()) for s in all_seconds),
        sum(sum(s[2].values()) for s in all_seconds),
    )


def history_report(
    events: Iterable[ev.Event],
    since: float,
    until: float,
    *,
    period: str = "interval:30",
    timezone: str = "UTC",
    group_by: Sequence[str] = (),
    as_of: float | None = None,
    sites: Collection[str] | None = None,
) -> HistoryReport:
    """The report of ``events`` (in log order) over [since, until) seconds; see
    :class:`HistoryBuilder`."""
    builder = HistoryBuilder(
        since, until, period=period, timezone=timezone, group_by=group_by, sites=sites
    )
    builder.consume_all(events)
    return builder.result(as_of)
