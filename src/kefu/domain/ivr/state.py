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

__all__ = ["IvrState", "Verification", "Working", "replay"]


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

_OUTCOME_OF = {
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

    def apply(self, e: ev.IvrEvent) -> None:
        """Change the state as event ``e`` says."""
        _APPLY[type(e)](self, e)

    # One method per event type; the table below dispatches on the event's class.

    def _node_entered(self, e: Any) -> None:
        self.node = e.node_id
        self.waiting = e.waiting
        self.deadline = e.deadline
        self.retries = 0
        self.visits += 1

    def _option(self, e: Any) -> None:
        self.path = (*self.path, f"{e.node_id}:{e.digit}")

    def _retry(self, e: Any) -> None:
        self.retries = e.retry
        self.deadline = e.deadline

    def _value(self, e: Any) -> None:
        self.slots = {**self.slots, e.slot: e.value}

    def _language(self, e: Any) -> None:
        self.language = e.language

    def _verify_requested(self, e: Any) -> None:
        self.waiting = "verify"
        self.deadline = e.deadline

    def _verified(self, e: Any) -> None:
        self.verify_failures = e.failures
        if e.ok:
            self.verified = Verification(e.method, e.identifier, e.customer_id, e.at)

    def _self_service(self, e: Any) -> None:
        self.attempts = (*self.attempts, (e.action, e.outcome))
        if e.data:
            prefix = e.action + "."
            slots = dict(self.slots)
            for k, v in e.data.items():
                slots[prefix + k] = v
            self.slots = slots

    def _wait(self, e: Any) -> None:
        self.estimated_wait_s = e.estimated_wait_s
        if e.offered:
            self.waiting = "offer"
            self.deadline = e.deadline

    def _finish(self, e: Any) -> None:
        self.waiting = None
        self.deadline = None
        self.outcome = _OUTCOME_OF[type(e)]

    def _handed_off(self, e: Any) -> None:
        self.waiting = None
        self.deadline = None
        self.outcome = "callback" if e.callback else "transfer"

    def _nothing(self, _e: Any) -> None:
        return None


_APPLY: dict[type[ev.IvrEvent], Callable[[Working, Any], None]] = {
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
        w.apply(e)
    return w.freeze()
