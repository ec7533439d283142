"""Commands of the IVR wing (frozen dataclasses, handled by :mod:`kefu.service.ivr.wing`).

A conversation in a flow is named by its conversation id (the IVR's contact id until the
hand-off creates the router's contact). Times are never passed in: the engine reads its
clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.service.commands import Command

__all__ = ["IvrHangup", "IvrInput", "IvrTimeout", "KioskTicket", "StartIvr"]


@dataclass(frozen=True, slots=True)
class StartIvr(Command):
    """Greet the open conversation ``conversation_id`` with flow ``flow_id`` (its
    published version) in ``language`` (None: the flow's first)."""

    conversation_id: str
    flow_id: str
    language: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    """Pairs added to the contact's attributes at the hand-off (a synthetic customer's mark)."""


@dataclass(frozen=True, slots=True)
class IvrInput(Command):
    """The customer's answer (digits, a button's digit, words) to the flow's question."""

    conversation_id: str
    text: str


@dataclass(frozen=True, slots=True)
class IvrTimeout(Command):
    """The flow's question went unanswered until its deadline (run by the engine's timer)."""

    conversation_id: str


@dataclass(frozen=True, slots=True)
class IvrHangup(Command):
    """The customer left the flow (closed the chat, walked away from the page)."""

    conversation_id: str


@dataclass(frozen=True, slots=True)
class KioskTicket(Command):
    """A kiosk ticket chosen through flow ``flow_id``'s menu: ``answers`` in order (the
    digits of the options tapped) lead to the service; ``phone`` and ``name`` as for
    :class:`~kefu.service.channels.commands.IssueTicket`."""

    flow_id: str
    answers: tuple[str, ...]
    phone: str = ""
    name: str = ""
