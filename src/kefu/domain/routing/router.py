"""The ACD router: commands in, events out, time passed explicitly.

Contact order (who is served first), for the contacts an agent is eligible for:

1. ``value_tier``, higher first (differentiated service by customer value);
2. ``priority``, higher first;
3. urgency: the earliest *SL deadline* first, the deadline being the instant the contact
   exceeds its queue's service-level threshold (queue entry + ``sl_threshold_s``; for a
   contact handed over from another routing domain, its first arrival there). In a
   blended pool this protects the queue closest to missing its target: a contact 15 s into
   a 20 s queue (5 s left) goes before one 40 s into a 60 s queue (20 s left);
4. arrival order (a sequence number), so ties never depend on chance.

Agent choice, among ready agents with free capacity who meet the contact's skill
requirement at its current overflow step: best skill match (the sum of the agent's levels
on the required skills; ``agent_order="longest_idle"`` ignores it), then the agent who was
routed a contact (or became ready) longest ago, then the agent defined first.

Timers (offer timeouts, overflow steps, wrap-up) run without threads: :meth:`Router.next_due`
tells when work is due, and every command (or :meth:`Router.advance`) first processes what is
due by the time it is given, so a discrete-event simulator and an asyncio loop drive the
router alike. Each routing event costs O(log n) heap work in the waiting contacts and eligible
agents of the buckets involved; nothing scans all agents or all contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, cast

from kefu.domain import events as ev
from kefu.domain.errors import (
    AgentAtCapacity,
    AlreadyExists,
    InvalidState,
    OfferNotPending,
)
from kefu.domain.model import AgentPresence, ContactSpec, ContactState
from kefu.domain.routing.config import RouterConfig
from kefu.domain.routing.consulting import CONSULT
from kefu.domain.routing.handover import DomainHandover
from kefu.domain.routing.records import C_CONTACT, C_VERSION
from kefu.domain.routing.timers import T_WRAPUP

__all__ = ["Router", "RouterConfig"]

QUEUED = ContactState.QUEUED
OFFERED = ContactState.OFFERED
ACTIVE = ContactState.ACTIVE
WRAPUP = ContactState.WRAPUP
NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


class Router(DomainHandover):
    """Skills-based ACD over queues, agents and contacts of every channel.

    The contact's routing flow is here; set-up and presence commands come from
    :class:`~kefu.domain.routing.setup.RouterSetup`, the other commands on a contact from
    :class:`~kefu.domain.routing.handling.ContactHandling`. The bases form one chain
    (state, dispatcher, contact handling, consulting, set-up, hand-over) rather than mixins, so the
    package can be compiled with mypyc, which supports single inheritance only."""

    def __init__(self, config: RouterConfig | None = None) -> None:
        self.config = config or RouterConfig()
        super().__init__(
            offer_timeout_s=self.config.offer_timeout_s,
            retain_closed=self.config.retain_closed,
            use_skill_score=self.config.agent_order == "skill_then_idle",
        )
        self.missed_reason = self.config.missed_reason
        self._appliers[ev.ContactTransferredOut] = self._on_contact_transferred_out
        self._init_consult_appliers()
        self._appliers[ev.ContactOverflowedOut] = self._on_contact_overflowed_out

    @classmethod
    def replay(cls, events: Iterable[ev.Event], config: RouterConfig | None = None) -> Router:
        """Rebuild a router from a log: same queues, offers, presences and timers."""
        router = cls(config)
        for event in events:
            router.apply(event)
        return router

    # -- contacts ----------------------------------------------------------------------
    def enqueue(self, spec: ContactSpec, now: float) -> ev.ContactQueued:
        """A contact arrives in a queue; returns the event with its predicted wait."""
        index = len(self._log)
        self._enqueue(
            spec.contact_id,
            spec.queue_id,
            spec.value_tier,
            spec.priority,
            spec.customer_id,
            spec.attributes,
            now,
        )
        # Timers due by ``now`` log first: the contact's event is the first one of its queue.
        for i in range(index, len(self._log)):
            entry = self._log[i]
            if type(entry) is tuple and entry[0] is ev.ContactQueued:
                return cast(ev.ContactQueued, self._event_at(i))
        raise AssertionError("enqueue logged no ContactQueued")  # pragma: no cover

    def arrive(self, contact_id: str, queue_id: str, now: float) -> float | None:
        """:meth:`enqueue` for trusted internal callers (the simulator): a contact of the
        standard class with no customer or attributes, whose ids are already known valid,
        without building and validating a :class:`ContactSpec` (1.5 µs an arrival) nor
        the event; returns the predicted wait (seconds; None when nobody is staffed)."""
        return self._enqueue(contact_id, queue_id, 0, 0, None, NO_ATTRIBUTES, now)

    def _enqueue(
        self,
        contact_id: str,
        queue_id: str,
        value_tier: int,
        priority: int,
        customer_id: str | None,
        attributes: Mapping[str, str],
        now: float,
    ) -> float | None:
        """Log and apply the arrival; returns the predicted wait (seconds or None)."""
        queue = self.queues.get(queue_id) or self._queue(queue_id)
        if contact_id in self.contacts:
            raise AlreadyExists(f"contact {contact_id} already exists", contact_id=contact_id)
        if (  # self._clock(now), inline when no timer is due: hot
            self.time <= now < self._fifo_due
            and type(now) is float
            and (not self.timers or now < self.timers[0][0])
        ):
            self.time = now
        else:
            self._clock(now)
        ahead = queue.ahead_of(value_tier, priority)
        free = self._free_agent(queue.buckets[0], None)
        estimate = 0.0 if free is not None else self._queued_estimate(queue, ahead)
        at = self.time
        self._log.append(
            (
                ev.ContactQueued,
                at,
                contact_id,
                queue_id,
                queue.channel_value,
                value_tier,
                priority,
                customer_id,
                attributes,
                estimate,
                ahead + 1,
            )
        )
        contact = self._add_contact(
            queue,
            contact_id,
            queue.spec.channel,
            value_tier,
            priority,
            customer_id,
            attributes,
            at,
            estimate,
            free is None,
        )
        if free is not None:
            self._offer(contact, free, queued=False)
        return estimate

    def estimated_wait(self, queue_id: str, value_tier: int = 0, priority: int = 0) -> float | None:
        """Predicted wait (seconds) of a contact queued now, or None when nobody is staffed.

        Definition: 0 when an eligible agent is free; otherwise (ahead + 1) × AHT / N, where
        ahead counts waiting contacts of at least this contact's class in the queue, AHT is
        the queue's observed mean handle time (seeded by its ``aht_s``) and N the ready
        agents' slots able to take it — for seed 001's hall, (110 + 1) × 300 s / 7 ≈ 79 min.
        Contacts of other queues competing for the same agents are not counted.
        """
        queue = self._queue(queue_id)
        return self._estimate(queue, queue.ahead_of(value_tier, priority))

    def accept(self, offer_id: str, now: float, agent_id: str | None = None) -> None:
        """The agent takes the offered contact (for a call: answers it)."""
        contact = self._pending_offer(offer_id, agent_id)
        if (  # self._clock(now), inline when no timer is due: hot
            self.time <= now < self._fifo_due
            and type(now) is float
            and (not self.timers or now < self.timers[0][0])
        ):
            self.time = now
        else:
            self._clock(now)
        if contact.offer_id != offer_id:  # the offer expired while time advanced
            raise OfferNotPending(f"offer {offer_id} is no longer pending", offer_id=offer_id)
        assert contact.agent_id is not None
        at = self.time
        self._log.append((ev.OfferAccepted, at, offer_id, contact.contact_id, contact.agent_id))
        contact.state = ACTIVE  # _on_offer_accepted, inline: hot
        contact.offer_id = None
        contact.answered_at = at

    def reject(self, offer_id: str, now: float, agent_id: str | None = None) -> None:
        """The agent declines: the contact goes to the next eligible agent."""
        contact = self._pending_offer(offer_id, agent_id)
        self._clock(now)
        if contact.offer_id != offer_id:
            raise OfferNotPending(f"offer {offer_id} is no longer pending", offer_id=offer_id)
        agent = self.agents[contact.agent_id or ""]
        self._emit(ev.OfferRejected(self.time, offer_id, contact.contact_id, agent.agent_id))
        self._dispatch_contact(contact)
        self._after_release(agent)

    def assign(self, contact_id: str, agent_id: str, now: float) -> str:
        """Manually offer a waiting contact to an agent with room for it; returns the offer id."""
        contact = self._contact(contact_id)
        agent = self._agent(agent_id)
        self._require(contact, (QUEUED,), "assigned")
        if agent.presence is AgentPresence.OFFLINE:
            raise InvalidState(f"agent {agent_id} is offline", agent_id=agent_id)
        if not agent.has_room_for(contact.channel):
            raise AgentAtCapacity(
                f"agent {agent_id} has no free capacity for {contact.channel.value}",
                agent_id=agent_id,
                channel=contact.channel.value,
            )
        self._clock(now)
        if contact.state is not QUEUED:
            raise InvalidState(f"contact {contact_id} is no longer waiting")
        return self._offer(contact, agent)

    def abandon(self, contact_id: str, now: float) -> None:
        """The customer leaves before being answered (also while an offer rings)."""
        contact = self._contact(contact_id)
        self._require(contact, (QUEUED, OFFERED), "abandoned")
        self._clock(now)
        self._require(contact, (QUEUED, OFFERED), "abandoned")
        agent = None
        if contact.state is OFFERED:
            agent = self.agents[contact.agent_id or ""]
            self._emit(
                ev.OfferWithdrawn(
                    self.time, contact.offer_id or "", contact.contact_id, agent.agent_id
                )
            )
        self._emit(
            ev.ContactAbandoned(
                self.time, contact_id, contact.queue_id, self.time - contact.first_queued_at
            )
        )
        if agent is not None:
            self._after_release(agent)

    def complete(self, contact_id: str, now: float, disposition: str | None = None) -> None:
        """The conversation ends; wrap-up follows for the queue's ``wrapup_s``."""
        contact = self.contacts.get(contact_id) or self._contact(contact_id)
        if contact.state is not ACTIVE:
            self._require(contact, (ACTIVE,), "completed")
        if (  # self._clock(now), inline when no timer is due: hot
            self.time <= now < self._fifo_due
            and type(now) is float
            and (not self.timers or now < self.timers[0][0])
        ):
            self.time = now
        else:
            self._clock(now)
        if contact.state is not ACTIVE:
            self._require(contact, (ACTIVE,), "completed")
        if CONSULT in contact.attributes:  # the consulted agent is freed first
            self._end_consult(contact, "call_ended")
        wrapup_s = self.queues[contact.queue_id].spec.wrapup_s
        agent_id = contact.agent_id or ""
        at = self.time
        self._log.append((ev.ContactCompleted, at, contact_id, agent_id, disposition, wrapup_s))
        contact.state = WRAPUP  # self._apply_completed(contact, at, wrapup_s), inline: hot
        contact.on_hold = False
        contact.wrap_version += 1
        if wrapup_s > 0:
            self._timer(at + wrapup_s, T_WRAPUP, contact, contact.wrap_version, wrapup_s)
        else:
            self._finish_wrapup(contact)

    def end_wrapup(self, contact_id: str, now: float) -> None:
        """The agent finishes wrap-up early."""
        contact = self._contact(contact_id)
        self._require(contact, (WRAPUP,), "taken out of wrap-up")
        self._clock(now)
        if contact.state is WRAPUP:
            self._finish_wrapup(contact)

    # -- queries -----------------------------------------------------------------------
    def contact(self, contact_id: str) -> dict[str, Any]:
        return self._contact(contact_id).snapshot()

    def agent(self, agent_id: str) -> dict[str, Any]:
        return self._agent(agent_id).snapshot()

    def queue_status(self, queue_id: str) -> dict[str, Any]:
        """Waiting count, longest current wait (s), staffed slots and predicted wait."""
        queue = self._queue(queue_id)
        oldest = None
        for bucket in queue.buckets:
            for entry in bucket.contacts:
                contact = entry[C_CONTACT]
                if entry[C_VERSION] == contact.version and contact.state is QUEUED:
                    t = contact.first_queued_at
                    oldest = t if oldest is None or t < oldest else oldest
        return {
            "queue_id": queue_id,
            "waiting": sum(b.waiting for b in queue.buckets),
            "longest_wait_s": 0.0 if oldest is None else self.time - oldest,
            "staffed": queue.buckets[0].staffed,
            "aht_estimate_s": queue.aht_estimate,
            "estimated_wait_s": self._estimate(queue, queue.ahead_of(0, 0)),
        }
