"""Contact journeys: each contact's path through the center, rebuilt from the routing log.

One pass over the events gives, per contact, its customer, channel, topic and case (from the
``ContactQueued`` attributes ``topic`` and ``case_id``), its way through the IVR when the IVR
handed it off (the ``ivr.flow``, ``ivr.path`` and ``ivr.self_service`` attributes, see
:func:`ivr_route`), the queues and agents it went through in order, its transfers and its
outcome. :func:`find_repeats` then pairs each contact with the same
customer's next contact about the same problem, the basis of FCR and of broken hand-offs.

Same problem: two contacts that both name a case are about the same problem when the case is
the same; otherwise when their topics agree, a missing topic agreeing with any (as in
:mod:`kefu.domain.customers.conversations`). Times are seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import NamedTuple

from kefu.domain import events as ev

__all__ = [
    "ABANDONED",
    "COMPLETED",
    "OPEN",
    "TRANSFERRED_OUT",
    "ContactJourney",
    "Repeat",
    "Row",
    "collect_journeys",
    "find_repeats",
    "ivr_route",
    "journeys_from_rows",
    "journeys_until",
    "pack_ivr",
    "same_problem",
]

COMPLETED, ABANDONED, OPEN = "completed", "abandoned", "open"
TRANSFERRED_OUT = "transferred_out"
"""The outcome of a contact handed over to another routing domain: its story goes on in
that domain's log."""


class ContactJourney(NamedTuple):
    """One contact. ``path`` lists the nodes it visited in order, as ``"queue:<id>"``,
    ``"agent:<id>"`` and, last, ``"domain:<domain>/<queue>"`` for one handed over to another
    routing domain; ``outcome`` is ``completed``, ``abandoned``, ``transferred_out`` or
    ``open`` (no end seen);
    ``queue_id``/``agent_id`` are where it ended (last queue, last agent); ``ivr`` the IVR
    nodes it passed before its first queue (:func:`ivr_route`, empty without the IVR). A named
    tuple: immutable and cheap to build a few hundred thousand times."""

    contact_id: str
    customer_id: str | None
    channel: str
    arrived_at: float
    topic: str | None
    case_id: str | None
    path: tuple[str, ...]
    transfers: int
    revisits: tuple[str, ...]
    answered_at: float | None
    callback: bool
    outcome: str
    disposition: str | None
    ended_at: float | None
    queue_id: str
    agent_id: str | None
    ivr: tuple[str, ...] = ()


IVR_SEPARATOR = "\t"
"""Between the flow, the menu path and the self-service attempts in a stored IVR route."""


def ivr_route(packed: str | None) -> tuple[str, ...]:
    """The IVR nodes of a handed-off contact from its packed route, ``flow<TAB>path<TAB>
    self_service`` (the hand-off attributes ``ivr.flow``, ``ivr.path``, ``ivr.self_service``;
    :func:`pack_ivr`): ``ivr:<flow>``, then one ``ivr:<flow>/<menu>:<digit>`` per menu choice,
    then one ``ivr:<flow>/service:<action>=<outcome>`` per self-service attempt. The flow's
    version is left out: a map compares traffic across versions."""
    if not packed:
        return ()
    flow, _, rest = packed.partition(IVR_SEPARATOR)
    path, _, service = rest.partition(IVR_SEPARATOR)
    head = "ivr:" + flow.partition("@")[0]
    steps = [head]
    steps.extend(f"{head}/{step}" for step in path.split(">") if step)
    steps.extend(f"{head}/service:{attempt}" for attempt in service.split(";") if attempt)
    return tuple(steps)


def pack_ivr(attributes: Mapping[str, str]) -> str | None:
    """The packed IVR route of a contact's attributes (:func:`ivr_route`), ``None`` when the
    IVR did not hand it off."""
    flow = attributes.get("ivr.flow")
    if not flow:
        return None
    path = attributes.get("ivr.path") or ""
    service = attributes.get("ivr.self_service") or ""
    return IVR_SEPARATOR.join((flow, path, service))


class Repeat(NamedTuple):
    """``repeat`` is the customer's next contact about the same problem as ``first``, made
    ``gap_s`` seconds after ``first`` ended (negative: while it was still going on)."""

    first: ContactJourney
    repeat: ContactJourney
    gap_s: float


