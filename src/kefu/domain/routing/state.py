"""The router's state as a projection of its events.

Every change goes through ``_emit(event)``, which appends the event to the log and applies
it here; the hot events are logged as compact records (:mod:`kefu.domain.routing.log`) and
applied through the same code with their fields. Applying never decides anything, so
replaying a log rebuilds exactly the state (queues, offers, agent presence, timers) that
produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from heapq import heappop, heappush

from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.domain.model import ARRIVED_AT, AgentPresence, Channel, ContactState, original_arrival
from kefu.domain.routing.index import AgentIndex
from kefu.domain.routing.records import (
    C_CONTACT,
    INDEX_BITS,
    AgentRecord,
    Bucket,
    ContactRecord,
    QueueRecord,
)
from kefu.domain.routing.timers import T_OFFER, T_OVERFLOW, T_WRAPUP, TimerEntry

__all__ = ["T_OFFER", "T_OVERFLOW", "T_WRAPUP", "RoutingState", "TimerEntry"]

QUEUED = ContactState.QUEUED
OFFERED = ContactState.OFFERED
ACTIVE = ContactState.ACTIVE
WRAPUP = ContactState.WRAPUP

CHANNELS = {c.value: c for c in Channel}  # a dict look-up is cheaper than Channel(value)


class RoutingState(AgentIndex):
    """Records, indexes and timers, changed only by applying events."""

    def __init__(
        self, *, offer_timeout_s: float, retain_closed: bool, use_skill_score: bool
    ) -> None:
        super().__init__(use_skill_score)
        self.offer_timeout_s = offer_timeout_s
        self.retain_closed = retain_closed
        self._init_log()
        self.queues: dict[str, QueueRecord] = {}
        self.agents: dict[str, AgentRecord] = {}
        self._agent_list: list[AgentRecord] = []  # by seq, the index agent heap entries carry
        # The rank of the latest instant an agent was stamped at (see records.agent_key).
        self._rank = 0
        self._rank_at = float("-inf")
        self.contacts: dict[str, ContactRecord] = {}
        # Contacts an overflow step sends to another routing domain: contact id → (domain,
        # queue there), until handed over or abandoned (see routing.handover).
        self.handovers_due: dict[str, tuple[str, str]] = {}
        self._init_timers()
        self.time = float("-inf")

    # -- plumbing ----------------------------------------------------------------------
    def apply(self, event: ev.Event) -> None:
        """Apply one event from a stored log (replay); it is appended to the log too."""
        if event.at < self.time:
            raise ValidationError(
                f"event at {event.at} s is earlier than the router's time {self.time} s"
            )
        self.time = event.at
        self._emit(event)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _timer(
        self, due: float, kind: int, contact: ContactRecord, token: int, span: float = 0.0
    ) -> None:
        """Arm a timer; ``span``: the length (seconds) of a wrap-up or overflow step, which
        picks its FIFO."""
        self._seq += 1
        entry = (due, self._seq, kind, contact, token)
        fifo = self.offer_timers if kind == T_OFFER else self._fifo_for(kind, span)
        if fifo is not None and (not fifo or fifo[-1][0] <= due):  # FIFOs stay in due order
            if not fifo and due < self._fifo_due:  # a tie keeps the earlier-armed head
                self._fifo_due = due
                self._fifo_src = fifo
            fifo.append(entry)
        else:  # overflow steps, more lengths, a replayed offer of another length
            heappush(self.timers, entry)

    def _stamp(self, agent: AgentRecord, at: float) -> None:
        """The agent was routed a contact, or became ready, at ``at`` (never earlier than a
        previous stamp: the router's time only advances), which orders it among the free."""
        if at != self._rank_at:
            self._rank += 1
            self._rank_at = at
        agent.last_routed_at = at
        agent.stamp = self._rank << INDEX_BITS | agent.seq

    def _leave_bucket(self, contact: ContactRecord) -> None:
        """The contact stops waiting (offered, abandoned, moved): drop it from the counts."""
        bucket = contact.bucket
        if bucket is not None:
            bucket.waiting -= 1
            heap = bucket.contacts
            if heap and heap[0][C_CONTACT] is contact:  # usually served at once: keep heaps small
                heappop(heap)
        contact.version += 1
        if bucket is not None and bucket.queue_id is not None:
            queue = self.queues.get(contact.queue_id)
            if queue is not None:
                counts = queue.class_counts  # one fewer waiting of its class
                cls = (contact.value_tier, contact.priority)
                counts[cls] = counts.get(cls, 0) - 1

    def _wait(self, contact: ContactRecord, bucket: Bucket) -> None:
        contact.state = QUEUED
        contact.version += 1  # into the bucket's heap: a new entry, the old ones stale
        contact.bucket = bucket
        k = contact.key
        heappush(bucket.contacts, (k[0], k[1], k[2], k[3], contact.version, contact))
        bucket.waiting += 1
        if bucket.queue_id is not None:
            counts = self.queues[contact.queue_id].class_counts  # one more of its class
            cls = (contact.value_tier, contact.priority)
            counts[cls] = counts.get(cls, 0) + 1

    def _release(self, agent: AgentRecord, contact: ContactRecord) -> None:
        if agent.held.pop(contact.contact_id, None) is not None:
            agent.load[contact.channel] -= 1
            if contact.channel in agent.exclusive:
                agent.exclusive_held -= 1
        if not agent.dirty:  # self._touch(agent), inline: hot
            agent.dirty = True
            self._dirty.append(agent)

    def _close(self, contact: ContactRecord) -> None:
        if not self.retain_closed:
            self.contacts.pop(contact.contact_id, None)

    def _arm_overflow(self, contact: ContactRecord) -> None:
        steps = self.queues[contact.queue_id].spec.overflow
        if contact.step < len(steps):
            after_s = steps[contact.step].after_s
            self._timer(
                contact.entered_at + after_s, T_OVERFLOW, contact, contact.route_version, after_s
            )

    # -- configuration -----------------------------------------------------------------
    def _on_queue_defined(self, e: ev.QueueDefined) -> None:
        record = QueueRecord(e.spec)
        self.queues[e.spec.queue_id] = record
        for bucket in record.buckets:
            self._register_bucket(bucket)
        for agent in self.agents.values():
            if agent.presence is AgentPresence.READY:
                self._staff(agent, -1)
            self._index_agent(agent)
            if agent.presence is AgentPresence.READY:
                self._staff(agent, +1)
            self._touch(agent)

    def _on_agent_defined(self, e: ev.AgentDefined) -> None:
        agent = self.agents.get(e.spec.agent_id)
        if agent is None:
            agent = AgentRecord(e.spec, len(self._agent_list), e.at)
            self.agents[agent.agent_id] = agent
            self._agent_list.append(agent)
            self._stamp(agent, e.at)
        else:
            # Its scores and buckets may change: drop its entries, pushed anew below.
            for buckets in agent.buckets.values():
                for bucket, _ in buckets:
                    bucket.drop_agent(agent.seq)
            if agent.presence is AgentPresence.READY:
                self._staff(agent, -1)
        agent.set_spec(e.spec)
        self._index_agent(agent)
        if agent.presence is AgentPresence.READY:
            self._staff(agent, +1)
        self._touch(agent)

    def _on_agent_state_changed(self, e: ev.AgentStateChanged) -> None:
        agent = self.agents[e.agent_id]
        presence = AgentPresence(e.presence)
        was_ready = agent.presence is AgentPresence.READY
        agent.presence = presence
        agent.reason = e.reason
        agent.pending = None
        agent.state_since = e.at
        if presence is AgentPresence.READY:
            self._stamp(agent, e.at)
        if was_ready != (presence is AgentPresence.READY):
            self._staff(agent, +1 if not was_ready else -1)
        self._touch(agent)

    def _on_agent_state_pending(self, e: ev.AgentStatePending) -> None:
        agent = self.agents[e.agent_id]
        agent.pending = (AgentPresence(e.presence), e.reason)
        self._touch(agent)

    # -- contacts ----------------------------------------------------------------------
    def _on_contact_queued(self, e: ev.ContactQueued) -> None:
        self._add_contact(
            self.queues[e.queue_id],
            e.contact_id,
            CHANNELS.get(e.channel) or Channel(e.channel),
            e.value_tier,
            e.priority,
            e.customer_id,
            e.attributes,
            e.at,
            e.estimated_wait_s,
        )

    def _add_contact(
        self,
        queue: QueueRecord,
        contact_id: str,
        channel: Channel,
        value_tier: int,
        priority: int,
        customer_id: str | None,
        attributes: Mapping[str, str],
        at: float,
        estimated_wait_s: float | None,
        waits: bool = True,
    ) -> ContactRecord:
        """Apply a ``ContactQueued`` given by its fields; returns the new record.
        ``waits=False``: the router offers it at once (``_apply_offer(queued=False)``), so
        it is not pushed into its bucket only to be popped."""
        spec = queue.spec
        contact = ContactRecord(
            contact_id, spec.queue_id, channel, value_tier, priority, customer_id, attributes, at
        )
        contact.estimated_wait_s = estimated_wait_s
        self._seq += 1
        # A contact handed over from another routing domain keeps its place in line: its
        # deadline counts from its first arrival there (reports count from ``at``).
        since = original_arrival(attributes, at) if attributes and ARRIVED_AT in attributes else at
        contact.key = (-value_tier, -priority, since + spec.sl_threshold_s, self._seq)
        self.contacts[contact_id] = contact
        if waits:
            self._wait(contact, queue.buckets[0])
        else:
            contact.bucket = queue.buckets[0]
        if spec.overflow:
            self._arm_overflow(contact)
        return contact

    def _on_contact_overflowed(self, e: ev.ContactOverflowed) -> None:
        contact = self.contacts[e.contact_id]
        waiting = contact.state is QUEUED
        if waiting:
            self._leave_bucket(contact)
        contact.route_version += 1
        if e.queue_id != contact.queue_id:
            contact.queue_id = e.queue_id
            contact.path += (e.queue_id,)
            contact.step = 0
            contact.entered_at = e.at
        else:
            contact.step = e.step
        bucket = self.queues[contact.queue_id].buckets[contact.step]
        if waiting:
            self._wait(contact, bucket)
        else:
            contact.bucket = bucket
        self._arm_overflow(contact)

    def _on_offer_created(self, e: ev.OfferCreated) -> None:
        contact, agent = self.contacts[e.contact_id], self.agents[e.agent_id]
        self._apply_offer(contact, agent, e.at, e.offer_id, e.expires_at)

    def _apply_offer(
        self,
        contact: ContactRecord,
        agent: AgentRecord,
        at: float,
        offer_id: str,
        expires: float,
        queued: bool = True,
    ) -> None:
        """Apply an ``OfferCreated`` of ``contact`` to ``agent`` at ``at`` (seconds);
        ``queued=False``: the contact was never pushed into its bucket (see _add_contact)."""
        if queued:
            self._leave_bucket(contact)
        contact.state = OFFERED
        contact.offer_id = offer_id
        contact.offers_made += 1
        contact.agent_id = agent.agent_id
        agent.held[contact.contact_id] = contact
        agent.load[contact.channel] = agent.load.get(contact.channel, 0) + 1
        if contact.channel in agent.exclusive:
            agent.exclusive_held += 1
        if at != self._rank_at:  # self._stamp(agent, at), inline: hot
            self._rank += 1
            self._rank_at = at
        agent.last_routed_at = at
        agent.stamp = self._rank << INDEX_BITS | agent.seq
        if not agent.dirty:  # self._touch(agent), inline: hot
            agent.dirty = True
            self._dirty.append(agent)
        self._timer(expires, T_OFFER, contact, contact.offers_made)

    def _on_offer_accepted(self, e: ev.OfferAccepted) -> None:
        contact = self.contacts[e.contact_id]
        contact.state = ACTIVE
        contact.offer_id = None
        contact.answered_at = e.at

    def _on_offer_returned(self, e: ev.OfferRejected | ev.OfferTimedOut) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        if contact.declined is None:
            contact.declined = set()
        contact.declined.add(agent.agent_id)
        contact.offer_id = None
        contact.agent_id = None
        self._release(agent, contact)
        bucket = contact.bucket
        assert bucket is not None
        self._wait(contact, bucket)

    def _on_offer_withdrawn(self, e: ev.OfferWithdrawn) -> None:
        contact = self.contacts[e.contact_id]
        contact.offer_id = None
        contact.agent_id = None
        self._release(self.agents[e.agent_id], contact)

    def _on_contact_abandoned(self, e: ev.ContactAbandoned) -> None:
        contact = self.contacts[e.contact_id]
        if contact.state is QUEUED:  # not when an offer to an agent was just withdrawn
            self._leave_bucket(contact)
        contact.state = ContactState.ABANDONED
        contact.ended_at = e.at
        contact.route_version += 1
        if self.handovers_due:
            self.handovers_due.pop(e.contact_id, None)
        self._close(contact)

    def _on_contact_completed(self, e: ev.ContactCompleted) -> None:
        self._apply_completed(self.contacts[e.contact_id], e.at, e.wrapup_s)

    def _apply_completed(self, contact: ContactRecord, at: float, wrapup_s: float) -> None:
        """Apply a ``ContactCompleted`` at ``at`` with a wrap-up of ``wrapup_s`` seconds."""
        contact.state = WRAPUP
        contact.on_hold = False
        contact.wrap_version += 1
        if wrapup_s > 0:
            self._timer(at + wrapup_s, T_WRAPUP, contact, contact.wrap_version, wrapup_s)

    def _on_wrapup_ended(self, e: ev.WrapupEnded) -> None:
        self._apply_wrapup_end(self.contacts[e.contact_id], self.agents[e.agent_id], e.at)

    def _apply_wrapup_end(self, contact: ContactRecord, agent: AgentRecord, at: float) -> None:
        contact.state = ContactState.COMPLETED
        contact.ended_at = at
        contact.wrap_version += 1
        if contact.answered_at is not None:
            self.queues[contact.queue_id].observe_handle_time(at - contact.answered_at)
        self._release(agent, contact)
        if not self.retain_closed:  # self._close(contact), inline: hot
            self.contacts.pop(contact.contact_id, None)
