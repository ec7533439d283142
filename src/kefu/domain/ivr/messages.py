"""What goes into the interpreter (inputs) and what comes out of it (actions), and the context.

Every transport (web chat, SMS, a web page, a kiosk, voice with DTMF or speech) is a driver:
it turns what the customer does into inputs, carries out the actions, and calls
:func:`~kefu.domain.ivr.interpreter.step` again at ``next_due(state)`` with :class:`Timeout`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from kefu.domain.ivr.fastinit import fast_init
from kefu.domain.ivr.matching import PlainTokenizer, Tokenizer

__all__ = [
    "Action",
    "ActionDone",
    "Ask",
    "Calendar",
    "EndContact",
    "EstimateWait",
    "Hangup",
    "Input",
    "IvrContext",
    "Reply",
    "RunAction",
    "Say",
    "SelfService",
    "StartFlow",
    "Timeout",
    "Transfer",
    "VerifyDone",
    "VerifyIdentity",
    "WaitEstimate",
]


class SelfService(Protocol):
    """A self-service plug-in, run by the driver when asked by :class:`RunAction`: its
    parameters (the action node's ``params``, placeholders filled) → outcome and data."""

    def __call__(self, params: Mapping[str, str], /) -> ActionDone: ...


class Calendar(Protocol):
    """Business hours and holidays of a site: ``is_open(now)`` with ``now`` in epoch seconds."""

    def is_open(self, now: float) -> bool: ...


@dataclass(frozen=True, slots=True)
class IvrContext:
    """What a step may consult besides the flow and state: the customer's words are split
    by ``tokenizer``; hours nodes look their calendar up by name in ``calendars``."""

    tokenizer: Tokenizer = field(default_factory=PlainTokenizer)
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    # Memos of pure computations (keyword token sets per menu, rendered questions), keyed by
    # the id of their owner and kept with the owner so that a reused id is detected.
    cache: dict[object, object] = field(default_factory=dict, compare=False, repr=False)


# Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Input:
    """Base of the inputs of a step."""


@dataclass(frozen=True, slots=True)
class Reply(Input):
    """The customer's answer: DTMF digits, a button's digit, typed or recognized words."""

    text: str


@dataclass(frozen=True, slots=True)
class Timeout(Input):
    """The driver's timer fired (at or after ``next_due(state)``; earlier ones are ignored)."""


@dataclass(frozen=True, slots=True)
class Hangup(Input):
    """The customer left (hung up, closed the chat, walked away from the kiosk)."""


@dataclass(frozen=True, slots=True)
class ActionDone(Input):
    """The self-service action requested by :class:`RunAction` finished."""

    outcome: str
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VerifyDone(Input):
    """The result of :class:`VerifyIdentity`; ``customer_id`` when the identity is known."""

    ok: bool
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class WaitEstimate(Input):
    """The router's predicted wait of the queue asked by :class:`EstimateWait` (s; ``None``
    when no agent is staffed)."""

    seconds: float | None


# Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """Base of what a step asks the driver to do."""


@fast_init
@dataclass(frozen=True, slots=True)
class Say(Action):
    """Tell the customer ``text`` (already in the contact's language)."""

    text: str


@fast_init
@dataclass(frozen=True, slots=True)
class Ask(Action):
    """Wait for an answer to ``prompt`` until ``deadline`` (s). ``options`` are (digit, label)
    pairs to show as buttons or numbered lines; ``secret`` hides the typed answer; ``retry``
    is the number of the repeated question (0 the first time)."""

    node_id: str
    prompt: str
    options: tuple[tuple[str, str], ...]
    deadline: float | None
    secret: bool
    retry: int


@fast_init
@dataclass(frozen=True, slots=True)
class RunAction(Action):
    """Run self-service ``action`` with ``params``; answer with :class:`ActionDone`."""

    node_id: str
    action: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class VerifyIdentity(Action):
    """Check ``secret`` for ``identifier`` by ``method``; answer with :class:`VerifyDone`.
    The secret lives only in this action: it is in no state and no event."""

    node_id: str
    method: str
    identifier: str
    secret: str = field(repr=False)


@fast_init
@dataclass(frozen=True, slots=True)
class EstimateWait(Action):
    """Ask the router how long ``queue_id`` would take; answer with :class:`WaitEstimate`."""

    node_id: str
    queue_id: str


@dataclass(frozen=True, slots=True)
class Transfer(Action):
    """Queue the contact in ``queue_id`` with ``attributes``; ``callback``: call it back."""

    queue_id: str
    attributes: Mapping[str, str]
    callback: bool = False


@dataclass(frozen=True, slots=True)
class StartFlow(Action):
    """Continue in flow ``flow_id`` (begin it with this state's slots and verification)."""

    flow_id: str


@dataclass(frozen=True, slots=True)
class EndContact(Action):
    """The flow is over: close the conversation."""
