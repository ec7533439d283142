"""An agent's scorecard: what the agent handled per channel and where its time went.

From the visits a report read (:class:`~kefu.analytics.visits.Visit`) and the agent's
presence events: contacts handled per channel with their average handle time (talk, hold
and wrap-up), transfers out, and the seconds spent in each presence (ready, not ready per
reason) inside the range. No figure ranks agents by contacts per hour alone (seed 000):
the scorecard sets volume beside handle time, occupancy and quality.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kefu.analytics.history import ReportRow
from kefu.analytics.visits import AgentSeconds, Visit
from kefu.domain import events as ev
from kefu.domain.cases.surveys import CSAT, Survey, SurveySent

__all__ = [
    "SATISFIED",
    "ChannelWork",
    "Csat",
    "csat_by",
    "group_total",
    "presence_seconds",
    "work_by_channel",
]

SATISFIED = 4
"""A survey score at or above this one counts as satisfied (the usual CSAT)."""
NO_REASON = "-"
"""The reason label of a not-ready stretch without a reason."""


@dataclass(frozen=True, slots=True)
class ChannelWork:
    """Contacts one agent handled on one channel: ``handled`` visits released, their
    talk, hold and wrap-up seconds summed, and the visits it transferred on."""

    channel: str
    handled: int
    talk_s: float
    hold_s: float
    wrapup_s: float
    transferred_out: int

    @property
    def aht_s(self) -> float | None:
        """Average handle time (talk + hold + wrap-up), seconds; ``None`` with none."""
        if not self.handled:
            return None
        return (self.talk_s + self.hold_s + self.wrapup_s) / self.handled


def work_by_channel(visits: Iterable[Visit], agent_id: str) -> tuple[ChannelWork, ...]:
    """Per channel (sorted), the visits ``agent_id`` answered: handled ones and their
    handle time, and transfers out."""
    sums: dict[str, list[float]] = {}
    for v in visits:
        if v.agent_id != agent_id or v.answered_at is None:
            continue
        row = sums.setdefault(v.channel, [0, 0.0, 0.0, 0.0, 0])
        if v.handled:
            row[0] += 1
            row[1] += v.talk_s
            row[2] += v.hold_s
            row[3] += v.wrapup_s
        if v.transferred_out:
            row[4] += 1
    return tuple(
        ChannelWork(channel, int(r[0]), r[1], r[2], r[3], int(r[4]))
        for channel, r in sorted(sums.items())
    )


def presence_seconds(
    events: Iterable[ev.Event], agent_id: str, since: float, until: float
) -> Mapping[tuple[str, str], float]:
    """Seconds ``agent_id`` spent in each (presence, reason) inside [since, until), from
    its presence changes in log order (read from before ``since`` so that the presence at
    ``since`` is known; before the first change the agent counts as offline). Offline time
    is left out; ``reason`` is :data:`NO_REASON` when none was given."""
    out: dict[tuple[str, str], float] = {}
    state: tuple[str, str] = ("offline", NO_REASON)
    at = since
    for e in events:
        if not isinstance(e, ev.AgentStateChanged) or e.agent_id != agent_id:
            continue
        _add(out, state, max(at, since), min(e.at, until))
        state = (e.presence, e.reason or NO_REASON)
        at = e.at
    _add(out, state, max(at, since), until)
    return MappingProxyType(out)


def _add(out: dict[tuple[str, str], float], state: tuple[str, str], t0: float, t1: float) -> None:
    if t1 > t0 and state[0] != "offline":
        out[state] = out.get(state, 0.0) + (t1 - t0)


@dataclass(frozen=True, slots=True)
class Csat:
    """Survey answers of a group: how many, and how many scored 4 or 5."""

    answered: int
    satisfied: int

    @property
    def csat(self) -> float | None:
        """Share of answers scoring 4 or 5 (0–1); ``None`` without answers."""
        return self.satisfied / self.answered if self.answered else None


def csat_by(
    surveys: Iterable[Survey],
    since: float,
    until: float,
    key: Callable[[SurveySent], str | None],
    sites: frozenset[str] | None = None,
) -> Mapping[str | None, Csat]:
    """CSAT per ``key`` of the surveys sent in [since, until) (seconds) to contacts of
    ``sites`` (``None``: every site), over the answered CSAT ones (an NPS survey's 0–10
    is not a CSAT score)."""
    counts: dict[str | None, list[int]] = {}
    for survey in surveys:
        sent = survey.sent
        if not since <= sent.at < until or survey.score is None or sent.kind != CSAT:
            continue
        if sites is not None and sent.site_id not in sites:
            continue
        row = counts.setdefault(key(sent), [0, 0])
        row[0] += 1
        row[1] += survey.score >= SATISFIED
    return MappingProxyType({k: Csat(a, s) for k, (a, s) in counts.items()})


def group_total(rows: Iterable[ReportRow], group: tuple[str, ...]) -> ReportRow | None:
    """The rows (one agent's each, of one report) added up exactly as one ``group`` (a
    team): contacts and agent seconds sum; ``None`` without rows. An agent in several
    teams counts whole in each team's total."""
    total: ReportRow | None = None
    for row in rows:
        if total is None:
            total = ReportRow(row.start_s, row.end_s, group, row.contacts, row.agents)
            continue
        agents = total.agents
        if agents is not None and row.agents is not None:
            agents = AgentSeconds(
                agents.handling_s + row.agents.handling_s,
                agents.idle_s + row.agents.idle_s,
                agents.staffed_s + row.agents.staffed_s,
            )
        else:
            agents = agents or row.agents
        total = ReportRow(
            total.start_s, total.end_s, group, total.contacts.merge(row.contacts), agents
        )
    return total
