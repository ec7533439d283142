"""The supervisors' customer page's read model: the customer panel with the customer's
sites, each timeline entry's queue and agent names and each conversation's messages, as frozen
dataclasses the page renders (attribute by attribute, so the page's markup is their
contract, tested byte for byte). Built under the engine's lock; instants are seconds since
the epoch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kefu.analytics.archive import ArchivedContact
from kefu.service.channels.customer_access import check_customer, customer_sites
from kefu.service.channels.profile_views import ProfileView
from kefu.service.channels.read_models import (
    CustomerPanel,
    IdentifierView,
    MergeView,
    MessageView,
    TimelineEntry,
)
from kefu.service.channels.state import ChannelState
from kefu.service.channels.views import read_conversation, read_customer_panel
from kefu.service.engine import RoutingEngine
from kefu.service.security.access import Principal

__all__ = ["CustomerHistory", "HistoryEntry", "customer_history"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A timeline entry with its queue's name (empty for a queue no longer defined), its
    agent's name (the agent's id when it has none or is no longer defined) and its
    conversation's messages (empty where a newer entry of the conversation shows them)."""

    entry: TimelineEntry
    queue_name: str
    agent_name: str | None
    messages: tuple[MessageView, ...]

    @property
    def contact_id(self) -> str:
        return self.entry.contact_id

    @property
    def channel(self) -> str:
        return self.entry.channel

    @property
    def at(self) -> float:
        return self.entry.at

    @property
    def summary(self) -> str:
        return self.entry.summary

    @property
    def outcome(self) -> str | None:
        return self.entry.outcome

    @property
    def agent_id(self) -> str | None:
        return self.entry.agent_id

    @property
    def recording(self) -> str | None:
        return self.entry.recording


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """A customer's page: its panel, its sites and its timeline with the messages."""

    panel: CustomerPanel
    sites: tuple[str, ...]
    timeline: tuple[HistoryEntry, ...]

    @property
    def customer_id(self) -> str:
        return self.panel.customer_id

    @property
    def name(self) -> str:
        return self.panel.name

    @property
    def value_tier(self) -> int:
        return self.panel.customer.value_tier

    @property
    def identifiers(self) -> tuple[IdentifierView, ...]:
        return self.panel.customer.identifiers

    @property
    def channels(self) -> list[str]:
        return self.panel.channels

    @property
    def merges(self) -> tuple[MergeView, ...]:
        return self.panel.merges

    @property
    def profile(self) -> ProfileView | None:
        return self.panel.profile


def customer_history(
    engine: RoutingEngine,
    state: ChannelState,
    user: Principal,
    customer_id: str,
    archived: Mapping[str, ArchivedContact] | None = None,
) -> CustomerHistory:
    """The customer named by ``customer_id`` (id or ``kind:value``) as ``user`` sees it:
    :class:`~kefu.domain.customers.UnknownCustomer` (404) outside the caller's sites;
    ``archived``: the store's record of its contacts the router has forgotten."""
    live = check_customer(engine, state, user, customer_id, archived)
    panel = read_customer_panel(state, engine.router, live, archived)
    queues, agents = engine.router.queues, engine.router.agents
    shown: set[str] = set()
    entries = []
    for entry in panel.timeline:
        queue = queues.get(entry.queue_id or "")
        name = queue.spec.name or entry.queue_id or "" if queue else ""
        agent = agents.get(entry.agent_id or "")
        agent_name = (agent.spec.name or agent.agent_id) if agent else entry.agent_id
        conv_id = entry.conversation_id
        messages: tuple[MessageView, ...] = ()
        # A conversation spanning several contacts shows its messages once, at its newest.
        if conv_id and conv_id not in shown:
            shown.add(conv_id)
            messages = read_conversation(state, engine.router, conv_id).messages
        entries.append(HistoryEntry(entry, name, agent_name, messages))
    sites = tuple(sorted(customer_sites(engine, state, live)))
    return CustomerHistory(panel, sites, tuple(entries))
