"""The contact map: how customers travel through the center, and where they get lost.

Built from the routing event log (:mod:`kefu.analytics.journeys`). The graph's nodes are
``channel:<name>``, ``ivr:<flow>…`` (the IVR's flow, menu choices and self-service attempts
of the contacts it handed off), ``queue:<id>``, ``agent:<id>``, ``domain:<domain>/<queue>``
(a contact handed over to another routing domain) and ``outcome:<name>`` (``abandoned``,
``open``, ``transferred_out``, or the wrap-up disposition of a completed contact,
``completed`` when none); an edge counts the contacts that moved from one node to the next. Given
:class:`~kefu.analytics.contactmap_more.MapExtras`, the map also has the IVR sessions that
ended in the IVR (channel → IVR nodes → ``outcome:ivr_contained``/``ivr_abandoned``/
``ivr_open``; counted as contacts) and the case waits on back-office departments
(agent → ``department:<id>`` → next department or ``outcome:case_<state>``; counted apart,
as ``department_waits``).

Marked on top of the graph:

- **blind spots**: an abandon with no answered contact of the same customer about the same
  problem within ``callback_within_s`` (or with no known customer, whom nobody can call back),
  and a contact on a written channel (e-mail, SMS, social, work item) still unanswered
  ``unanswered_after_s`` after it arrived; a case still waiting on a department past its
  resolution deadline (``department_past_sla``: ``contact_id`` is the case, ``queue_id`` the
  department);
- **loops**: a transfer back into a queue the contact had already visited, or more than
  ``max_transfers`` transfers; a case sent back to a department it already waited on
  (``department_revisit``: ``path`` the departments in order);
- **broken hand-offs**: a handled contact whose customer came back about the same problem within
  ``window_s`` (the FCR failures);
- **repeat contacts by reason**: the broken hand-offs counted by the first contact's topic,
  else its disposition.

Results are immutable records; :func:`write_contact_map_csv` exports them. Times are seconds.
"""

from __future__ import annotations

import csv
import itertools
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TextIO

from kefu.analytics.contactmap_more import DepartmentWait, MapExtras
from kefu.analytics.journeys import (
    ABANDONED,
    OPEN,
    TRANSFERRED_OUT,
    ContactJourney,
    Repeat,
    find_repeats,
    journeys_until,
    same_problem,
)
from kefu.domain.events import Event

__all__ = [
    "WRITTEN_CHANNELS",
    "BlindSpot",
    "BrokenHandoff",
    "ContactMap",
    "Loop",
    "MapEdge",
    "build_contact_map",
    "contact_map_from_journeys",
    "write_contact_map_csv",
]

DAY_S = 86_400.0
WRITTEN_CHANNELS = frozenset({"email", "sms", "social", "workitem"})


@dataclass(frozen=True, slots=True)
class MapEdge:
    source: str
    target: str
    volume: int


@dataclass(frozen=True, slots=True)
class BlindSpot:
    """``kind`` is ``abandoned_no_callback``, ``unanswered`` or ``department_past_sla``;
    ``at`` when it happened (for a department: the deadline passed)."""

    contact_id: str
    customer_id: str | None
    channel: str
    queue_id: str
    kind: str
    at: float


@dataclass(frozen=True, slots=True)
class Loop:
    """``kind`` is ``revisit`` (``queues`` lists the queues entered again), ``long_chain`` or
    ``department_revisit`` (``queues`` lists the departments waited on again)."""

    contact_id: str
    customer_id: str | None
    path: tuple[str, ...]
    transfers: int
    kind: str
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BrokenHandoff:
    contact_id: str
    customer_id: str | None
    repeat_contact_id: str
    channel: str
    repeat_channel: str
    reason: str
    gap_s: float


@dataclass(frozen=True, slots=True)
class ContactMap:
    """The map of the contacts that arrived in ``[since, until)``; lists sorted by contact id,
    edges by descending volume."""

    since: float
    until: float
    contacts: int
    nodes: tuple[tuple[str, int], ...]
    edges: tuple[MapEdge, ...]
    blind_spots: tuple[BlindSpot, ...]
    loops: tuple[Loop, ...]
    broken_handoffs: tuple[BrokenHandoff, ...]
    repeats_by_reason: tuple[tuple[str, int], ...]
    ivr_sessions: int = 0
    department_waits: int = 0


def build_contact_map(
    events: Iterable[Event],
    *,
    since: float = float("-inf"),
    until: float | None = None,
    window_s: float = 7 * DAY_S,
    max_transfers: int = 3,
    callback_within_s: float = DAY_S,
    unanswered_after_s: float = DAY_S,
    extras: MapExtras | None = None,
) -> ContactMap:
    """The contact map (see the module docstring) from a log in time order; ``until``
    defaults to the last event's instant."""
    every, end = journeys_until(events, until)
    return contact_map_from_journeys(
        every, end, since=since, window_s=window_s, max_transfers=max_transfers,
        callback_within_s=callback_within_s, unanswered_after_s=unanswered_after_s,
        extras=extras,
    )  # fmt: skip


