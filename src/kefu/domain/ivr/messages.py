"""What goes into the interpreter (inputs) and what comes out of it (actions), and the context.

Every transport (web chat, SMS, a web page, a kiosk, voice with DTMF or speech) is a driver:
it turns what the customer does into inputs, carries out the actions, and calls
:func:`~kefu.domain.ivr.interpreter.step` again at ``next_due(state)`` with :class:`Timeout`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import ForwardRef, NamedTuple, Protocol

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
    "TupleAction",
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


class Action:
    """Base of what a step asks the driver to do (immutable values, compared by type and
    fields)."""

    __slots__ = ()


class TupleAction(Action):
    """Base of the actions a step builds most often (:class:`Say`, :class:`Ask`,
    :class:`RunAction`, :class:`EstimateWait`): named tuples, which the interpreter builds
    with one ``tuple.__new__`` call (about a quarter of a frozen dataclass's ``__init__``).
    They stay immutable and compare like dataclasses: equal only to an action of the same
    type with equal fields, never to a plain tuple (what tuples add, such as ``len`` and
    iteration, is there too)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _tuple_eq(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return _tuple_hash(self)


_tuple_eq: Callable[[object, object], bool] = tuple.__eq__  # type: ignore[assignment]
_tuple_hash: Callable[[object], int] = tuple.__hash__  # type: ignore[assignment]


def _described(cls: type[TupleAction]) -> None:
    """Describe the named-tuple action ``cls`` as a dataclass of its tuple's fields, so that
    ``dataclasses.fields``, ``asdict`` and ``replace`` (and code that reads actions through
    them) see it as they see the other actions. Only the description is added: no
    ``__init__``, ``__eq__`` or ``__repr__`` (the named tuple's and :class:`TupleAction`'s
    stay)."""
    base = next(b for b in cls.__mro__ if "_fields" in b.__dict__)
    # As strings, like the annotations of the dataclasses of this module.
    cls.__annotations__ = {
        k: v.__forward_arg__ if isinstance(v, ForwardRef) else v
        for k, v in base.__annotations__.items()
    }
    dataclass(init=False, repr=False, eq=False)(cls)
    for f in fields(cls):  # type: ignore[arg-type]
        f.default = MISSING  # found on the class: the tuple's field getter, not a default


class _SayFields(NamedTuple):
    text: str


class Say(TupleAction, _SayFields):
    """Tell the customer ``text`` (already in the contact's language)."""

    __slots__ = ()


class _AskFields(NamedTuple):
    node_id: str
    prompt: str
    options: tuple[tuple[str, str], ...]
    deadline: float | None
    secret: bool
    retry: int


class Ask(TupleAction, _AskFields):
    """Wait for an answer to ``prompt`` until ``deadline`` (s). ``options`` are (digit, label)
    pairs to show as buttons or numbered lines; ``secret`` hides the typed answer; ``retry``
    is the number of the repeated question (0 the first time)."""

    __slots__ = ()


class _RunActionFields(NamedTuple):
    node_id: str
    action: str
    params: Mapping[str, str]


class RunAction(TupleAction, _RunActionFields):
    """Run self-service ``action`` with ``params``; answer with :class:`ActionDone`."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class VerifyIdentity(Action):
    """Check ``secret`` for ``identifier`` by ``method``; answer with :class:`VerifyDone`.
    The secret lives only in this action: it is in no state and no event."""

    node_id: str
    method: str
    identifier: str
    secret: str = field(repr=False)


class _EstimateWaitFields(NamedTuple):
    node_id: str
    queue_id: str


class EstimateWait(TupleAction, _EstimateWaitFields):
    """Ask the router how long ``queue_id`` would take; answer with :class:`WaitEstimate`."""

    __slots__ = ()


for _cls in (Say, Ask, RunAction, EstimateWait):
    _described(_cls)


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
