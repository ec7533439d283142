"""Branch queue tickets (seed 001's bank and mobile-operator halls): a kiosk issues a ticket
for a service, a counter calls the next number, the hall display shows the numbers called.

A service is a queue of channel ``branch``; a counter is an agent taking branch contacts.
Every ticket is a contact in the router like any other (so it shows on the wallboard), and
with a phone number it is also a branch visit on the customer's timeline. The kiosk tells
the predicted wait the router gives: position × AHT / staffed counters — seed 001's hall,
110 ahead at 7 counters and 5 minutes each, is (110 + 1) × 300 / 7 s ≈ 79 minutes.

Counters answer at once: when the router offers a ticket to a counter's agent, the offer is
accepted in the same command (the number is called). "Call next" completes the ticket being
served and makes the counter ready, so the router hands it the next ticket; "pause" lets
the current ticket finish and takes no more. Ticket numbers are a letter per service (A, B,
... in the order of the services' ids) and a number restarting each day (the site's time
zone). A ticket with a phone may ask for an SMS instead of waiting in the hall: it keeps
its place, and an SMS is sent when few enough are ahead.

Each action is a command (:mod:`kefu.service.channels.commands`) handled here in one engine
transaction; the numbers issued and the SMS wishes are records of the channel log
(:class:`~kefu.service.channels.state.ChannelState`), so a restart restores them.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.domain import events as ev
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import UnknownContact, ValidationError
from kefu.domain.model import Channel, ContactState
from kefu.domain.routing import Router
from kefu.service.branch import views
from kefu.service.branch.counters import counter_of
from kefu.service.branch.views import (
    Called,
    CounterView,
    HallDisplay,
    ServiceFigures,
    TicketView,
)
from kefu.service.channels.commands import (
    BranchHousekeeping,
    CallNext,
    IssueTicket,
    PauseCounter,
    ReceiveInbound,
    SmsInstead,
)
from kefu.service.channels.ports import Inbound
from kefu.service.channels.service import ChannelService
from kefu.service.channels.state import ChannelState
from kefu.service.channels.texts import customer_language, customer_text
from kefu.service.channels.types import Receipt
from kefu.service.channels.views import wait_info
from kefu.service.engine import RoutingEngine
from kefu.service.ports import StoredEvent
from kefu.service.routing import commands as c
from kefu.service.transaction import Handler, Transaction

__all__ = ["BranchDesk", "Called"]

log = logging.getLogger(__name__)
SERVED = "served"
PAUSE_REASON = "counter paused"


class BranchDesk:
    """Kiosk, counters and hall display over the channel service."""

    def __init__(
        self,
        channels: ChannelService,
        *,
        timezone: str = "Asia/Shanghai",
        notify_ahead: int = 5,
        history: int = 12,
    ) -> None:
        self.channels = channels
        self.engine = channels.engine
        self.zone = ZoneInfo(timezone)
        self.notify_ahead = notify_ahead
        self.called: deque[Called] = deque(maxlen=history)
        self._unsubscribe: Any = None
        self.declines: Callable[[str, Mapping[str, str]], bool] | None = None
        """Whether a counter's agent must not be called a ticket (agent id, the ticket's
        attributes): the offer is rejected and goes to the next counter (the demo's
        simulated clerks serve only synthetic tickets)."""

    @property
    def language(self) -> str:
        """The site's default language (a catalog name): counters are named in it."""
        return self.channels.options.language

    def _customer_language(self, customer_id: str | None) -> str:
        """The catalog language of the texts sent to ``customer_id``."""
        channels = self.channels
        return customer_language(channels.state, customer_id, self.language)

    def _language_of(self, phone: Identifier) -> str:
        """The language of the customer holding ``phone`` (the site's default for a new
        one)."""
        owner = self.channels.state.directory.find(phone)
        return self._customer_language(None if owner is None else owner.customer_id)

    def handlers(self) -> dict[type[c.Command], Handler]:
        """The handlers of the branch commands, for the engine's table."""
        return {
            IssueTicket: self._issue,
            SmsInstead: self._sms_instead,
            CallNext: self._call_next,
            PauseCounter: self._pause,
            BranchHousekeeping: self._housekeeping,
        }

    @property
    def state(self) -> ChannelState:
        return self.channels.state

    async def start(self) -> None:
        self._unsubscribe = self.engine.subscribe(self._on_events)
        await self.engine.query(self._recover)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # -- kiosk -------------------------------------------------------------------------
    def services(self, router: Router) -> tuple[ServiceFigures, ...]:
        """The branch queues with their letter, waiting count and predicted wait (s)."""
        return views.services(router)

    async def issue(
        self,
        queue_id: str,
        *,
        phone: str = "",
        name: str = "",
        attributes: Mapping[str, str] | None = None,
    ) -> TicketView:
        """A ticket for the service ``queue_id``: its number, place and predicted wait;
        ``attributes`` are added to the contact's."""
        if phone.strip():
            Identifier(IdentifierKind.PHONE, phone)  # refuses a malformed number first
        command = IssueTicket(queue_id, phone, name, tuple((attributes or {}).items()))
        view: TicketView = await self.engine.execute(command)
        return view

    async def _issue(self, tx: Transaction, cmd: IssueTicket) -> TicketView:
        queue_id, name = cmd.queue_id, cmd.name
        sender = (Identifier(IdentifierKind.PHONE, cmd.phone),) if cmd.phone.strip() else ()
        letter = views.letter(tx.router, queue_id)
        day = self._day(tx.now)
        number = self.state.tickets.get((queue_id, day), 0) + 1
        ticket = f"{letter}{number:03d}"
        attributes = {**dict(cmd.attributes), "ticket": ticket, "ticket_day": day}
        attributes["service"] = queue_id
        if sender:
            inbound = Inbound(
                Channel.BRANCH,
                sender,
                customer_text(self._language_of(sender[0]), "branch_text.ticket", ticket=ticket),
                tx.now,
                f"ticket:{queue_id}:{day}:{ticket}",
                sender_name=name.strip()[:100],
                topic=queue_id,
                metadata=attributes,
            )
            self.channels.check_inbound(inbound)
            receipt: Receipt = await tx.dispatch(ReceiveInbound(inbound))
            contact_id = receipt.contact_id or ""
        else:
            attributes["customer"] = name.strip()[:100] or ticket
            made = await tx.dispatch(c.CreateContact(queue_id, attributes=attributes))
            contact_id = str(made["contact_id"])
        self.state.ticket(queue_id, day, number, tx.now)
        self._answer_offers(tx)
        return views.ticket_view(tx.router, contact_id, self.language)

    async def ticket(self, contact_id: str) -> TicketView:
        def look(engine: RoutingEngine) -> TicketView:
            self._require_ticket(engine.router, contact_id)
            return views.ticket_view(engine.router, contact_id, self.language)

        return await self.engine.query(look)

    async def sms_instead(self, contact_id: str, phone: str) -> TicketView:
        """Keep the ticket's place without waiting in the hall: an SMS is sent when
        ``notify_ahead`` or fewer are ahead (and when it is called)."""
        number = Identifier(IdentifierKind.PHONE, phone).value
        view: TicketView = await self.engine.execute(SmsInstead(contact_id, number))
        return view

    async def _sms_instead(self, tx: Transaction, cmd: SmsInstead) -> TicketView:
        contact_id, number = cmd.contact_id, cmd.phone
        self._require_ticket(tx.router, contact_id)
        await tx.dispatch(c.RequestCallback(contact_id, number))
        self._sms_route(tx, contact_id, number)
        self.state.want_sms(contact_id, number, tx.now)
        return views.ticket_view(tx.router, contact_id, self.language)

    def _sms_route(self, tx: Transaction, contact_id: str, number: str) -> None:
        """A ticket taken without a phone gets a conversation with the number given now,
        so its SMS has somewhere to go (one with a phone has had one since the kiosk)."""
        state = self.state
        if contact_id in state.conversation_of:
            return
        contact = tx.router.contacts[contact_id]
        ticket = contact.attributes.get("ticket", contact_id)
        language = self._language_of(Identifier(IdentifierKind.PHONE, number))
        inbound = Inbound(
            Channel.BRANCH,
            (Identifier(IdentifierKind.PHONE, number),),
            customer_text(language, "branch_text.sms_reminder", ticket=ticket),
            tx.now,
            f"ticket-sms:{contact_id}",
            topic=contact.queue_id,
        )
        self.channels.check_inbound(inbound)
        _link, placement, new = state.receive(inbound)
        if new:
            state.link_contact(placement.conversation_id, contact_id, tx.now)

    # -- counters ----------------------------------------------------------------------
    async def call_next(self, agent_id: str, **options: Any) -> CounterView:
        """Finish the ticket this counter serves (if any) and call the next one."""
        view: CounterView = await self.engine.execute(CallNext(agent_id), **options)
        return view

    async def _call_next(self, tx: Transaction, cmd: CallNext) -> CounterView:
        router, agent_id = tx.router, cmd.agent_id
        agent = router.agents.get(agent_id)
        if agent is None or agent.capacity.get(Channel.BRANCH, 0) <= 0:
            raise ValidationError(
                f"agent {agent_id} does not serve a counter",
                text_key="error.not_a_counter",
                agent_id=agent_id,
            )
        for contact in list(agent.held.values()):
            if contact.channel is Channel.BRANCH and contact.state is ContactState.ACTIVE:
                await tx.dispatch(c.CompleteContact(contact.contact_id, SERVED))
            if contact.state is ContactState.WRAPUP:
                await tx.dispatch(c.EndWrapup(contact.contact_id))
        if agent.presence.value != "ready" or agent.pending is not None:
            await tx.dispatch(c.SetAgentState(agent_id, "ready"))
        self._answer_offers(tx)
        return self.counter_view(router, agent_id)

    async def pause(self, agent_id: str, **options: Any) -> CounterView:
        """Take no more tickets (after the one being served)."""
        view: CounterView = await self.engine.execute(PauseCounter(agent_id), **options)
        return view

    async def _pause(self, tx: Transaction, cmd: PauseCounter) -> CounterView:
        await tx.dispatch(c.SetAgentState(cmd.agent_id, "not_ready", PAUSE_REASON))
        return self.counter_view(tx.router, cmd.agent_id)

    def counter_view(self, router: Router, agent_id: str) -> CounterView:
        return views.counter_view(router, agent_id, self.language)

    def _answer_offers(self, tx: Transaction) -> None:
        """Accept, in this command, the branch offers it made (counters answer at once),
        also those made when a declined one went to the next counter."""
        index = 0
        while index < len(tx.router.log):
            event = tx.router.log[index]
            index += 1
            if isinstance(event, ev.OfferCreated):
                self._accept(tx.router, (event.contact_id, event.offer_id, event.agent_id), tx.now)

    def _accept(self, router: Router, offer: tuple[str, str, str], now: float) -> bool:
        contact_id, offer_id, agent_id = offer
        contact = router.contacts.get(contact_id)
        if (
            contact is None
            or contact.channel is not Channel.BRANCH
            or contact.offer_id != offer_id
            or contact.state is not ContactState.OFFERED
        ):
            return False
        if self.declines is not None and self.declines(agent_id, contact.attributes):
            router.reject(offer_id, now, agent_id)
            return False
        router.accept(offer_id, now, agent_id)
        return True

    # -- hall display ------------------------------------------------------------------
    def display(self, router: Router) -> HallDisplay:
        """The numbers called lately (newest first) and the services."""
        return views.display(router, self.called)

    # -- events ------------------------------------------------------------------------
    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
        router = self.engine.router
        stray: list[tuple[str, str, str]] = []
        for stored in batch:
            event = stored.event
            if isinstance(event, ev.OfferAccepted):
                self._remember_call(router, event.contact_id, event.agent_id, event.at)
            elif isinstance(event, ev.OfferCreated):
                contact = router.contacts.get(event.contact_id)
                if contact is not None and contact.channel is Channel.BRANCH:
                    stray.append((event.contact_id, event.offer_id, event.agent_id))
        if stray or self.state.sms_wanted:
            self.channels.spawn(self._housekeep(tuple(stray)))

    def _remember_call(self, router: Router, contact_id: str, agent_id: str, at: float) -> None:
        contact = router.contacts.get(contact_id)
        if contact is None or contact.channel is not Channel.BRANCH:
            return
        counter, number = counter_of(router, agent_id, self.language)
        ticket = contact.attributes.get("ticket", contact_id)
        called = Called(ticket, counter or agent_id, contact.queue_id, at, contact_id, number)
        self.called.append(called)

    async def _housekeep(self, offers: tuple[tuple[str, str, str], ...]) -> None:
        try:
            await self.engine.execute(BranchHousekeeping(offers))
        except Exception:
            log.exception("branch housekeeping failed")

    async def _housekeeping(self, tx: Transaction, cmd: BranchHousekeeping) -> None:
        for offer in cmd.offers:
            self._accept(tx.router, offer, tx.now)
        self._answer_offers(tx)
        self._notify_away(tx)

    def _notify_away(self, tx: Transaction) -> None:
        """Send the SMS of tickets waiting away from the hall once their turn nears."""
        router = tx.router
        for contact_id, phone in list(self.state.sms_wanted.items()):
            info = wait_info(router, contact_id)
            contact = router.contacts.get(contact_id)
            if contact is None or (info is not None and info.ahead > self.notify_ahead):
                continue
            self.state.sms_sent(contact_id, tx.now)
            conv_id = self.state.conversation_of.get(contact_id)
            if conv_id is None or Channel.BRANCH not in self.channels.gateways:
                log.info("ticket %s: no SMS gateway to tell %s", contact_id, phone)
                continue
            ticket = contact.attributes.get("ticket", "")
            ahead = 0 if info is None else info.ahead
            language = self._customer_language(self.state.book.get(conv_id).customer_id)
            text = customer_text(language, "branch_text.come_back", ticket=ticket, ahead=ahead)
            self.channels.core.send_in(tx, conv_id, "kefu", text, contact_id)

    def _recover(self, engine: RoutingEngine) -> None:
        """After a restart: the recent calls shown on the hall display."""
        router = engine.router
        calls = sorted(
            (c for c in router.contacts.values() if c.channel is Channel.BRANCH and c.answered_at),
            key=lambda c: c.answered_at or 0.0,
        )
        for contact in calls[-(self.called.maxlen or 0) :]:
            at = contact.answered_at or 0.0
            self._remember_call(router, contact.contact_id, contact.agent_id or "", at)

    # -- helpers -----------------------------------------------------------------------
    def _day(self, now: float) -> str:
        return datetime.fromtimestamp(now, self.zone).date().isoformat()

    def _require_ticket(self, router: Router, contact_id: str) -> None:
        contact = router.contacts.get(contact_id)
        if contact is None or contact.channel is not Channel.BRANCH:
            raise UnknownContact(f"unknown ticket {contact_id!r}", contact_id=contact_id)
