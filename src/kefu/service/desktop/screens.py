"""The agent desktop's read side and vocabulary: one agent's screen (presence, offers with
their deadline, the contacts it holds with their conversations and customers, transfer
targets), not-ready reasons, disposition codes, value tiers and canned replies (data an
admin changes: :mod:`~kefu.service.desktop.phrases`), and the registry of agents taken by
a human at a desktop.

The customer panel's timeline shows contacts the router has forgotten (finished a day ago
and dropped at a snapshot) with their queue, agent and recording from the store's record
(:func:`~kefu.service.routing.archived_contacts`): read outside the engine's lock the
first time a screen shows one, then kept (a recording deleted since is forgotten again).

Canned replies are inserted in the customer's language, not the agent's: each offer and
contact carries ``language`` (:func:`customer_language`): ``"zh"`` or ``"en"`` from the
customer's latest message with letters in it (Chinese characters make it Chinese), else
from the customer's name, else ``None`` (the page then uses the agent's language).

Times are seconds since the Unix epoch.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from kefu.analytics.archive import ArchivedContact
from kefu.domain import events as ev
from kefu.domain.customers import Direction, UnknownCustomer
from kefu.domain.model import ContactState
from kefu.service.channels.customer_access import visible_suggestions
from kefu.service.channels.read_models import (
    ConversationView,
    CustomerPanel,
    IdentifierView,
    MessageView,
)
from kefu.service.channels.service import ChannelService
from kefu.service.channels.state import ChannelState
from kefu.service.channels.views import read_conversation, read_customer_panel, read_messages
from kefu.service.desktop.grace import DEFAULT_GRACE_S, SessionGrace
from kefu.service.desktop.phrases import PhraseBook, default_vocabulary
from kefu.service.desktop.tiers import TierBook
from kefu.service.desktop.views import (
    AgentTarget,
    ContactFigures,
    CustomerBrief,
    DeskAgent,
    DesktopScreen,
    DomainQueueTarget,
    HeldContact,
    OfferedContact,
    QueueTarget,
    Vocabulary,
)
from kefu.service.engine import RoutingEngine
from kefu.service.ivr.handoff import IvrPanel, read_ivr_panel
from kefu.service.ports import StoredEvent
from kefu.service.routing.archive import archived_contacts
from kefu.service.routing.views import queue_site
from kefu.service.security.access import Principal, Role

__all__ = [
    "Desktops",
    "DomainHandovers",
    "HumanAgents",
    "customer_language",
    "desktop_view",
    "vocabulary",
]


class HumanAgents:
    """Agents a person works as at a desktop right now (the demo's simulated agents step
    aside for them). Counts open desktops per agent; ``grace`` (when given) hears when an
    agent's first desktop opens and its last one closes."""

    def __init__(self, grace: SessionGrace | None = None) -> None:
        self._open: Counter[str] = Counter()
        self.grace = grace

    def enter(self, agent_id: str) -> None:
        self._open[agent_id] += 1
        if self.grace is not None:
            self.grace.back(agent_id)

    def leave(self, agent_id: str) -> None:
        self._open[agent_id] -= 1
        if self._open[agent_id] <= 0:
            del self._open[agent_id]
            if self.grace is not None:
                self.grace.gone(agent_id)

    def taken(self, agent_id: str) -> bool:
        return self._open.get(agent_id, 0) > 0

    def agents(self) -> list[str]:
        return sorted(self._open)


def vocabulary() -> Vocabulary:
    """The shipped not-ready reasons, disposition codes, canned replies and value tiers
    (a platform's current ones: :meth:`Desktops.vocabulary`)."""
    return default_vocabulary()


_ARCHIVED_KEPT = 10_000
"""Forgotten contacts' records kept for the screens at most (then read again)."""

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def _language_of(text: str) -> str | None:
    if _HAN.search(text):
        return "zh"
    return "en" if _LATIN.search(text) else None


def customer_language(texts: Sequence[str], name: str = "") -> str | None:
    """``"zh"`` or ``"en"``: the language of the customer's latest text (``texts`` oldest
    first) that has letters, else of its ``name``; ``None`` when nothing tells."""
    for text in reversed(texts):
        language = _language_of(text)
        if language is not None:
            return language
    return _language_of(name)