class _Builder:
    # Few containers per contact: on a million-event log the cyclic garbage collector's
    # passes over them cost more than the fold itself.
    __slots__ = (
        "agent", "answered", "callback", "disposition", "ended", "head", "ivr", "outcome",
        "path", "queue", "revisits", "transfers",
    )  # fmt: skip

    def __init__(
        self,
        contact_id: str,
        customer_id: str | None,
        channel: str,
        at: float,
        topic: str | None,
        case_id: str | None,
        queue_id: str,
        ivr: tuple[str, ...] = (),
    ) -> None:
        self.head = (contact_id, customer_id, channel, at, topic, case_id)
        self.ivr = ivr
        self.path: list[str] = ["queue:" + queue_id]
        self.revisits: tuple[str, ...] = ()
        self.queue = queue_id
        self.agent: str | None = None
        self.answered: float | None = None
        self.callback = False
        self.transfers = 0
        self.outcome = OPEN
        self.disposition: str | None = None
        self.ended: float | None = None

    def enter(self, queue_id: str, transferred: bool) -> None:
        node = "queue:" + queue_id
        if transferred and node in self.path:
            self.revisits = (*self.revisits, queue_id)
        self.queue = queue_id
        self.path.append(node)

    def leave(self, where: str, at: float) -> None:
        """Handed over to ``where`` (``<domain>/<queue>``) at ``at``: a transfer, its end here."""
        self.transfers += 1
        self.path.append("domain:" + where)
        self.outcome, self.ended = TRANSFERRED_OUT, at

    def freeze(self) -> ContactJourney:
        return ContactJourney(
            *self.head, tuple(self.path), self.transfers, self.revisits, self.answered,
            self.callback, self.outcome, self.disposition, self.ended, self.queue, self.agent,
            self.ivr,
        )  # fmt: skip


def collect_journeys(
    events: Iterable[ev.Event], *, since: float = float("-inf"), until: float = float("inf")
) -> list[ContactJourney]:
    """Journeys of the contacts that arrived in ``[since, until)``, in arrival order; events
    at or after ``until`` are ignored (a contact still going on then is ``open``)."""
    live: dict[str, _Builder] = {}
    order: list[_Builder] = []
    for e in events:
        if e.at >= until:
            break
        if isinstance(e, ev.ContactQueued):
            found = live.get(e.contact_id)
            if found is not None:
                found.enter(e.queue_id, transferred=False)
            elif e.at >= since:
                attrs = e.attributes
                live[e.contact_id] = b = _Builder(
                    e.contact_id, e.customer_id, e.channel, e.at, attrs.get("topic") or None,
                    attrs.get("case_id") or None, e.queue_id,
                    ivr_route(pack_ivr(attrs)) if "ivr.flow" in attrs else (),
                )  # fmt: skip
                order.append(b)
            continue
        b_or_none = live.get(getattr(e, "contact_id", ""))
        if b_or_none is None:
            continue
        b = b_or_none
        if isinstance(e, ev.OfferAccepted):
            b.agent = e.agent_id
            b.path.append("agent:" + e.agent_id)
            if b.answered is None:
                b.answered = e.at
        elif isinstance(e, ev.ContactTransferred):
            b.transfers += 1
            if e.to_queue_id is not None:
                b.enter(e.to_queue_id, transferred=True)
        elif isinstance(e, ev.ContactOverflowed):
            if e.queue_id != b.queue:
                b.enter(e.queue_id, transferred=False)
        elif isinstance(e, ev.ContactCompleted):
            b.outcome, b.disposition, b.ended = COMPLETED, e.disposition, e.at
        elif isinstance(e, ev.ContactAbandoned):
            b.outcome, b.ended = ABANDONED, e.at
        elif isinstance(e, ev.CallbackRequested):
            b.callback = True
        elif isinstance(e, ev.ContactTransferredOut):
            b.leave(f"{e.to_domain}/{e.to_queue_id}", e.at)
    return [b.freeze() for b in order]


