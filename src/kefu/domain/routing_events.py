"""The routing events: frozen dataclasses, one per state change the router logs.

:class:`Event` is also the base of the IVR, case and customer event families. The classes
are re-exported by :mod:`kefu.domain.events`, the path callers import them from, along with
their JSON form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from kefu.domain.model import AgentSpec, QueueSpec

__all__ = [
    "AgentDefined",
    "AgentStateChanged",
    "AgentStatePending",
    "CallbackRequested",
    "ContactAbandoned",
    "ContactCompleted",
    "ContactHeld",
    "ContactOverflowed",
    "ContactOverflowedOut",
    "ContactQueued",
    "ContactReprioritized",
    "ContactResumed",
    "ContactTransferred",
    "ContactTransferredOut",
    "Event",
    "OfferAccepted",
    "OfferCreated",
    "OfferRejected",
    "OfferTimedOut",
    "OfferWithdrawn",
    "QueueDefined",
    "WrapupEnded",
]


# The hot events (several per routing decision) set their slots through the slot
# descriptors: a third of the cost of the generated frozen ``__init__`` (which goes
# through ``object.__setattr__`` field by field); they stay frozen dataclasses.
def _slot_setters(cls: type) -> tuple[Callable[[object, Any], None], ...]:
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all events; ``at`` is the instant in seconds."""

    at: float


@dataclass(frozen=True, slots=True)
class QueueDefined(Event):
    spec: QueueSpec


@dataclass(frozen=True, slots=True)
class AgentDefined(Event):
    spec: AgentSpec


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Event):
    """The agent's chosen presence changed (offline, ready, not_ready with a reason)."""

    agent_id: str
    presence: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class AgentStatePending(Event):
    """The agent asked for a presence that takes effect when its last contact ends."""

    agent_id: str
    presence: str
    reason: str | None


@dataclass(frozen=True, slots=True, init=False)
class ContactQueued(Event):
    """A contact entered a queue. ``estimated_wait_s`` is what the router predicted
    (``None`` when no agent is staffed); ``position`` counts it and those ahead."""

    contact_id: str
    queue_id: str
    channel: str
    value_tier: int
    priority: int
    customer_id: str | None
    attributes: Mapping[str, str]
    estimated_wait_s: float | None
    position: int

    def __init__(
        self,
        at: float,
        contact_id: str,
        queue_id: str,
        channel: str,
        value_tier: int,
        priority: int,
        customer_id: str | None,
        attributes: Mapping[str, str],
        estimated_wait_s: float | None,
        position: int,
    ) -> None:
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 = _SET_CONTACT_QUEUED
        s0(self, at)
        s1(self, contact_id)
        s2(self, queue_id)
        s3(self, channel)
        s4(self, value_tier)
        s5(self, priority)
        s6(self, customer_id)
        s7(self, attributes)
        s8(self, estimated_wait_s)
        s9(self, position)


_SET_CONTACT_QUEUED = _slot_setters(ContactQueued)


@dataclass(frozen=True, slots=True)
class ContactReprioritized(Event):
    """A waiting contact's priority changed (a case's SLA escalation raised its work item);
    it keeps its SL deadline and arrival order."""

    contact_id: str
    priority: int


@dataclass(frozen=True, slots=True)
class ContactOverflowed(Event):
    """The contact reached overflow step ``step`` (1-based) of its queue's plan;
    ``queue_id`` is the queue it is in afterwards."""

    contact_id: str
    step: int
    queue_id: str


@dataclass(frozen=True, slots=True)
class ContactOverflowedOut(Event):
    """The contact reached overflow step ``step`` (1-based) of its queue's plan, which sends
    it to queue ``to_queue_id`` of routing domain ``to_domain``: it stays in its queue, at
    that step, until the leader has handed it over (:class:`ContactTransferredOut`)."""

    contact_id: str
    step: int
    to_domain: str
    to_queue_id: str


@dataclass(frozen=True, slots=True, init=False)
class OfferCreated(Event):
    """A contact is reserved for an agent until ``expires_at``."""

    offer_id: str
    contact_id: str
    agent_id: str
    expires_at: float
    callback: bool

    def __init__(
        self,
        at: float,
        offer_id: str,
        contact_id: str,
        agent_id: str,
        expires_at: float,
        callback: bool,
    ) -> None:
        s0, s1, s2, s3, s4, s5 = _SET_OFFER_CREATED
        s0(self, at)
        s1(self, offer_id)
        s2(self, contact_id)
        s3(self, agent_id)
        s4(self, expires_at)
        s5(self, callback)


_SET_OFFER_CREATED = _slot_setters(OfferCreated)


