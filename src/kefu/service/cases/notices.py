"""Telling the customer where their case stands: a short message when it is opened, waits
on them, is resolved, closed or reopened.

The message goes on the customer's last channel: a chat conversation still open, else the
newest SMS conversation, else the newest e-mail one (a channel needs its reply gateway, and
the customer's consent to be contacted on it: :attr:`CaseNotifier.may_contact`). Its text
is the catalog's ``case_notice.<event>`` in the customer's language
(:attr:`CaseNotifier.language_of`, else the language of their last message, else the site's
default: :mod:`kefu.service.channels.texts`). In an open conversation it is filed like an
agent's reply; otherwise it leaves through the gateway on the conversation's route.

Each notice (or why none was sent: ``no_channel``, ``no_consent``) is recorded in the
``case_notice`` stream of the channel log in the transaction of the change, and sent only
once that is stored. A restart replays the records and never sends again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kefu.domain.cases import Case, CaseState
from kefu.domain.customers import Conversation
from kefu.domain.model import Channel
from kefu.domain.routing import Router
from kefu.service.channels.ports import ChannelRecord, OutboundReply
from kefu.service.channels.service import ChannelService
from kefu.service.channels.texts import customer_text, language_of_messages, recorded_language
from kefu.service.ports import UnitOfWork
from kefu.service.transaction import Transaction

__all__ = ["NOTICE_AUTHOR", "NOTICE_STREAM", "CaseNotice", "CaseNotifier", "notice_text"]

log = logging.getLogger(__name__)
NOTICE_STREAM = "case_notice"
NOTICE_AUTHOR = "kefu"
EVENTS: dict[CaseState, str] = {
    CaseState.NEW: "opened",
    CaseState.WAITING_ON_CUSTOMER: "waiting_on_customer",
    CaseState.RESOLVED: "resolved",
    CaseState.CLOSED: "closed",
    CaseState.REOPENED: "reopened",
}
"""The states the customer is told of, and their notices' names."""
_ORDER = (Channel.SMS, Channel.EMAIL)


@dataclass(frozen=True, slots=True)
class CaseNotice:
    """One notice of case ``case_id``: ``event`` (opened, resolved, ...), ``status``
    (``sent`` or ``skipped``), the channel, conversation and language used, or ``reason``
    it was skipped; ``at`` in seconds."""

    at: float
    case_id: str
    step: int
    event: str
    customer_id: str
    status: str
    channel: str | None = None
    conversation_id: str | None = None
    language: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "case_id": self.case_id,
            "step": self.step,
            "event": self.event,
            "customer_id": self.customer_id,
            "status": self.status,
            "channel": self.channel,
            "conversation_id": self.conversation_id,
            "language": self.language,
            "reason": self.reason,
        }


def notice_text(event: str, case_id: str, language: str) -> str:
    """The notice in ``language`` (a catalog name)."""
    return customer_text(language, f"case_notice.{event}", case_id=case_id)


class CaseNotifier:
    """The case notices over ``channels``; a part of the engine's transaction (its log)."""

    def __init__(self, channels: ChannelService) -> None:
        self.channels = channels
        self.state = channels.state
        self.notices: dict[tuple[str, int], CaseNotice] = {}
        self.may_contact: Callable[[str, Channel], bool] = self._consents
        """Whether the customer (live id) may be contacted on the channel (consent)."""
        self.language_of: Callable[[str], str | None] = self._recorded_language
        """The customer's language as recorded (``None``: read from their messages)."""

    def _consents(self, customer_id: str, channel: Channel) -> bool:
        """The customer record's consent flags (SMS, e-mail; other channels need none)."""
        return self.state.directory.profiles.details(customer_id).consent.allows(channel.value)

    def _recorded_language(self, customer_id: str) -> str | None:
        """The profile's language (``zh``/``en``) as a catalog name; ``None`` when unset."""
        return recorded_language(self.state, customer_id)

    def of_case(self, case_id: str) -> list[CaseNotice]:
        return [n for (cid, _), n in sorted(self.notices.items()) if cid == case_id]

    # -- the hooks (in the transaction of the case's change) --------------------------------
    async def case_changed(self, tx: Transaction, case: Case) -> None:
        event = EVENTS.get(case.state)
        step = len(case.history) - 1
        if event is None or case.customer_id is None or (case.case_id, step) in self.notices:
            return
        directory = self.state.directory
        live = directory.resolve(case.customer_id)
        conv, reason = self._pick(live)
        base: dict[str, Any] = {"case_id": case.case_id, "step": step, "event": event}
        if conv is None:
            notice = CaseNotice(tx.now, **base, customer_id=live, status="skipped", reason=reason)
            self._record(notice)
            return
        language = (
            self.language_of(live)
            or language_of_messages(self.state.book.for_customer(live))
            or self.channels.options.language
        )
        notice = CaseNotice(
            tx.now, **base, customer_id=live, status="sent", channel=conv.channel.value,
            conversation_id=conv.conversation_id, language=language,
        )  # fmt: skip
        self._record(notice)
        text = notice_text(event, case.case_id, language)
        if conv.is_closed:
            self._deliver(tx, conv, text)
        else:
            self.channels.core.send_in(tx, conv.conversation_id, NOTICE_AUTHOR, text)

    def _pick(self, live: str) -> tuple[Conversation | None, str]:
        """The conversation to tell the customer in, or why there is none."""
        gateways = self.channels.gateways
        convs = [
            c
            for c in self.state.book.for_customer(live)
            if c.channel in gateways and c.conversation_id in self.state.routes
        ]
        refused = False
        candidates = [c for c in convs if c.channel is Channel.CHAT and not c.is_closed]
        for channel in _ORDER:
            candidates += [c for c in convs if c.channel is channel]
        for conv in candidates:
            if self.may_contact(live, conv.channel):
                return conv, ""
            refused = True
        return None, "no_consent" if refused else "no_channel"

    def _deliver(self, tx: Transaction, conv: Conversation, text: str) -> None:
        """Send ``text`` on a closed conversation's route once the command is stored (not
        filed in it: the notice's record stands for it)."""
        channels = self.channels
        gateway = channels.gateways[conv.channel]
        out = OutboundReply(
            conv.conversation_id,
            self.state.routes[conv.conversation_id],
            text,
            gateway.new_external_id(),
            conv.thread_references(),
            NOTICE_AUTHOR,
        )

        async def deliver() -> None:
            try:
                await gateway.send(out)
            except Exception:
                log.warning("case notice %s could not be delivered", out.external_id)

        tx.then(lambda: channels.spawn(deliver()))

    def _record(self, notice: CaseNotice) -> None:
        self.notices[(notice.case_id, notice.step)] = notice
        self.state.log(notice.at, NOTICE_STREAM, notice.status, notice.case_id, notice.to_dict())

    # -- the state part -------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == NOTICE_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        self.notices = {}
        for record in records:
            notice = CaseNotice(**dict(record.data))
            self.notices[(notice.case_id, notice.step)] = notice

    def reconcile(self, router: Router, now: float) -> None:
        del router, now

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