Row = tuple[
    str,
    float,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
]
"""``(type, at, contact_id, agent_id, target, channel, customer_id, topic, case_id, ivr)``: a
contact-path event as the storage reads it without building it. ``target`` is the queue of a
queued or overflowed event, the queue a transfer goes to (``None``: to an agent), the
disposition of a completed contact, ``<domain>/<queue>`` of one handed over to another
routing domain; ``channel``, ``customer_id``, ``topic``, ``case_id`` and
``ivr`` (the packed IVR route, :func:`pack_ivr`) those of a queued event (see
:func:`kefu.adapters.storage.event_reader.read_contact_rows`)."""


def journeys_from_rows(
    rows: Iterable[Row], until: float | None = None
) -> tuple[list[ContactJourney], float]:
    """:func:`journeys_until` over rows instead of events (the same journeys, without
    building a million events first); ``until`` defaults to the last row's instant."""
    live: dict[str, _Builder] = {}
    order: list[_Builder] = []
    limit = float("inf") if until is None else until
    last = 0.0
    for kind, at, contact_id, agent_id, target, channel, customer, topic, case_id, ivr in rows:
        if at >= limit:
            break
        last = at
        if contact_id is None:
            continue
        b = live.get(contact_id)
        if kind == "ContactQueued":
            assert target is not None and channel is not None
            if b is not None:
                b.enter(target, transferred=False)
            else:
                live[contact_id] = b = _Builder(
                    contact_id, customer, channel, at, topic or None, case_id or None, target,
                    ivr_route(ivr) if ivr else (),
                )  # fmt: skip
                order.append(b)
            continue
        if b is None:
            continue
        if kind == "OfferAccepted":
            assert agent_id is not None
            b.agent = agent_id
            b.path.append("agent:" + agent_id)
            if b.answered is None:
                b.answered = at
        elif kind == "ContactTransferred":
            b.transfers += 1
            if target is not None:
                b.enter(target, transferred=True)
        elif kind == "ContactOverflowed":
            if target is not None and target != b.queue:
                b.enter(target, transferred=False)
        elif kind == "ContactCompleted":
            b.outcome, b.disposition, b.ended = COMPLETED, target, at
        elif kind == "ContactAbandoned":
            b.outcome, b.ended = ABANDONED, at
        elif kind == "CallbackRequested":
            b.callback = True
        elif kind == "ContactTransferredOut":
            b.leave(target or "?", at)
    return [b.freeze() for b in order], (last if until is None else until)


def journeys_until(
    events: Iterable[ev.Event], until: float | None
) -> tuple[list[ContactJourney], float]:
    """Every journey of a log in time order up to ``until`` and the end instant of the
    observation: ``until``, or the last event's instant when ``None``."""
    if until is not None:
        return collect_journeys(events, until=until), until
    log = events if isinstance(events, list) else list(events)
    return collect_journeys(log), (log[-1].at if log else 0.0)


def same_problem(a: ContactJourney, b: ContactJourney) -> bool:
    """Whether two contacts are about the same problem (see the module docstring)."""
    if a.case_id is not None and b.case_id is not None:
        return a.case_id == b.case_id
    return a.topic is None or b.topic is None or a.topic == b.topic


def find_repeats(journeys: Sequence[ContactJourney], window_s: float) -> dict[str, Repeat]:
    """For each ended contact with a known customer, its first repeat: the customer's next
    contact (in arrival order) about the same problem arriving at most ``window_s`` seconds
    after it ended. Keyed by the first contact's id."""
    by_customer: dict[str, list[ContactJourney]] = {}
    for j in journeys:
        if j.customer_id is not None:
            by_customer.setdefault(j.customer_id, []).append(j)
    found: dict[str, Repeat] = {}
    # Index loops, not slices: a slice per contact copied a fifth of the time on a million
    # events; a customer's only contact has no repeat and needs no sort.
    for own in by_customer.values():
        count = len(own)
        if count < 2:
            continue
        own.sort(key=_ARRIVAL)
        for i in range(count - 1):
            first = own[i]
            ended = first.ended_at
            if ended is None:
                continue
            limit = ended + window_s
            for k in range(i + 1, count):
                later = own[k]
                if later.arrived_at > limit:
                    break
                if same_problem(first, later):
                    found[first.contact_id] = Repeat(first, later, later.arrived_at - ended)
                    break
    return found


_ARRIVAL = itemgetter(*(ContactJourney._fields.index(f) for f in ("arrived_at", "contact_id")))
