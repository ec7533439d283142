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
from kefu.domain.ivr.flow import (
    ActionNode,
    CallbackNode,
    CollectNode,
    EndNode,
    Flow,
    GotoFlowNode,
    HoursNode,
    MenuNode,
    MessageNode,
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
        unpacked here rather than by ``Working.__init__``: one call fewer on every step."""
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

    def entered(self, r: EventRecord) -> None:
        """:meth:`emit` for the most frequent event (``NodeEntered``), without the dispatch:
        the fold of :meth:`Working._node_entered` written out, one call fewer per node (the
        golden walk's replay check proves the two agree)."""
        self.events.append(r)
        _, _, _, self.node, _, self.waiting, self.deadline = r
        self.retries = 0
        self.visits += 1

    def text(self, texts: Any) -> str:
        """``texts`` in the contact's language (else the flow's first), slots filled."""
        t = texts.get(self.language)
        if t is None:
            t = texts.get(self.flow.languages[0]) or next(iter(texts.values()), "")
        return fill(t, self.slots)

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
        """Enter ``target`` and run the nodes that do not wait, until one waits or ends."""
        flow = self.flow
        w = self
        now = self.now
        cid = self.contact_id
        while True:
            if w.visits >= flow.max_visits and target != flow.agent:
                target, self.reason = flow.agent, "max_visits"
            node = flow.nodes[target]
            if isinstance(node, (MenuNode, CollectNode)):
                deadline = now + node.timeout_s
                # node.kind without the property call
                if isinstance(node, CollectNode):
                    kind = "collect"
                else:
                    kind = "language" if node.is_language else "menu"
                self.entered((ev.NodeEntered, now, cid, target, kind, "input", deadline))
                self.ask(node, deadline)
                return
            if isinstance(node, MessageNode):
                self.entered((ev.NodeEntered, now, cid, target, "message", None, None))
                self.actions.append(_new_tuple(Say, (self.text(node.text),)))
                target = node.next
            elif isinstance(node, ActionNode):
                deadline = now + node.timeout_s
                self.entered((ev.NodeEntered, now, cid, target, "action", "action", deadline))
                params = dict(node.params)
                if node.templated:
                    values = {**w.slots, **w.private} if w.private else w.slots
                    for k in node.templated:
                        params[k] = fill(params[k], values)
                self.actions.append(_new_tuple(RunAction, (target, node.action, params)))
                return
            elif isinstance(node, VerifyNode):
                v = w.verified
                if (
                    v
                    and v.method == node.method
                    and v.identifier == w.slots.get(node.identifier_slot)
                ):
                    # Verified earlier in this contact: never ask again.
                    self.entered((ev.NodeEntered, now, cid, target, "verify", None, None))
                    target = node.next
                    continue
                deadline = now + node.timeout_s
                self.entered((ev.NodeEntered, now, cid, target, "verify", "secret", deadline))
                self.ask(node, deadline)
                return
            elif isinstance(node, HoursNode):
                calendar = self.ctx.calendars.get(node.calendar)
                if calendar is None:
                    raise UnknownCalendar(f"unknown calendar {node.calendar!r}", name=node.calendar)
                is_open = calendar.is_open(now)
                self.entered((ev.NodeEntered, now, cid, target, "hours", None, None))
                # CalendarChecked changes no state: recorded without the apply dispatch.
                self.events.append((ev.CalendarChecked, now, cid, target, node.calendar, is_open))
                target = node.open if is_open else node.closed
            elif isinstance(node, CallbackNode):
                deadline = now + node.timeout_s
                self.entered((ev.NodeEntered, now, cid, target, "callback", "estimate", deadline))
                self.actions.append(_new_tuple(EstimateWait, (target, node.queue)))
                return
            else:
                self.entered((ev.NodeEntered, now, cid, target, node.kind, None, None))
                self.leave(node)
                return

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
