"""The events of the agent's controls on a call being served: muted and unmuted (the
caller no longer hears the agent, then again), keypad digits sent to the caller (the
audit of what the agent keyed); where an agent answers its calls (its SIP phone or the
desktop's browser softphone). Routing events, re-exported by :mod:`kefu.domain.events`
with their JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.routing_events import Event

__all__ = ["CallMuted", "CallUnmuted", "DigitsSentToCaller", "SoftphoneEndpointChosen"]


@dataclass(frozen=True, slots=True)
class CallMuted(Event):
    """Agent ``agent_id`` muted its microphone on the contact's call: from ``at`` the
    caller (and the recording) hears silence from the agent."""

    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CallUnmuted(Event):
    """Agent ``agent_id`` unmuted its microphone on the contact's call."""

    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class DigitsSentToCaller(Event):
    """Agent ``agent_id`` sent the keypad ``digits`` (``0-9 * # A-D``) to the caller, as
    tones on the call (e.g. to work the other side's phone menu)."""

    contact_id: str
    agent_id: str
    digits: str


@dataclass(frozen=True, slots=True)
class SoftphoneEndpointChosen(Event):
    """Agent ``agent_id`` answers its next calls at ``endpoint``: ``sip`` (its registered
    SIP phone) or ``browser`` (the agent desktop's softphone). Kept across restarts."""

    agent_id: str
    endpoint: str