@dataclass(frozen=True, slots=True, init=False)
class OfferAccepted(Event):
    offer_id: str
    contact_id: str
    agent_id: str

    def __init__(self, at: float, offer_id: str, contact_id: str, agent_id: str) -> None:
        s0, s1, s2, s3 = _SET_OFFER_ACCEPTED
        s0(self, at)
        s1(self, offer_id)
        s2(self, contact_id)
        s3(self, agent_id)


_SET_OFFER_ACCEPTED = _slot_setters(OfferAccepted)


@dataclass(frozen=True, slots=True, init=False)
class OfferRejected(Event):
    offer_id: str
    contact_id: str
    agent_id: str

    def __init__(self, at: float, offer_id: str, contact_id: str, agent_id: str) -> None:
        s0, s1, s2, s3 = _SET_OFFER_REJECTED
        s0(self, at)
        s1(self, offer_id)
        s2(self, contact_id)
        s3(self, agent_id)


_SET_OFFER_REJECTED = _slot_setters(OfferRejected)


@dataclass(frozen=True, slots=True, init=False)
class OfferTimedOut(Event):
    offer_id: str
    contact_id: str
    agent_id: str

    def __init__(self, at: float, offer_id: str, contact_id: str, agent_id: str) -> None:
        s0, s1, s2, s3 = _SET_OFFER_TIMED_OUT
        s0(self, at)
        s1(self, offer_id)
        s2(self, contact_id)
        s3(self, agent_id)


_SET_OFFER_TIMED_OUT = _slot_setters(OfferTimedOut)


@dataclass(frozen=True, slots=True, init=False)
class OfferWithdrawn(Event):
    """The offer ended because the contact went away (the customer hung up)."""

    offer_id: str
    contact_id: str
    agent_id: str

    def __init__(self, at: float, offer_id: str, contact_id: str, agent_id: str) -> None:
        s0, s1, s2, s3 = _SET_OFFER_WITHDRAWN
        s0(self, at)
        s1(self, offer_id)
        s2(self, contact_id)
        s3(self, agent_id)


_SET_OFFER_WITHDRAWN = _slot_setters(OfferWithdrawn)


@dataclass(frozen=True, slots=True, init=False)
class ContactAbandoned(Event):
    """The customer left before being answered, after ``waited_s`` seconds in the queue."""

    contact_id: str
    queue_id: str
    waited_s: float

    def __init__(self, at: float, contact_id: str, queue_id: str, waited_s: float) -> None:
        s0, s1, s2, s3 = _SET_CONTACT_ABANDONED
        s0(self, at)
        s1(self, contact_id)
        s2(self, queue_id)
        s3(self, waited_s)


_SET_CONTACT_ABANDONED = _slot_setters(ContactAbandoned)


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    """The customer hung up but keeps its place; an agent calls back when it is its turn."""

    contact_id: str
    number: str | None


@dataclass(frozen=True, slots=True)
class ContactHeld(Event):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ContactResumed(Event):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ContactTransferred(Event):
    """The contact left ``from_agent_id`` for a queue or a named agent, with all its
    attributes; ``note`` is the hand-off note the next agent reads."""

    contact_id: str
    from_agent_id: str
    to_queue_id: str | None
    to_agent_id: str | None
    note: str


@dataclass(frozen=True, slots=True)
class ContactTransferredOut(Event):
    """The contact left this routing domain for queue ``to_queue_id`` of routing domain
    ``to_domain``, which took it as ``remote_contact_id``: from its queue (overflow) or
    from agent ``from_agent_id`` (a transfer; ``None`` when it was waiting). Its story goes
    on in the other domain's log; here it is ended."""

    contact_id: str
    queue_id: str
    from_agent_id: str | None
    to_domain: str
    to_queue_id: str
    remote_contact_id: str
    note: str


@dataclass(frozen=True, slots=True, init=False)
class ContactCompleted(Event):
    """The conversation ended; wrap-up of ``wrapup_s`` seconds starts (0: none)."""

    contact_id: str
    agent_id: str
    disposition: str | None
    wrapup_s: float

    def __init__(
        self, at: float, contact_id: str, agent_id: str, disposition: str | None, wrapup_s: float
    ) -> None:
        s0, s1, s2, s3, s4 = _SET_CONTACT_COMPLETED
        s0(self, at)
        s1(self, contact_id)
        s2(self, agent_id)
        s3(self, disposition)
        s4(self, wrapup_s)


_SET_CONTACT_COMPLETED = _slot_setters(ContactCompleted)


@dataclass(frozen=True, slots=True, init=False)
class WrapupEnded(Event):
    """Wrap-up finished: the contact is completed and the agent's capacity is free."""

    contact_id: str
    agent_id: str

    def __init__(self, at: float, contact_id: str, agent_id: str) -> None:
        s0, s1, s2 = _SET_WRAPUP_ENDED
        s0(self, at)
        s1(self, contact_id)
        s2(self, agent_id)


_SET_WRAPUP_ENDED = _slot_setters(WrapupEnded)
