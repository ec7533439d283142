"""IVR analytics: what callers did in the flows, from the IVR events (pure).

Reads the events of :mod:`kefu.domain.ivr.events` (any order, any number of contacts) and,
optionally, the routing events of the same contact ids for what happened after the hand-off.
Definitions (times in seconds):

- *contained*: the flow ended the contact itself (``Ended``), or the customer hung up after
  a self-service that worked (an outcome other than ``error``, ``timeout`` or
  ``unknown_action``) without asking for an agent: served by self-service;
  ``coverage`` = contained / contacts, against seed 001's 78 % target. *Abandoned*: left
  without a hand-off and without such a self-service.
- *depth*: the number of menus (language menus included) a contact heard so far; a contact
  that abandons does so at its current depth. ``abandon_rate`` at depth d = abandons at d /
  contacts that reached d; ``cumulative`` = 1 − Π(1 − rate) up to d: the share expected to
  give up on a path of d menus, compared with seed 001 (52 % beyond 4 levels, 87 % at 7).
- *time to service*: from the contact's first ``FlowStarted`` to its self-service result
  (``action:<name>``) or its hand-off (``queue:<id>``).
- *repeat*: a contained contact whose customer (verified in the IVR, or given) starts
  another contact within ``repeat_window_s`` (7 days) after it ended: containment that failed.
- *loop*: a contact that re-enters an IVR flow after a hand-off, or chains into a flow it
  already went through.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from kefu.domain import events as rev
from kefu.domain.ivr import events as ev

__all__ = [
    "COVERAGE_TARGET",
    "FAILED_OUTCOMES",
    "SEED001_ABANDONMENT",
    "DepthRow",
    "IvrReport",
    "OptionTraffic",
    "ServiceTime",
    "ivr_report",
]

#: Seed 001: the share of a center's service content the IVR should cover.
COVERAGE_TARGET = 0.78
#: Seed 001: share of callers who give up on a menu path of this many levels.
SEED001_ABANDONMENT: Mapping[int, float] = {5: 0.52, 7: 0.87}
WEEK_S = 7 * 86400.0
_MENU_KINDS = frozenset({"menu", "language"})
#: Self-service outcomes that did not serve the customer.
FAILED_OUTCOMES = frozenset({"error", "timeout", "unknown_action"})


@dataclass(frozen=True, slots=True)
class OptionTraffic:
    """Option ``digit`` of menu ``node_id`` (leading to ``next``) chosen ``count`` times:
    ``share`` of the choices at that menu; ``abandoned_after``: of those contacts, how many
    later abandoned (in the IVR or in the queue)."""

    node_id: str
    digit: str
    next: str
    count: int
    share: float
    abandoned_after: int


@dataclass(frozen=True, slots=True)
class DepthRow:
    """Contacts that ``reached`` ``depth`` menus and ``abandoned`` there (see module doc)."""

    depth: int
    reached: int
    abandoned: int
    abandon_rate: float
    cumulative: float
    seed001: float | None


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """Time (s) from the start of the contact to ``service``, over ``count`` contacts."""

    service: str
    count: int
    mean_s: float
    median_s: float


@dataclass(frozen=True, slots=True)
class IvrReport:
    """Everything :func:`ivr_report` measures; shares are in 0–1 (``nan`` with no contact)."""

    contacts: int
    contained: int
    handed_off: int
    abandoned: int
    unfinished: int
    coverage: float
    coverage_target: float
    node_entries: Mapping[str, int]
    options: tuple[OptionTraffic, ...]
    to_agents_by_reason: Mapping[str, int]
    depth: tuple[DepthRow, ...]
    service_times: tuple[ServiceTime, ...]
    contained_with_customer: int
    repeats_within_window: int
    repeat_rate: float
    loops: int
    queue_answered: int
    queue_abandoned: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("coverage", "repeat_rate"):
            if math.isnan(out[key]):
                out[key] = None
        return out


@dataclass(slots=True)
class _Contact:
    started: float | None = None
    ended: float | None = None
    outcome: str | None = None  # contained, agent, abandoned, flow
    depth: int = 0
    abandon_depth: int | None = None
    customer: str | None = None
    handed: bool = False
    self_served: bool = False
    loop: bool = False
    flows: set[str] | None = None


def _share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def ivr_report(
    events: Iterable[ev.IvrEvent],
    routing: Iterable[rev.Event] = (),
    *,
    customers: Mapping[str, str] | None = None,
    repeat_window_s: float = WEEK_S,
) -> IvrReport:
    """Measure the IVR from its events (see the module doc for the definitions).

    ``routing``: router events of the same contact ids (answered or abandoned in queue);
    ``customers``: contact id → customer id, for contacts not verified in the IVR.
    """
    by_contact: dict[str, list[ev.IvrEvent]] = defaultdict(list)
    for e in events:
        by_contact[e.contact_id].append(e)
    queue_abandon: set[str] = set()
    queue_answer: set[str] = set()
    for r in routing:
        if isinstance(r, rev.ContactAbandoned):
            queue_abandon.add(r.contact_id)
        elif isinstance(r, rev.OfferAccepted):
            queue_answer.add(r.contact_id)

    node_entries: Counter[str] = Counter()
    chosen: Counter[tuple[str, str, str]] = Counter()
    chosen_by: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    reasons: Counter[str] = Counter()
    reached: Counter[int] = Counter()
    abandoned_at: Counter[int] = Counter()
    times: dict[str, list[float]] = defaultdict(list)
    contacts: dict[str, _Contact] = {}
    for cid, evs in by_contact.items():
        evs.sort(key=lambda e: e.at)  # stable: same-instant events keep their log order
        c = _Contact(customer=(customers or {}).get(cid), flows=set())
        contacts[cid] = c
        for e in evs:
            _fold(c, e, cid, node_entries, chosen, chosen_by, reasons, times)
        for d in range(1, c.depth + 1):
            reached[d] += 1
        if c.abandon_depth is not None:
            abandoned_at[c.abandon_depth] += 1

    gone = {cid for cid, c in contacts.items() if c.outcome == "abandoned"} | queue_abandon
    per_menu: Counter[str] = Counter()
    for (node_id, _, _), n in chosen.items():
        per_menu[node_id] += n
    options = tuple(
        OptionTraffic(
            node, digit, nxt, n, n / per_menu[node], len(chosen_by[(node, digit, nxt)] & gone)
        )
        for (node, digit, nxt), n in sorted(chosen.items())
    )
    depth_rows: list[DepthRow] = []
    survive = 1.0
    for d in range(1, max(reached, default=0) + 1):
        rate = abandoned_at[d] / reached[d] if reached[d] else 0.0
        survive *= 1.0 - rate
        depth_rows.append(
            DepthRow(
                d, reached[d], abandoned_at[d], rate, 1.0 - survive, SEED001_ABANDONMENT.get(d)
            )
        )
    service_times = tuple(
        ServiceTime(name, len(xs), math.fsum(xs) / len(xs), _median(xs))
        for name, xs in sorted(times.items())
    )
    contained_with, repeats = _repeats(contacts, repeat_window_s)
    count = Counter(c.outcome for c in contacts.values())
    return IvrReport(
        contacts=len(contacts),
        contained=count["contained"],
        handed_off=count["agent"],
        abandoned=count["abandoned"],
        unfinished=count[None],
        coverage=_share(count["contained"], len(contacts)),
        coverage_target=COVERAGE_TARGET,
        node_entries=dict(sorted(node_entries.items())),
        options=options,
        to_agents_by_reason=dict(sorted(reasons.items())),
        depth=tuple(depth_rows),
        service_times=service_times,
        contained_with_customer=contained_with,
        repeats_within_window=repeats,
        repeat_rate=_share(repeats, contained_with),
        loops=sum(c.loop for c in contacts.values()),
        queue_answered=len(queue_answer & contacts.keys()),
        queue_abandoned=len(queue_abandon & contacts.keys()),
    )


def _fold(
    c: _Contact,
    e: ev.IvrEvent,
    cid: str,
    node_entries: Counter[str],
    chosen: Counter[tuple[str, str, str]],
    chosen_by: dict[tuple[str, str, str], set[str]],
    reasons: Counter[str],
    times: dict[str, list[float]],
) -> None:
    """Apply one event of contact ``cid`` to its record and to the counters."""
    assert c.flows is not None
    if isinstance(e, ev.FlowStarted):
        if c.started is None:
            c.started = e.at
        if c.handed or e.flow_id in c.flows:
            c.loop = True
        c.flows.add(e.flow_id)
        c.outcome = None
        c.customer = c.customer or e.verified_customer_id
    elif isinstance(e, ev.NodeEntered):
        node_entries[e.node_id] += 1
        if e.kind in _MENU_KINDS:
            c.depth += 1
    elif isinstance(e, ev.OptionMatched):
        key = (e.node_id, e.digit, e.next)
        chosen[key] += 1
        chosen_by[key].add(cid)
    elif isinstance(e, ev.IdentityVerified):
        if e.ok and e.customer_id:
            c.customer = c.customer or e.customer_id
    elif isinstance(e, ev.SelfServiceCompleted):
        c.self_served = c.self_served or e.outcome not in FAILED_OUTCOMES
        if c.started is not None:
            times[f"action:{e.action}"].append(e.at - c.started)
    elif isinstance(e, ev.HandedOff):
        reasons[e.reason] += 1
        c.handed = True
        c.outcome = "agent"
        c.ended = e.at
        if c.started is not None:
            times[f"queue:{e.queue_id}"].append(e.at - c.started)
    elif isinstance(e, ev.Abandoned):
        c.ended = e.at
        if c.self_served:  # hung up once served: contained, not a menu's abandon
            c.outcome = "contained"
        else:
            c.outcome = "abandoned"
            c.abandon_depth = c.depth
    elif isinstance(e, ev.Ended):
        c.outcome = "contained"
        c.ended = e.at
    elif isinstance(e, ev.FlowChained):
        c.outcome = "flow"
        if e.flow_id in c.flows:
            c.loop = True


def _repeats(contacts: Mapping[str, _Contact], window_s: float) -> tuple[int, int]:
    """Contained contacts with a known customer, and those followed by another contact of
    the same customer within ``window_s`` after they ended."""
    starts: dict[str, list[float]] = defaultdict(list)
    for c in contacts.values():
        if c.customer is not None and c.started is not None:
            starts[c.customer].append(c.started)
    known = repeats = 0
    for c in contacts.values():
        if c.outcome != "contained" or c.customer is None or c.ended is None:
            continue
        known += 1
        end = c.ended
        if any(end < s <= end + window_s for s in starts[c.customer]):
            repeats += 1
    return known, repeats
