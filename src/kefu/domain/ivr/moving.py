"""Moving through a flow: the working state of one step and how it enters nodes.

:class:`Mover` holds the working state of a contact plus the events and actions of the
step (every change goes through an event applied by the fold of
:class:`~kefu.domain.ivr.state.Working`); it enters nodes, runs those that do not wait,
asks, retries and leaves (transfer, goto, end). :class:`~kefu.domain.ivr.walk.Run` adds
the handling of inputs on top.
"""

from __future__ import annotations

from typing import Any

from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.answers import handoff_attributes
from kefu.domain.ivr.errors import UnknownCalendar
from kefu.domain.ivr.events import CalendarChecked, NodeEntered
from kefu.domain.ivr.flow import (
    ENTER_ACTION,
    ENTER_ASK,
    ENTER_CALLBACK,
    ENTER_HOURS,
    ENTER_MESSAGE,
    ENTER_VERIFY,
    EndNode,
    Flow,
    GotoFlowNode,
    MenuNode,
    Node,
    TransferNode,
    VerifyNode,
)
from kefu.domain.ivr.matching import fill
from kefu.domain.ivr.messages import Ask, EstimateWait, RunAction, Say
from kefu.domain.ivr.records import EventRecord
from kefu.domain.ivr.state import IvrState, Working

__all__ = ["Mover"]

# The actions a step builds (named tuples, see messages.TupleAction) are made by
# tuple.__new__ directly: one C call instead of the named tuple's Python-level __new__.
_new_tuple: Any = tuple.__new__