class DomainHandovers(Protocol):
    """Hand-overs to the other routing domains of a cluster (a web node's; none in one
    process): their queues as last heard, and the hand-over of a contact."""

    def targets(self) -> tuple[DomainQueueTarget, ...]: ...

    async def transfer(
        self, contact_id: str, to_domain: str, to_queue_id: str, note: str, caller: Principal
    ) -> Any: ...


class Desktops:
    """The agent desktops of one platform: who works as which agent, when each pending
    offer expires (from the router's events), and each agent's screen. An agent whose last
    desktop closed is logged out after ``grace_s`` seconds (:class:`SessionGrace`).
    ``handovers`` (set on a web node of a cluster) adds the other domains' queues."""

    def __init__(self, channels: ChannelService, grace_s: float = DEFAULT_GRACE_S) -> None:
        self.channels = channels
        self.humans = HumanAgents()
        self.grace = SessionGrace(channels.engine, self.humans.taken, grace_s)
        self.humans.grace = self.grace
        self.phrases = PhraseBook(channels.state.log)
        """The words of the desktops (a part of the engine's transaction: see
        :func:`kefu.bootstrap.desktop_wing`)."""
        self.tiers = TierBook(channels.state.log)
        """The value tiers' routing effects (a part of the engine's transaction too)."""
        self.deadlines: dict[str, float] = {}
        self.archived: dict[str, ArchivedContact] = {}
        """The store's record of forgotten contacts the screens showed, by contact id."""
        self._unrecorded: set[str] = set()  # forgotten contacts the store has no record of
        self.handovers: DomainHandovers | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def vocabulary(self) -> Vocabulary:
        """The not-ready reasons, dispositions, canned replies and tiers in use now."""
        return self.phrases.vocabulary()

    async def start(self) -> None:
        self._unsubscribe = self.channels.engine.subscribe(self._on_events)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self.grace.stop()

    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
        for stored in batch:
            event = stored.event
            if isinstance(event, ev.OfferCreated):
                self.deadlines[event.offer_id] = event.expires_at
            elif isinstance(
                event, ev.OfferAccepted | ev.OfferRejected | ev.OfferTimedOut | ev.OfferWithdrawn
            ):
                self.deadlines.pop(event.offer_id, None)
            elif isinstance(event, ev.RecordingDeleted):
                self.archived.pop(event.contact_id, None)  # read again: "retention" now

    async def view(self, agent_id: str) -> DesktopScreen:
        """The agent's screen (:func:`desktop_view`)."""
        (view,) = await self.views([agent_id])
        return view

    async def views(self, agent_ids: Sequence[str]) -> list[DesktopScreen]:
        """The screens of several agents, read at one instant (one engine query)."""

        missing: set[str] = set()

        def look(engine: RoutingEngine, state: ChannelState) -> list[DesktopScreen]:
            for agent_id in agent_ids:
                engine.router.agent(agent_id)  # raises UnknownAgent
            return [
                desktop_view(engine, state, a, self.deadlines, self.archived, missing)
                for a in agent_ids
            ]

        views = await self.channels.read(look)
        missing -= self._unrecorded
        if missing:
            # Forgotten contacts not read yet: from the store, outside the lock, then again.
            if len(self.archived) + len(self._unrecorded) + len(missing) > _ARCHIVED_KEPT:
                self.archived.clear()
                self._unrecorded.clear()
            found = await archived_contacts(self.channels.engine, sorted(missing))
            self.archived.update(found)
            self._unrecorded |= missing - found.keys()
            missing.clear()
            views = await self.channels.read(look)
        if self.handovers is None:
            return views
        domains = self.handovers.targets()
        return [replace(screen, domains=domains) for screen in views]

    def stored_messages(
        self, conversation_id: str, after: int, upto: int
    ) -> tuple[MessageView, ...]:
        """Messages ``after + 1`` to ``upto`` of a conversation, all of them stored (numbers
        from :class:`~kefu.service.channels.ChannelUpdate`). A stored message never changes,
        so this reads without the engine's lock and without waiting for the writer's next
        commit, which a screen's read does (a message is not held up behind others)."""
        engine = self.channels.engine
        return read_messages(
            self.channels.state, engine.router, conversation_id, after=after, upto=upto
        )


