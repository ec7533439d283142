"""One step of the interpreter in progress (see :mod:`kefu.domain.ivr.interpreter`).

:class:`Run` is the working state of a contact plus the events and actions of the step;
every change of the state goes through an event applied by the fold of
:class:`~kefu.domain.ivr.state.Working`, the one :func:`~kefu.domain.ivr.state.replay` uses.
This module handles the inputs (replies, timeouts, the driver's answers); entering and
leaving nodes is :class:`~kefu.domain.ivr.moving.Mover`'s job.
"""

from __future__ import annotations

import math
import unicodedata

from kefu.domain.errors import InvalidState, ValidationError
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.answers import (
    collected_value,
    has_keyword,
    match_option,
    sensitive_shown,
    wants_agent,
)
from kefu.domain.ivr.events import InputReceived, OptionMatched
from kefu.domain.ivr.flow import (
    ActionNode,
    CallbackNode,
    CollectNode,
    MenuNode,
    VerifyNode,
)
from kefu.domain.ivr.masking import MASK, scrub_cards
from kefu.domain.ivr.matching import fill
from kefu.domain.ivr.moving import Mover

__all__ = ["CUSTOMER_WAITS", "MAX_REPLY_CHARS", "Run"]

#: Longer replies are cut: no menu or value needs more, and segmenting costs per character.
MAX_REPLY_CHARS = 1000

#: What a node waits for when a customer's reply is an answer.
CUSTOMER_WAITS = frozenset({"input", "secret", "offer"})
_CALLBACK_WORDS = ("回电", "回拨", "回呼", "callback", "call back", "call me", "yes", "是")
_CALLBACK_LABELS = (
    {"zh": "回电给我", "en": "Call me back"},
    {"zh": "继续等待", "en": "Keep waiting"},
)


class Run(Mover):
    """One step in progress: the working state (changed only through :meth:`emit`), the
    events and the actions so far; the inputs it is fed."""

    __slots__ = ()

    # Inputs ----------------------------------------------------------------------------

    def handle(self, inp: m.Input) -> bool:
        """Apply ``inp``; False when it changes nothing."""
        waiting = self.waiting
        if isinstance(inp, m.Reply):
            if waiting not in CUSTOMER_WAITS:
                return False
            self.reply(inp.text)
        elif isinstance(inp, m.Timeout):
            if self.deadline is None or self.now < self.deadline:
                return False
            self.timeout()
        elif isinstance(inp, m.Hangup):
            self.emit((ev.Abandoned, self.now, self.contact_id, self.node or ""))
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

    def reply(self, raw: str) -> None:
        text = raw.strip()[:MAX_REPLY_CHARS]
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        node = self.flow.nodes[self.node or self.flow.start]
        w = self
        option = node.by_digit.get(text) if isinstance(node, MenuNode) else None
        # Digits other than "0" (card numbers, PINs) never ask for an agent: no call for them.
        to_agent = option is None and (
            text == "0" or (not text.isdigit() and wants_agent(self.flow, text, self.ctx))
        )
        shown = text
        if self.waiting == "secret":
            shown = "•" * len(text)
        elif isinstance(node, CollectNode) and node.sensitive:
            shown = sensitive_shown(self.flow, text, self.ctx, to_agent)
        elif len(text) >= 13:
            shown = scrub_cards(text)
        # InputReceived changes no state: recorded without the apply dispatch.
        self.events.append((InputReceived, self.now, w.contact_id, node.node_id, shown, False))
        if to_agent:
            self.emit(
                (
                    ev.OptionMatched,
                    self.now,
                    w.contact_id,
                    node.node_id,
                    "0",
                    self.flow.agent,
                    "agent",
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
            matched = (
                OptionMatched,
                self.now,
                w.contact_id,
                node.node_id,
                option.digit,
                option.next,
                by,
            )
            self.events.append(matched)
            # The fold of OptionMatched (Working._option) written out: one call fewer.
            self.path += (f"{node.node_id}:{option.digit}",)
            if option.language and option.language != w.language:
                self.emit((ev.LanguageChosen, self.now, w.contact_id, option.language))
            self.enter(option.next)
        elif isinstance(node, CollectNode):
            value = collected_value(node, text)
            if value is None:
                self.refuse(node, "invalid")
                return
            if node.sensitive:
                # The full number stays in memory for this contact's actions; logged masked
                # (as the input was: mask_value drops the spaces and dashes value lost).
                self.private = {**self.private, node.slot: value}
                value = shown
            self.emit((ev.ValueCollected, self.now, w.contact_id, node.node_id, node.slot, value))
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
                (
                    ev.VerificationRequested,
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
            self.emit((ev.InputReceived, self.now, w.contact_id, node.node_id, "", True))
            self.refuse(node, "timeout")
        elif waiting == "offer":
            self.emit((ev.InputReceived, self.now, w.contact_id, node.node_id, "", True))
            self.enter(node.next)  # type: ignore[attr-defined]
        elif waiting == "verify":
            self.verify_done(False, None)
        elif waiting == "action":
            self.action_done("timeout", {})
        elif waiting == "estimate":
            self.estimate(None)

    def action_done(self, outcome: str, data: dict[str, str]) -> None:
        node: ActionNode = self.flow.nodes[self.node]  # type: ignore[index,assignment]
        self.emit(
            (
                ev.SelfServiceCompleted,
                self.now,
                self.contact_id,
                node.node_id,
                node.action,
                outcome,
                data,
            )
        )
        self.enter(node.outcomes.get(outcome, node.default))

    def verify_done(self, ok: bool, customer_id: str | None) -> None:
        w = self
        node: VerifyNode = self.flow.nodes[self.node]  # type: ignore[index,assignment]
        failures = w.verify_failures + (0 if ok else 1)
        identifier = w.slots.get(node.identifier_slot, "")
        self.emit(
            (
                ev.IdentityVerified,
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
            (
                ev.WaitAnnounced,
                self.now,
                w.contact_id,
                node.node_id,
                node.queue,
                seconds,
                offered,
                deadline,
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