class Mover(Working):
    """One step in progress: the working state (changed only through :meth:`emit`), the
    events and the actions so far, and the moves from node to node."""

    __slots__ = ("actions", "ctx", "events", "flow", "now", "reason")

    def __init__(self, flow: Flow, state: IvrState, now: float, ctx: m.IvrContext) -> None:
        self.load(flow, state, now, ctx)

    def load(self, flow: Flow, state: IvrState, now: float, ctx: m.IvrContext) -> None:
        """Start a step of ``state`` at ``now`` (s); :func:`~kefu.domain.ivr.interpreter.step`
        calls it on a bare instance, which is cheaper than calling the class. The state is
        unpacked here rather than by ``Working.__init__``: one call fewer on every step
        (calling it measured 2 % more instructions per step, bench/ivr_instructions.py)."""
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
        ) = state
        self.flow = flow
        self.now = now
        self.ctx = ctx
        self.events: list[EventRecord] = []
        self.actions: list[m.Action] = []
        self.reason = "menu"

    def emit(self, r: EventRecord) -> None:
        """Record the event of record ``r`` (its class, then its fields) and apply it."""
        self.events.append(r)
        self.apply(r)

    def text(self, texts: Any) -> str:
        """``texts`` in the contact's language (else the flow's first), slots filled."""
        t = texts.get(self.language)
        if t is None:
            t = texts.get(self.flow.languages[0]) or next(iter(texts.values()), "")
        return fill(t, self.slots) if "{" in t else t

    def current(self) -> Node:
        return self.flow.nodes[self.node or self.flow.start]

    # Moving ----------------------------------------------------------------------------

    def refuse(self, node: Node, reason: str) -> None:
        """Ask again, or leave for the node's ``on_fail`` (else an agent) when out of retries."""
        w = self
        retries: int = node.retries  # type: ignore[attr-defined]
        if w.retries < retries:
            deadline = self.now + node.timeout_s  # type: ignore[attr-defined]
            self.emit(
                (
                    ev.RetryCounted,
                    self.now,
                    w.contact_id,
                    node.node_id,
                    w.retries + 1,
                    reason,
                    deadline,
                )
            )
            self.ask(node, deadline)
        else:
            self.reason = "retries_exhausted"
            self.enter(node.on_fail or self.flow.agent)  # type: ignore[attr-defined]

    def ask(self, node: Node, deadline: float | None) -> None:
        key = (id(node), self.language)
        hit: Any = self.ctx.cache.get(key)
        if hit is None or hit[0] is not node:
            hit = self._question(node, key)
        _, node_id, prompt, options, secret = hit
        self.actions.append(
            _new_tuple(Ask, (node_id, prompt, options, deadline, secret, self.retries))
        )

    def _question(self, node: Node, key: tuple[int, str]) -> tuple[Any, ...]:
        """What :meth:`ask` shows of ``node`` in the contact's language: (node, node id,
        prompt, options, secret); kept in the context's memo when no slot fills it in."""
        options: tuple[tuple[str, str], ...] = ()
        if isinstance(node, MenuNode):
            options = tuple((o.digit, self.text(o.label)) for o in node.options)
        prompt = self.text(node.prompt)  # type: ignore[attr-defined]
        question = (node, node.node_id, prompt, options, isinstance(node, VerifyNode))
        if "{" not in prompt and not any("{" in label for _, label in options):
            # Without placeholders the rendering depends on the language only: keep it.
            self.ctx.cache[key] = question
        return question

    def enter(self, target: str) -> None:
        """Enter ``target`` and run the nodes that do not wait, until one waits or ends.

        Nodes come resolved (:attr:`Flow.entries`); each ``NodeEntered`` is applied by the
        fold of :meth:`Working._node_entered` written out (one call fewer per node; the
        golden walk's replay check proves that the two agree)."""
        flow = self.flow
        entries = flow.entries
        now, cid, events = self.now, self.contact_id, self.events
        node: Any  # the entry's node, of the kind its code says
        while True:
            if self.visits >= flow.max_visits and target != flow.agent:
                target, self.reason = flow.agent, "max_visits"
            node, code, kind, waiting, timeout_s = entries[target]
            if code == ENTER_VERIFY and self._verified_for(node):
                waiting = None  # verified earlier in this contact: never ask again
            deadline = None if waiting is None else now + timeout_s
            events.append((NodeEntered, now, cid, target, kind, waiting, deadline))
            self.node, self.waiting, self.deadline = target, waiting, deadline
            self.retries, self.visits = 0, self.visits + 1
            if code == ENTER_ASK:
                self.ask(node, deadline)
                return
            if code == ENTER_MESSAGE:
                self.actions.append(_new_tuple(Say, (self.text(node.text),)))
                target = node.next
            elif code == ENTER_ACTION:
                params = dict(node.params)
                if node.templated:
                    values = {**self.slots, **self.private} if self.private else self.slots
                    for k in node.templated:
                        params[k] = fill(params[k], values)
                self.actions.append(_new_tuple(RunAction, (target, node.action, params)))
                return
            elif code == ENTER_VERIFY:
                if waiting is None:
                    target = node.next
                    continue
                self.ask(node, deadline)
                return
            elif code == ENTER_HOURS:
                calendar = self.ctx.calendars.get(node.calendar)
                if calendar is None:
                    raise UnknownCalendar(f"unknown calendar {node.calendar!r}", name=node.calendar)
                is_open = calendar.is_open(now)
                # CalendarChecked changes no state: recorded without the apply dispatch.
                events.append((CalendarChecked, now, cid, target, node.calendar, is_open))
                target = node.open if is_open else node.closed
            elif code == ENTER_CALLBACK:
                self.actions.append(_new_tuple(EstimateWait, (target, node.queue)))
                return
            else:
                self.leave(node)
                return

    def _verified_for(self, node: VerifyNode) -> bool:
        """True when this contact already proved the identifier ``node`` asks about."""
        v = self.verified
        return bool(
            v and v.method == node.method and v.identifier == self.slots.get(node.identifier_slot)
        )

    def leave(self, node: Node) -> None:
        """Run a terminal node: transfer, goto another flow or end."""
        now, cid = self.now, self.contact_id
        if isinstance(node, TransferNode):
            if node.text:
                self.actions.append(_new_tuple(Say, (self.text(node.text),)))
            self.hand_off(node, node.queue, callback=False)
        elif isinstance(node, GotoFlowNode):
            self.emit((ev.FlowChained, now, cid, node.node_id, node.flow))
            self.actions.append(m.StartFlow(node.flow))
        elif isinstance(node, EndNode):
            if node.text:
                self.actions.append(_new_tuple(Say, (self.text(node.text),)))
            self.emit((ev.Ended, now, cid, node.node_id))
            self.actions.append(m.EndContact())

    def hand_off(self, node: Node, queue_id: str, *, callback: bool) -> None:
        attributes = handoff_attributes(self, self.reason)
        self.emit(
            (
                ev.HandedOff,
                self.now,
                self.contact_id,
                node.node_id,
                queue_id,
                callback,
                self.reason,
                attributes,
            )
        )
        self.actions.append(m.Transfer(queue_id, attributes, callback))
