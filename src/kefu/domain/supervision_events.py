"""The events of a supervisor joining an agent's call: listening silently, whispering to
the agent, barging in (each rings the supervisor's registered phone). Routing events,
re-exported by :mod:`kefu.domain.events` with their JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.routing_events import Event

__all__ = ["CallBarged", "CallListened", "CallWhispered"]


@dataclass(frozen=True, slots=True)
class CallListened(Event):
    """Supervisor ``supervisor`` asked to listen silently to the contact's call (its
    registered phone is rung and hears both sides; what it says is not passed on)."""

    contact_id: str
    supervisor: str


@dataclass(frozen=True, slots=True)
class CallWhispered(Event):
    """Supervisor ``supervisor`` asked to whisper to the agent on the contact's call (its
    registered phone hears both sides; the agent hears it, the customer does not)."""

    contact_id: str
    supervisor: str


@dataclass(frozen=True, slots=True)
class CallBarged(Event):
    """Supervisor ``supervisor`` asked to barge into the contact's call (its registered
    phone hears both sides and is heard by the customer and the agent)."""

    contact_id: str
    supervisor: str
