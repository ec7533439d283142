"""The state of one contact in a flow, and how events change it (the fold replay uses).

:class:`IvrState` is immutable. :class:`Working` is its mutable twin used while one step runs
and while replaying: every change goes through :meth:`Working.apply` of an event, so the
interpreter and :func:`replay` share one transition function and cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from kefu.domain.errors import ValidationError
from kefu.domain.ivr import events as ev
from kefu.domain.ivr.fastinit import fast_init
from kefu.domain.ivr.records import EventRecord, record_of

__all__ = ["IvrState", "Verification", "Working", "replay"]


@fast_init  # built on every successful identity check
@dataclass(frozen=True, slots=True)
class Verification:
    """The contact proved it owns ``identifier`` by ``method`` at instant ``at`` (s)."""

    method: str
    identifier: str
    customer_id: str | None
    at: float


_NO_PRIVATE: Mapping[str, str] = MappingProxyType({})


class IvrState(NamedTuple):
    """Where a contact is in a flow version (immutable: a named tuple, cheap to build once
    per step).

    ``waiting`` is what the current node waits for (``input``, ``secret``, ``verify``,
    ``action``, ``estimate``, ``offer``; ``None`` once finished) until ``deadline`` (s);
    ``retries`` counts refused answers at this node, ``visits`` node entries so far;
    ``slots`` holds collected values and self-service data; ``path`` the menu choices
    (``node:digit``); ``attempts`` the self-service ``(action, outcome)`` pairs;
    ``outcome`` is set when the contact left the flow (``transfer``, ``callback``, ``flow``,
    ``end``, ``abandon``). ``private`` holds the full values of sensitive slots (card
    numbers), whose ``slots`` entry is masked: in memory only, in no event, so a replay
    rebuilds :meth:`public` (the state without them).
    """

    contact_id: str
    flow_id: str
    version: int
    started_at: float
    language: str
    node: str | None
    waiting: str | None
    deadline: float | None
    retries: int
    visits: int
    slots: Mapping[str, str]
    path: tuple[str, ...]
    verified: Verification | None
    verify_failures: int
    attempts: tuple[tuple[str, str], ...]
    estimated_wait_s: float | None
    outcome: str | None
    private: Mapping[str, str] = _NO_PRIVATE

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def public(self) -> IvrState:
        """The state without its private values: what :func:`replay` of its events gives."""
        return self._replace(private=_NO_PRIVATE) if self.private else self


# Building the tuple directly skips the named tuple's Python-level ``__new__``.
_new_tuple: Callable[[type[IvrState], tuple[Any, ...]], IvrState] = tuple.__new__

_OUTCOME_OF: dict[type[ev.IvrEvent], str] = {
    ev.Ended: "end",
    ev.Abandoned: "abandon",
    ev.FlowChained: "flow",
}


class Working:
    """A mutable copy of an :class:`IvrState`, changed only by :meth:`apply`."""

    __slots__ = (
        "attempts",
        "contact_id",
        "deadline",
        "estimated_wait_s",
        "flow_id",
        "language",
        "node",
        "outcome",
        "path",
        "private",
        "retries",
        "slots",
        "started_at",
        "verified",
        "verify_failures",
        "version",
        "visits",
        "waiting",
    )

    def __init__(self, s: IvrState) -> None:
        (
            self.contact_id,
            self.flow_id,
            self.version,
            self.started_at,
            self.language,
            self.node,
            self.waiting,
            self.deadline,
            self.retries,
            self.visits,
            self.slots,
            self.path,
            self.verified,
            self.verify_failures,
            self.attempts,
            self.estimated_wait_s,
            self.outcome,
            self.private,
        ) = s

    def freeze(self) -> IvrState:
        return _new_tuple(
            IvrState,
            (
                self.contact_id,
                self.flow_id,
                self.version,
                self.started_at,
                self.language,
                self.node,
                self.waiting,
                self.deadline,
                self.retries,
                self.visits,
                self.slots,
                self.path,
                self.verified,
                self.verify_failures,
                self.attempts,
                self.estimated_wait_s,
                self.outcome,
                self.private,
            ),
        )

    def apply(self, r: EventRecord) -> None:
        """Change the state as the event of record ``r`` (:mod:`~kefu.domain.ivr.records`)
        says."""
        _APPLY[r[0]](self, r)

    # One method per event type, reading the record's fields by position (class, at,
    # contact_id, then the class's own fields); the table below dispatches on the class.

    def _node_entered(self, r: EventRecord) -> None:
        _, _, _, self.node, _, self.waiting, self.deadline = r
        self.retries = 0
        self.visits += 1

    def _option(self, r: EventRecord) -> None:
        self.path = (*self.path, f"{r[3]}:{r[4]}")

    def _retry(self, r: EventRecord) -> None:
        _, _, _, _, self.retries, _, self.deadline = r

    def _value(self, r: EventRecord) -> None:
        self.slots = {**self.slots, r[4]: r[5]}

    def _language(self, r: EventRecord) -> None:
        self.language = r[3]

    def _verify_requested(self, r: EventRecord) -> None:
        self.waiting = "verify"
        self.deadline = r[6]

    def _verified(self, r: EventRecord) -> None:
        _, at, _, _, method, identifier, ok, customer_id, self.verify_failures = r
        if ok:
            self.verified = Verification(method, identifier, customer_id, at)

    def _self_service(self, r: EventRecord) -> None:
        _, _, _, _, action, outcome, data = r
        self.attempts = (*self.attempts, (action, outcome))
        if data:
            prefix = action + "."
            slots = dict(self.slots)
            for k, v in data.items():
                slots[prefix + k] = v
            self.slots = slots

    def _wait(self, r: EventRecord) -> None:
        _, _, _, _, _, self.estimated_wait_s, offered, deadline = r
        if offered:
            self.waiting = "offer"
            self.deadline = deadline

    def _finish(self, r: EventRecord) -> None:
        self.waiting = None
        self.deadline = None
        self.outcome = _OUTCOME_OF[r[0]]

    def _handed_off(self, r: EventRecord) -> None:
        self.waiting = None
        self.deadline = None
        self.outcome = "callback" if r[5] else "transfer"

    def _nothing(self, _r: EventRecord) -> None:
        return None


_APPLY: dict[type[ev.IvrEvent], Callable[[Working, EventRecord], None]] = {
    ev.NodeEntered: Working._node_entered,
    ev.InputReceived: Working._nothing,
    ev.OptionMatched: Working._option,
    ev.LanguageChosen: Working._language,
    ev.RetryCounted: Working._retry,
    ev.ValueCollected: Working._value,
    ev.VerificationRequested: Working._verify_requested,
    ev.IdentityVerified: Working._verified,
    ev.SelfServiceCompleted: Working._self_service,
    ev.WaitAnnounced: Working._wait,
    ev.CalendarChecked: Working._nothing,
    ev.HandedOff: Working._handed_off,
    ev.FlowChained: Working._finish,
    ev.Abandoned: Working._finish,
    ev.Ended: Working._finish,
}


def initial_state(e: ev.FlowStarted) -> IvrState:
    """The state a :class:`~kefu.domain.ivr.events.FlowStarted` event opens."""
    verified = None
    if e.verified_method is not None and e.verified_identifier is not None:
        at = e.at if e.verified_at is None else e.verified_at
        verified = Verification(
            e.verified_method, e.verified_identifier, e.verified_customer_id, at
        )
    return IvrState(
        e.contact_id,
        e.flow_id,
        e.version,
        e.at,
        e.language,
        None,
        None,
        None,
        0,
        0,
        dict(e.slots),
        (),
        verified,
        0,
        (),
        None,
        None,
    )


def replay(events: Iterable[ev.IvrEvent]) -> IvrState:
    """Rebuild a contact's state from its events (the first must be ``FlowStarted``)."""
    it = iter(events)
    first = next(it, None)
    if not isinstance(first, ev.FlowStarted):
        raise ValidationError("an IVR log starts with FlowStarted", first=type(first).__name__)
    w = Working(initial_state(first))
    for e in it:
        if isinstance(e, ev.FlowStarted):
            raise ValidationError("FlowStarted twice in one contact's log", at=e.at)
        w.apply(record_of(e))
    return w.freeze()
