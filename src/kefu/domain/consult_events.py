"""The events of a consultative (attended) transfer and of a conference of three.

The agent serving a call consults another agent (named, or the one the router picks from a
queue) while the caller waits on hold; the consult then completes (the caller goes to the
consulted agent, the first one leaves), is cancelled (back to the caller), or becomes a
conference in which all three hear one another. The consulted agent holds the contact's
slot from the start of the consult to its end, so the router offers it nothing else
meanwhile. Routing events, re-exported by :mod:`kefu.domain.events` with their JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.routing_events import Event

__all__ = [
    "ConferenceEnded",
    "ConferenceStarted",
    "ConsultCancelled",
    "ConsultCompleted",
    "ConsultStarted",
]


@dataclass(frozen=True, slots=True)
class ConsultStarted(Event):
    """Agent ``agent_id``, serving the contact's call, consults ``target_agent_id`` (chosen
    by the router from queue ``queue_id`` when the agent asked for a queue; else
    ``None``); the caller waits on hold."""

    contact_id: str
    agent_id: str
    target_agent_id: str
    queue_id: str | None


@dataclass(frozen=True, slots=True)
class ConsultCancelled(Event):
    """The consult of ``target_agent_id`` ended without a transfer: ``reason`` is
    ``cancelled`` (the agent went back to the caller), ``target_gone`` (the consulted
    party hung up or did not answer) or ``call_ended`` (the call ended meanwhile)."""

    contact_id: str
    agent_id: str
    target_agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConsultCompleted(Event):
    """Agent ``agent_id`` handed the call to the consulted ``target_agent_id`` with the
    hand-off ``note`` (a consult, or a conference the agent left). The transfer itself
    follows as ``ContactTransferred`` and the target's offer, accepted at once."""

    contact_id: str
    agent_id: str
    target_agent_id: str
    note: str


@dataclass(frozen=True, slots=True)
class ConferenceStarted(Event):
    """The caller, agent ``agent_id`` and the consulted ``target_agent_id`` hear one
    another (the caller is no longer on hold)."""

    contact_id: str
    agent_id: str
    target_agent_id: str


@dataclass(frozen=True, slots=True)
class ConferenceEnded(Event):
    """The conference's third party ``target_agent_id`` left (``reason`` as for
    :class:`ConsultCancelled`); the caller and agent ``agent_id`` talk on alone."""

    contact_id: str
    agent_id: str
    target_agent_id: str
    reason: str
