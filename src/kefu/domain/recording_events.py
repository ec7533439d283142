"""The events of a call recording's life: started with the call (``CallRecorded``), paused and
resumed by the agent (a card number is being said), played back (each access audited) and
deleted (the retention period). Routing events, re-exported by :mod:`kefu.domain.events`
with their JSON form.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.routing_events import Event

__all__ = [
    "CallRecorded",
    "RecordingDeleted",
    "RecordingPaused",
    "RecordingPlayed",
    "RecordingResumed",
]


@dataclass(frozen=True, slots=True)
class CallRecorded(Event):
    """The contact's call is recorded into ``recording`` (a file name in the recordings
    directory, e.g. ``<contact id>.wav``), from ``at`` until the call ends."""

    contact_id: str
    recording: str


@dataclass(frozen=True, slots=True)
class RecordingPaused(Event):
    """Agent ``agent_id`` paused the contact's call recording: from ``at`` the recording
    holds silence (e.g. while the customer says a card number)."""

    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class RecordingResumed(Event):
    """Agent ``agent_id`` resumed the contact's call recording after a pause."""

    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class RecordingPlayed(Event):
    """User ``user`` (a login) was given the contact's recording ``recording`` to play:
    the audit of every access."""

    contact_id: str
    user: str
    recording: str


@dataclass(frozen=True, slots=True)
class RecordingDeleted(Event):
    """The contact's recording ``recording`` (a file name) was deleted, for ``reason``
    (``retention``: older than the retention period)."""

    contact_id: str
    recording: str
    reason: str
