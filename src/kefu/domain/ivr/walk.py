"""One step of the interpreter in progress (see :mod:`kefu.domain.ivr.interpreter`).

:class:`Run` is the working state of a contact plus the events and actions of the step;
every change of the state goes through an event applied by the fold of
:class:`~kefu.domain.ivr.state.Working`, the one :func:`~kefu.domain.ivr.state.replay` uses.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from kefu.domain.errors import InvalidState, ValidationError
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.answers import (
    collected_value,
    handoff_attributes,
    has_keyword,
    match_option,
    wants_agent,
)
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
from kefu.domain.ivr.masking import MASK, mask_value, scrub_cards
from kefu.domain.ivr.matching import fill
from kefu.domain.ivr.state import IvrState, Working

__all__ = ["MAX_REPLY_CHARS", "Run"]

#: Longer replies are cut: no menu or value needs more, and segmenting costs per character.
MAX_REPLY_CHARS = 1000

_CUSTOMER_WAITS = frozenset({"input", "secret", "offer"})
_CALLBACK_WORDS = ("回电", "回拨", "回呼", "callback", "call back", "call me", "yes", "是")
_CALLBACK_LABELS = (
    {"zh": "回电给我", "en": "Call me back"},
    {"zh": "继续等待", "en": "Keep waiting"},
)


class Run(Working):
    """One step in progress: the working state (changed only through :meth:`emit`), the
    events and the actions so far."""

    __slots__ = ("actions", "ctx", "events", "flow", "now", "reason")

    def __init__(self, flow: Flow, state: IvrState, now: float, ctx: m.IvrContext) -> None:
        Working.__init__(self, state)
        self.flow = flow
        self.now = now
        self.ctx = ctx
        self.events: list[ev.IvrEvent] = []
        self.actions: list[m.Action] = []
        self.reason = "menu"

    def emit(self, e: ev.IvrEvent) -> None:
        self.events.append(e)
        self.apply(e)

    def entered(self, e: ev.NodeEntered) -> None:
        """:meth:`emit` for the most frequent event, without the dispatch."""
        self.events.append(e)
        self._node_entered(e)

    def text(self, texts: Any) -> str:
        """``texts`` in the contact's language (else the flow's first), slots filled."""
        t = texts.get(self.language)
        if t is None:
            t = texts.get(self.flow.languages[0]) or next(iter(texts.values()), "")
        return fill(t, self.slots)

    # Inputs ----------------------------------------------------------------------------

    def handle(self, inp: m.Input) -> bool:
        """Apply ``inp``; False when it changes nothing."""
        waiting = self.waiting
        if isinstance(inp, m.Reply):
            if waiting not in _CUSTOMER_WAITS:
                return False
            self.reply(inp.text)
        elif isinstance(inp, m.Timeout):
            if self.deadline is None or self.now < self.deadline:
                return False
            self.timeout()
        elif isinstance(inp, m.Hangup):
            self.emit(ev.Abandoned(self.now, self.contact_id, self.node or ""))
        elif isinstance(inp, m.ActionDone) and waiting == "action":
            self.action_done(inp.outcome, {str(k): str(v) for k, v in inp.data.items()})
        elif isinstance(inp, m.VerifyDone) and waiting == "verify":
            self.verify_done(inp.ok, inp.customer_id)
        elif isinstance(inp, m.WaitEstimate) and waiting == "estimate":
            self.estimate(inp.seconds)
        else:
            raise InvalidState(
                f"{type(inp).__name__} was not asked for (waiting: {waiting})",
                contact_id=self.contact_id,
                waiting=waiting,
            )
        return True

    def current(self) -> Node:
        return self.flow.nodes[self.node or self.flow.start]

    def reply(self, raw: str) -> None:
        text = raw.strip()[:MAX_REPLY_CHARS]
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        node = self.flow.nodes[self.node or self.flow.start]
        w = self
        shown = text
        if self.waiting == "secret":
            shown = "•" * len(text)
        elif isinstance(node, CollectNode) and node.sensitive:
            shown = mask_value(text)
        elif len(text) >= 13:
            shown = scrub_cards(text)
        # InputReceived changes no state: recorded without the apply dispatch.
        self.events.append(ev.InputReceived(self.now, w.contact_id, node.node_id, shown, False))
        option = node.by_digit.get(text) if isinstance(node, MenuNode) else None
        if option is None and (text == "0" or wants_agent(self.flow, text, self.ctx)):
            self.emit(
                ev.OptionMatched(
                    self.now, w.contact_id, node.node_id, "0", self.flow.agent, "agent"
                )
            )
            self.reason = "agent_requested"
            self.enter(self.flow.agent)
        elif isinstance(node, MenuNode):
            by = "digit"
            if option is None:
                found = match_option(node, text, self.ctx)
                if found is None:
                    self.refuse(node, "no_match")
                    return
                option, by = found
            matched = ev.OptionMatched(
                self.now, w.contact_id, node.node_id, option.digit, option.next, by
            )
            self.events.append(matched)
            self._option(matched)
            if option.language and option.language != w.language:
                self.emit(ev.LanguageChosen(self.now, w.contact_id, option.language))
            self.enter(option.next)
        elif isinstance(node, CollectNode):
            value = collected_value(node, text)
            if value is None:
                self.refuse(node, "invalid")
                return
            if node.sensitive:
                # The full number stays in memory for this contact's actions; logged masked.
                self.private = {**self.private, node.slot: value}
                value = mask_value(value)
            self.emit(ev.ValueCollected(self.now, w.contact_id, node.node_id, node.slot, value))
            self.enter(node.next)
        elif isinstance(node, VerifyNode):
            low, high = node.secret_length
            if not low <= len(text) <= high:
                self.refuse(node, "invalid")
                return
            identifier = w.slots.get(node.identifier_slot, "")
            full = w.private.get(node.identifier_slot, identifier)
            if full.startswith(MASK) and node.retry:
                # Only the masked number is known (the full one lived in memory before a
                # restart): ask for it again rather than check a PIN against "•••• 1234".
                self.enter(node.retry)
                return
            self.emit(
                ev.VerificationRequested(
                    self.now,
                    w.contact_id,
                    node.node_id,
                    node.method,
                    identifier,
                    self.now + node.timeout_s,
                )
            )
            self.actions.append(m.VerifyIdentity(node.node_id, node.method, full, text))
        elif isinstance(node, CallbackNode):
            if text == "1" or has_keyword(_CALLBACK_WORDS, text, self.ctx):
                self.reason = "callback"
                self.hand_off(node, node.queue, callback=True)
            else:
                self.enter(node.next)

    def timeout(self) -> None:
        node, waiting, w = self.current(), self.waiting, self
        if waiting in ("input", "secret"):
            self.emit(ev.InputReceived(self.now, w.contact_id, node.node_id, "", True))
            self.refuse(node, "timeout")
        elif waiting == "offer":
            self.emit(ev.InputReceived(self.now, w.contact_id, node.node_id, "", True))
            self.enter(node.next)  # type: ignore[attr-defined]
        elif waiting == "verify":
            self.verify_done(False, None)
        elif waiting == "action":
            self.action_done("timeout", {})
        elif waiting == "estimate":
            self.estimate(None)

    def action_done(self, outcome: str, data: dict[str, str]) -> None:
        node = self.current()
        assert isinstance(node, ActionNode)
        self.emit(
            ev.SelfServiceCompleted(
                self.now, self.contact_id, node.node_id, node.action, outcome, data
            )
        )
        self.enter(node.outcomes.get(outcome, node.default))

    def verify_done(self, ok: bool, customer_id: str | None) -> None:
        node, w = self.current(), self
        assert isinstance(node, VerifyNode)
        failures = w.verify_failures + (0 if ok else 1)
        identifier = w.slots.get(node.identifier_slot, "")
        self.emit(
            ev.IdentityVerified(
                self.now,
                w.contact_id,
                node.node_id,
                node.method,
                identifier,
                ok,
                customer_id,
                failures,
            )
        )
        if ok:
            self.enter(node.next)
        elif failures <= node.retries:
            self.enter(node.retry or node.node_id)
        else:
            self.reason = "verification_failed"
            self.enter(node.on_fail or self.flow.agent)

    def estimate(self, seconds: float | None) -> None:
        node, w = self.current(), self
        assert isinstance(node, CallbackNode)
        if seconds is not None and not (math.isfinite(seconds) and seconds >= 0):
            raise ValidationError(
                f"a predicted wait is a finite number of seconds ≥ 0 or None, got {seconds!r}",
                contact_id=self.contact_id,
            )
        offered = seconds is not None and seconds >= node.threshold_s
        deadline = self.now + node.timeout_s if offered else None
        self.emit(
            ev.WaitAnnounced(
                self.now, w.contact_id, node.node_id, node.queue, seconds, offered, deadline
            )
        )
        if seconds is not None:
            minutes = str(max(1, math.ceil(seconds / 60.0)))
            self.actions.append(m.Say(fill(self.text(node.announce), {"wait_min": minutes})))
        if offered:
            labels = tuple((str(i + 1), self.text(t)) for i, t in enumerate(_CALLBACK_LABELS))
            offer = self.text(node.offer)
            self.actions.append(m.Ask(node.node_id, offer, labels, deadline, False, 0))
        else:
            self.enter(node.next)

    # Moving ----------------------------------------------------------------------------

    def refuse(self, node: Node, reason: str) -> None:
        """Ask again, or leave for the node's ``on_fail`` (else an agent) when out of retries."""
        w = self
        retries: int = node.retries  # type: ignore[attr-defined]
        if w.retries < retries:
            deadline = self.now + node.timeout_s  # type: ignore[attr-defined]
            self.emit(
                ev.RetryCounted(
                    self.now, w.contact_id, node.node_id, w.retries + 1, reason, deadline
                )
            )
            self.ask(node, deadline)
        else:
            self.reason = "retries_exhausted"
            self.enter(node.on_fail or self.flow.agent)  # type: ignore[attr-defined]

    def ask(self, node: Node, deadline: float | None) -> None:
        key = (id(node), self.language)
        hit: Any = self.ctx.cache.get(key)
        if hit is not None and hit[0] is node:
            prompt, options = hit[1]
        else:
            options = ()
            if isinstance(node, MenuNode):
                options = tuple((o.digit, self.text(o.label)) for o in node.options)
            prompt = self.text(node.prompt)  # type: ignore[attr-defined]
            if "{" not in prompt and not any("{" in label for _, label in options):
                # Without placeholders the rendering depends on the language only: keep it.
                self.ctx.cache[key] = (node, (prompt, options))
        secret = isinstance(node, VerifyNode)
        self.actions.append(m.Ask(node.node_id, prompt, options, deadline, secret, self.retries))

    def enter(self, target: str) -> None:
        """Enter ``target`` and run the nodes that do not wait, until one waits or ends."""
        flow, w, now, cid = self.flow, self, self.now, self.contact_id
        while True:
            if w.visits >= flow.max_visits and target != flow.agent:
                target, self.reason = flow.agent, "max_visits"
            node = flow.nodes[target]
            if isinstance(node, (MenuNode, CollectNode)):
                deadline = now + node.timeout_s
                self.entered(ev.NodeEntered(now, cid, target, node.kind, "input", deadline))
                self.ask(node, deadline)
                return
            if isinstance(node, MessageNode):
                self.entered(ev.NodeEntered(now, cid, target, "message", None, None))
                self.actions.append(m.Say(self.text(node.text)))
                target = node.next
            elif isinstance(node, ActionNode):
                deadline = now + node.timeout_s
                self.entered(ev.NodeEntered(now, cid, target, "action", "action", deadline))
                values = {**w.slots, **w.private} if w.private else w.slots
                params = {k: fill(v, values) for k, v in node.params.items()}
                self.actions.append(m.RunAction(target, node.action, params))
                return
            elif isinstance(node, VerifyNode):
                v = w.verified
                if (
                    v
                    and v.method == node.method
                    and v.identifier == w.slots.get(node.identifier_slot)
                ):
                    # Verified earlier in this contact: never ask again.
                    self.entered(ev.NodeEntered(now, cid, target, "verify", None, None))
                    target = node.next
                    continue
                deadline = now + node.timeout_s
                self.entered(ev.NodeEntered(now, cid, target, "verify", "secret", deadline))
                self.ask(node, deadline)
                return
            elif isinstance(node, HoursNode):
                calendar = self.ctx.calendars.get(node.calendar)
                if calendar is None:
                    raise UnknownCalendar(f"unknown calendar {node.calendar!r}", name=node.calendar)
                is_open = calendar.is_open(now)
                self.entered(ev.NodeEntered(now, cid, target, "hours", None, None))
                self.emit(ev.CalendarChecked(now, cid, target, node.calendar, is_open))
                target = node.open if is_open else node.closed
            elif isinstance(node, CallbackNode):
                deadline = now + node.timeout_s
                self.entered(ev.NodeEntered(now, cid, target, "callback", "estimate", deadline))
                self.actions.append(m.EstimateWait(target, node.queue))
                return
            else:
                self.entered(ev.NodeEntered(now, cid, target, node.kind, None, None))
                self.leave(node)
                return

    def leave(self, node: Node) -> None:
        """Run a terminal node: transfer, goto another flow or end."""
        now, cid = self.now, self.contact_id
        if isinstance(node, TransferNode):
            if node.text:
                self.actions.append(m.Say(self.text(node.text)))
            self.hand_off(node, node.queue, callback=False)
        elif isinstance(node, GotoFlowNode):
            self.emit(ev.FlowChained(now, cid, node.node_id, node.flow))
            self.actions.append(m.StartFlow(node.flow))
        elif isinstance(node, EndNode):
            if node.text:
                self.actions.append(m.Say(self.text(node.text)))
            self.emit(ev.Ended(now, cid, node.node_id))
            self.actions.append(m.EndContact())

    def hand_off(self, node: Node, queue_id: str, *, callback: bool) -> None:
        attributes = handoff_attributes(self, self.reason)
        self.emit(
            ev.HandedOff(
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


def _already_verified(w: Working, node: VerifyNode) -> bool:
    v = w.verified
    return v is not None and (v.method, v.identifier) == (
        node.method,
        w.slots.get(node.identifier_slot),
    )
