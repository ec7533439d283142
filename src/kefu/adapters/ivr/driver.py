"""A synchronous driver: runs the interpreter and answers its requests from local plug-ins.

Transports use it to turn a customer's turn into the actions to show or speak: self-service
actions, identity checks and wait estimates are answered at once (same instant) and fed back
to the interpreter, so a turn returns only what the customer sees and the hand-off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kefu.domain.ivr import messages as m
from kefu.domain.ivr.events import IvrEvent
from kefu.domain.ivr.flow import Flow
from kefu.domain.ivr.interpreter import begin, step
from kefu.domain.ivr.state import IvrState

__all__ = ["LocalDriver", "Turn"]

_log = logging.getLogger(__name__)

Verifier = Callable[[str, str, str], m.VerifyDone]
WaitEstimator = Callable[[str], float | None]


@dataclass(slots=True)
class Turn:
    """The state after a turn, what to show the customer (``Say``, ``Ask``, ``Transfer``,
    ``StartFlow``, ``EndContact``) and every event of the turn."""

    state: IvrState
    actions: list[m.Action] = field(default_factory=list)
    events: list[IvrEvent] = field(default_factory=list)


def _no_estimate(_queue_id: str) -> float | None:
    return None


def _refuse(_method: str, _identifier: str, _secret: str) -> m.VerifyDone:
    return m.VerifyDone(False)


@dataclass(slots=True)
class LocalDriver:
    """Runs ``flow`` with ``actions`` (self-service by name), ``verify`` (method, identifier,
    secret → result) and ``estimate`` (queue → predicted wait, s)."""

    flow: Flow
    actions: Mapping[str, m.SelfService] = field(default_factory=dict)
    verify: Verifier = _refuse
    estimate: WaitEstimator = _no_estimate
    ctx: m.IvrContext = field(default_factory=m.IvrContext)

    def start(self, contact_id: str, now: float, language: str | None = None) -> Turn:
        state, actions, events = begin(self.flow, contact_id, now, language=language, ctx=self.ctx)
        return self._settle(Turn(state, [], list(events)), actions, now)

    def send(self, state: IvrState, inp: m.Input, now: float) -> Turn:
        """Feed ``inp`` (a reply, a timeout, a hang-up) at ``now`` (s)."""
        state, actions, events = step(self.flow, state, inp, now, self.ctx)
        return self._settle(Turn(state, [], list(events)), actions, now)

    def _settle(self, turn: Turn, actions: list[m.Action], now: float) -> Turn:
        pending = list(actions)
        while pending:
            action = pending.pop(0)
            answer = self.answer(action)
            if answer is None:
                turn.actions.append(action)
                continue
            turn.state, more, events = step(self.flow, turn.state, answer, now, self.ctx)
            turn.events.extend(events)
            pending = more + pending
        return turn

    def answer(self, action: m.Action) -> m.Input | None:
        """The input that answers ``action`` (``None``: the action is for the customer)."""
        if isinstance(action, m.RunAction):
            run = self.actions.get(action.action)
            if run is None:
                return m.ActionDone("unknown_action")
            try:
                return run(action.params)
            except Exception:  # a failing plug-in must not strand the caller: outcome "error"
                _log.exception("self-service action %s failed", action.action)
                return m.ActionDone("error")
        if isinstance(action, m.VerifyIdentity):
            return self.verify(action.method, action.identifier, action.secret)
        if isinstance(action, m.EstimateWait):
            return m.WaitEstimate(self.estimate(action.queue_id))
        return None