def desktop_view(
    engine: RoutingEngine,
    state: ChannelState,
    agent_id: str,
    offer_deadlines: dict[str, float] | None = None,
    archived: Mapping[str, ArchivedContact] | None = None,
    missing: set[str] | None = None,
) -> DesktopScreen:
    """Everything the agent's screen shows (run under the engine's lock). Forgotten
    contacts on a customer's timeline show what ``archived`` (the store's record) says;
    those it lacks are added to ``missing``."""
    router = engine.router
    record = router.agents[agent_id]
    now = engine.now()
    deadlines = offer_deadlines or {}
    as_agent = Principal("", "", Role.AGENT, frozenset(), agent_id=agent_id)
    offers: list[OfferedContact] = []
    held: list[HeldContact] = []
    for contact_id, contact in sorted(record.held.items()):
        figures = ContactFigures.of(contact)
        queue = router.queues.get(contact.queue_id)
        queue_name = queue.spec.name if queue else contact.queue_id
        # What the IVR learned, shown first; what it verified is never asked again.
        ivr = read_ivr_panel(contact.attributes)
        canned_hidden = _asked_by_ivr(ivr)
        conv_id = state.conversation_of.get(contact_id)
        texts = [str(contact.attributes.get("topic", ""))]
        if conv_id is not None:
            texts = [
                m.text
                for m in state.conversation(conv_id).messages
                if m.direction is Direction.INBOUND
            ]
        if contact.state is ContactState.OFFERED:
            expires = deadlines.get(contact.offer_id or "", now + engine.config.offer_timeout_s)
            brief = _customer_brief(state, contact.customer_id, contact.attributes)
            offers.append(
                OfferedContact(
                    figures,
                    queue_name,
                    ivr,
                    canned_hidden,
                    expires_at=expires,
                    seconds_left=max(0.0, expires - now),
                    customer=brief,
                    language=customer_language(texts, brief.name or ""),
                )
            )
            continue
        conversation: ConversationView | None = None
        customer: CustomerPanel | CustomerBrief
        if conv_id is not None:
            # Only suggested customers of the agent's site: others' ids stay undisclosed.
            suggestions = visible_suggestions(engine, state, as_agent, conv_id)
            conversation = read_conversation(state, router, conv_id, suggestions=suggestions)
            customer_id = state.conversation(conv_id).customer_id
            customer = read_customer_panel(state, router, customer_id, archived)
            if missing is not None:
                missing.update(
                    e.contact_id
                    for e in customer.timeline
                    if e.contact_id not in router.contacts and e.contact_id not in (archived or {})
                )
        else:
            customer = _customer_brief(state, contact.customer_id, contact.attributes)
        held.append(
            HeldContact(
                figures,
                queue_name,
                ivr,
                canned_hidden,
                conversation=conversation,
                customer=customer,
                language=customer_language(texts, customer.name or ""),
            )
        )
    site = record.spec.site_id
    return DesktopScreen(
        at=now,
        agent=DeskAgent.of(record),
        offers=tuple(offers),
        contacts=tuple(held),
        queues=tuple(
            QueueTarget(q, r.spec.name or q, r.spec.channel.value)
            for q, r in sorted(router.queues.items())
            if _visible(engine, q, site)
        ),
        agents=tuple(
            AgentTarget(a, r.spec.name or a, r.presence.value, r.activity)
            for a, r in sorted(router.agents.items())
            if a != agent_id and r.spec.site_id == site
        ),
    )


def _asked_by_ivr(panel: IvrPanel | None) -> tuple[str, ...]:
    """Canned replies the agent must not send: the verification question once the IVR
    verified the customer."""
    return ("verify",) if panel is not None and panel.verified is not None else ()


def _visible(engine: RoutingEngine, queue_id: str, site_id: str | None) -> bool:
    """A queue of the agent's site, or a shared one (a transfer target)."""
    owner, shared = queue_site(engine, queue_id)
    return shared or owner == site_id


def _customer_brief(
    state: ChannelState, customer_id: str | None, attributes: Mapping[str, str]
) -> CustomerBrief:
    """A customer known to the directory (its panel), else what the contact carries."""
    if customer_id:
        try:
            state.directory.get(customer_id)
        except UnknownCustomer:
            pass
        else:
            live = state.directory.resolve(customer_id)
            customer = state.directory.get(live)
            return CustomerBrief(
                live, customer.name, customer.value_tier, IdentifierView.all_of(customer)
            )
    return CustomerBrief(customer_id, str(attributes.get("customer", "")), None, ())