def contact_map_from_journeys(
    every: Sequence[ContactJourney],
    end: float,
    *,
    since: float = float("-inf"),
    window_s: float = 7 * DAY_S,
    max_transfers: int = 3,
    callback_within_s: float = DAY_S,
    unanswered_after_s: float = DAY_S,
    repeats: Mapping[str, Repeat] | None = None,
    extras: MapExtras | None = None,
) -> ContactMap:
    """:func:`build_contact_map` from journeys already collected (:func:`journeys_until`);
    ``repeats`` may be given too (``find_repeats(every, window_s)``, the same window)."""
    inside = [j for j in every if j.arrived_at >= since]
    # Many contacts take the same way: count each way once (in C, by the fields' positions),
    # then its nodes and edges; on a million events, a third of the map's time before.
    ways = Counter(map(_WAY, inside))
    more = extras or MapExtras()
    stays = [s for s in more.ivr if s.started_at >= since]
    waits = [w for w in more.departments if w.since >= since]
    walks: Counter[tuple[str, ...]] = Counter()
    for (channel, ivr, path, outcome, disposition), n in ways.items():
        end_node = "outcome:" + _outcome_of(outcome, disposition)
        walks[("channel:" + channel, *ivr, *path, end_node)] += n
    for stay in stays:
        walks[("channel:" + stay.channel, *stay.nodes, "outcome:" + stay.outcome)] += 1
    for chain in _department_chains(waits):
        walks[chain] += 1
    edges: Counter[tuple[str, str]] = Counter()
    nodes: Counter[str] = Counter()
    for steps, n in walks.items():
        for node in set(steps):
            nodes[node] += n
        for pair in itertools.pairwise(steps):
            edges[pair] += n
    if repeats is None:
        repeats = find_repeats(every, window_s)
    # Every repeat's first contact is a journey of ``every``: inside when it arrived since.
    broken = [
        BrokenHandoff(
            j.contact_id,
            j.customer_id,
            r.repeat.contact_id,
            j.channel,
            r.repeat.channel,
            _reason(j),
            r.gap_s,
        )
        for r in repeats.values()
        # Not one handed to another routing domain: it ended there, in another log.
        if (j := r.first).arrived_at >= since and j.outcome not in (ABANDONED, TRANSFERRED_OUT)
    ]
    reasons = Counter(b.reason for b in broken)
    return ContactMap(
        since=since,
        until=end,
        contacts=len(inside) + len(stays),
        nodes=tuple(sorted(nodes.items(), key=lambda kv: (-kv[1], kv[0]))),
        edges=tuple(
            MapEdge(s, t, n) for (s, t), n in sorted(edges.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        blind_spots=tuple(
            sorted(
                _blind_spots(every, inside, end, callback_within_s, unanswered_after_s)
                + _late_departments(waits, end),
                key=lambda b: b.contact_id,
            )
        ),
        loops=tuple(
            sorted(
                _loops(inside, max_transfers) + _department_loops(waits),
                key=lambda lp: lp.contact_id,
            )
        ),
        broken_handoffs=tuple(sorted(broken, key=lambda b: b.contact_id)),
        repeats_by_reason=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        ivr_sessions=len(stays),
        department_waits=len(waits),
    )


def _department_chains(waits: list[DepartmentWait]) -> list[tuple[str, ...]]:
    """A case's waits from one department straight to the next as one walk (as a contact's
    path): each department counted once per walk, each hand-over once."""
    chains: list[tuple[str, ...]] = []
    going: dict[str, list[str]] = {}
    for w in waits:
        chain = going.pop(w.case_id, None)
        if chain is None or not w.source.startswith("department:"):
            chain = [w.source]
        chain.append("department:" + w.department)
        if w.target.startswith("department:"):
            going[w.case_id] = chain
        else:
            chains.append((*chain, w.target))
    chains.extend(tuple(chain) for chain in going.values())
    return chains


def _late_departments(waits: list[DepartmentWait], end: float) -> list[BlindSpot]:
    return [
        BlindSpot(w.case_id, w.customer_id, "case", w.department, "department_past_sla", w.due_at)
        for w in waits
        if w.until is None and w.due_at is not None and w.due_at <= end
    ]


def _department_loops(waits: list[DepartmentWait]) -> list[Loop]:
    by_case: dict[str, list[DepartmentWait]] = {}
    for w in waits:
        by_case.setdefault(w.case_id, []).append(w)
    found = []
    for case_id, own in by_case.items():
        path = tuple("department:" + w.department for w in own)
        again = tuple(dict.fromkeys(w.department for i, w in enumerate(own) if path[i] in path[:i]))
        if again:
            found.append(
                Loop(case_id, own[0].customer_id, path, len(own) - 1, "department_revisit", again)
            )
    return found


_ARRIVED = itemgetter(ContactJourney._fields.index("arrived_at"))
_WAY = itemgetter(
    *(ContactJourney._fields.index(f) for f in ("channel", "ivr", "path", "outcome", "disposition"))
)


def _outcome_of(outcome: str, disposition: str | None) -> str:
    if outcome in (ABANDONED, OPEN, TRANSFERRED_OUT):
        return outcome
    return disposition or "completed"


def _reason(j: ContactJourney) -> str:
    return j.topic or j.disposition or "(unknown)"


def _blind_spots(
    every: Sequence[ContactJourney],
    inside: list[ContactJourney],
    end: float,
    callback_within_s: float,
    unanswered_after_s: float,
) -> list[BlindSpot]:
    # Only the customers of an abandon are looked up, each one's answered contacts sorted
    # by arrival, so an abandon looks only at those that arrived inside its callback window
    # (a contact is answered after it arrives: one arriving after the deadline cannot count).
    wanted = {j.customer_id for j in inside if j.outcome == ABANDONED}
    answered: dict[str, list[ContactJourney]] = {}
    for j in every:
        if j.answered_at is not None and j.customer_id in wanted and j.customer_id is not None:
            answered.setdefault(j.customer_id, []).append(j)
    arrivals: dict[str, list[float]] = {}
    for customer, own in answered.items():
        own.sort(key=_ARRIVED)
        arrivals[customer] = [k.arrived_at for k in own]
    found: list[BlindSpot] = []
    for j in inside:
        if j.outcome == ABANDONED and not j.callback and j.ended_at is not None:
            deadline = j.ended_at + callback_within_s
            if j.customer_id is not None and deadline > end:
                continue  # the center still has time to call back
            own = answered.get(j.customer_id or "", [])
            first = bisect_left(arrivals.get(j.customer_id or "", []), j.ended_at)
            followed = False
            for k in itertools.islice(own, first, None):
                if k.arrived_at > deadline:
                    break
                assert k.answered_at is not None
                if k.answered_at <= deadline and same_problem(j, k):
                    followed = True
                    break
            if not followed:
                found.append(
                    BlindSpot(
                        j.contact_id,
                        j.customer_id,
                        j.channel,
                        j.queue_id,
                        "abandoned_no_callback",
                        j.ended_at,
                    )
                )
        elif (
            j.outcome == OPEN
            and j.answered_at is None
            and j.channel in WRITTEN_CHANNELS
            and end - j.arrived_at >= unanswered_after_s
        ):
            found.append(
                BlindSpot(
                    j.contact_id, j.customer_id, j.channel, j.queue_id, "unanswered", j.arrived_at
                )
            )
    return sorted(found, key=lambda b: b.contact_id)


def _loops(inside: list[ContactJourney], max_transfers: int) -> list[Loop]:
    found: list[Loop] = []
    for j in inside:
        if j.revisits:
            found.append(
                Loop(j.contact_id, j.customer_id, j.path, j.transfers, "revisit", j.revisits)
            )
        elif j.transfers > max_transfers:
            found.append(Loop(j.contact_id, j.customer_id, j.path, j.transfers, "long_chain", ()))
    return sorted(found, key=lambda lp: lp.contact_id)


CSV_COLUMNS = ("section", "source", "target", "volume", "contact_id", "customer_id", "detail")


def write_contact_map_csv(cmap: ContactMap, out: TextIO) -> None:
    """One CSV with a ``section`` column: ``edge`` rows (source, target, volume), then
    ``blind_spot``, ``loop``, ``broken_handoff`` and ``repeat_reason`` rows."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for e in cmap.edges:
        w.writerow(("edge", e.source, e.target, e.volume, "", "", ""))
    for b in cmap.blind_spots:
        where = ("department:" if b.kind == "department_past_sla" else "queue:") + b.queue_id
        w.writerow(
            ("blind_spot", b.channel, where, 1, b.contact_id, b.customer_id or "", b.kind)
        )  # fmt: skip
    for lp in cmap.loops:
        w.writerow(
            ("loop", lp.path[0], lp.path[-1], lp.transfers, lp.contact_id, lp.customer_id or "",
             f"{lp.kind}: {' > '.join(lp.path)}")
        )  # fmt: skip
    for h in cmap.broken_handoffs:
        w.writerow(
            ("broken_handoff", h.channel, h.repeat_channel, 1, h.contact_id, h.customer_id or "",
             f"{h.reason}; repeat {h.repeat_contact_id} after {h.gap_s:.0f} s")
        )  # fmt: skip
    for reason, count in cmap.repeats_by_reason:
        w.writerow(("repeat_reason", reason, "", count, "", "", ""))
