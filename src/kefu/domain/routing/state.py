"""The router's state as a projection of its events.

Every change goes through ``_emit(event)``, which appends the event to the log and applies
it here; the hot events are logged as compact records (:mod:`kefu.domain.routing.log`) and
applied through the same code with their fields. Applying never decides anything, so
replaying a log rebuilds exactly the state (queues, offers, agent presence, timers) that
produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from heapq import heappop, heappush
from typing import Any

from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentPresence, Channel, ContactState
from kefu.domain.routing.index import AgentIndex
from kefu.domain.routing.log import CompactLog
from kefu.domain.routing.records import (
    C_CONTACT,
    INDEX_BITS,
    AgentRecord,
    Bucket,
    ContactRecord,
    QueueRecord,
)
from kefu.domain.routing.timers import T_OFFER, T_OVERFLOW, T_WRAPUP, TimerEntry, TimerQueues

__all__ = ["T_OFFER", "T_OVERFLOW", "T_WRAPUP", "RoutingState", "TimerEntry"]

QUEUED = ContactState.QUEUED
OFFERED = ContactState.OFFERED
ACTIVE = ContactState.ACTIVE
WRAPUP = ContactState.WRAPUP

CHANNELS = {c.value: c for c in Channel}  # a dict look-up is cheaper than Channel(value)


class RoutingState(AgentIndex, TimerQueues, CompactLog):
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
        self._init_timers()
        self.time = float("-inf")
        self._appliers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.QueueDefined: self._on_queue_defined,
            ev.AgentDefined: self._on_agent_defined,
            ev.AgentStateChanged: self._on_agent_state_changed,
            ev.AgentStatePending: self._on_agent_state_pending,
            ev.ContactQueued: self._on_contact_queued,
            ev.ContactOverflowed: self._on_contact_overflowed,
            ev.ContactReprioritized: self._on_contact_reprioritized,
            ev.OfferCreated: self._on_offer_created,
            ev.OfferAccepted: self._on_offer_accepted,
            ev.OfferRejected: self._on_offer_returned,
            ev.OfferTimedOut: self._on_offer_returned,
            ev.OfferWithdrawn: self._on_offer_withdrawn,
            ev.ContactAbandoned: self._on_contact_abandoned,
            ev.CallbackRequested: self._on_callback_requested,
            ev.CallRecorded: self._on_call_recorded,
            ev.CallListened: _nothing,  # who listened is in the log; no state changes
            ev.CallWhispered: _nothing,
            ev.CallBarged: _nothing,
            ev.RecordingPaused: self._on_recording_paused,
            ev.RecordingResumed: self._on_recording_resumed,
            ev.RecordingPlayed: _nothing,  # the audit of an access; no state changes
            ev.RecordingDeleted: self._on_recording_deleted,
            ev.ContactHeld: self._on_contact_held,
            ev.ContactResumed: self._on_contact_resumed,
            ev.ContactTransferred: self._on_contact_transferred,
            ev.ContactCompleted: self._on_contact_completed,
            ev.WrapupEnded: self._on_wrapup_ended,
        }

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
        """Arm a timer; ``span``: a wrap-up's length (seconds), which picks its FIFO."""
        self._seq += 1
        entry = (due, self._seq, kind, contact, token)
        fifo = self.offer_timers if kind == T_OFFER else self._fifo_for(kind, span)
        if fifo is not None and (not fifo or fifo[-1][0] <= due):  # FIFOs stay in due order
            if not fifo and due < self._fifo_due:
                self._fifo_due = due
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
                counts = queue.class_counts  # queue.count(contact, -1), inline: hot
                cls = (contact.value_tier, contact.priority)
                counts[cls] = counts.get(cls, 0) - 1

    def _wait(self, contact: ContactRecord, bucket: Bucket) -> None:
        contact.state = QUEUED
        bucket.push_contact(contact)
        if bucket.queue_id is not None:
            counts = self.queues[contact.queue_id].class_counts  # queue.count, inline: hot
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
            due = contact.entered_at + steps[contact.step].after_s
            self._timer(due, T_OVERFLOW, contact, contact.route_version)

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
        contact.key = (-value_tier, -priority, at + spec.sl_threshold_s, self._seq)
        self.contacts[contact_id] = contact
        if waits:
            self._wait(contact, queue.buckets[0])
        else:
            contact.bucket = queue.buckets[0]
        if spec.overflow:
            self._arm_overflow(contact)
        return contact

    def _on_contact_reprioritized(self, e: ev.ContactReprioritized) -> None:
        contact = self.contacts[e.contact_id]
        bucket = contact.bucket
        self._leave_bucket(contact)
        contact.priority = e.priority
        key = contact.key
        contact.key = (key[0], -e.priority, key[2], key[3])
        if bucket is not None:
            self._wait(contact, bucket)

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
        self._close(contact)

    def _on_callback_requested(self, e: ev.CallbackRequested) -> None:
        contact = self.contacts[e.contact_id]
        contact.callback = True
        contact.callback_number = e.number

    def _on_call_recorded(self, e: ev.CallRecorded) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {**contact.attributes, "recording": e.recording}

    def _on_recording_paused(self, e: ev.RecordingPaused) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {**contact.attributes, "recording_paused": e.agent_id}

    def _on_recording_resumed(self, e: ev.RecordingResumed) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {
            k: v for k, v in contact.attributes.items() if k != "recording_paused"
        }

    def _on_recording_deleted(self, e: ev.RecordingDeleted) -> None:
        contact = self.contacts.get(e.contact_id)  # may be forgotten since
        if contact is not None and contact.attributes.get("recording") == e.recording:
            contact.attributes = {**contact.attributes, "recording_deleted": e.reason}

    def _on_contact_held(self, e: ev.ContactHeld) -> None:
        self.contacts[e.contact_id].on_hold = True

    def _on_contact_resumed(self, e: ev.ContactResumed) -> None:
        self.contacts[e.contact_id].on_hold = False

    def _on_contact_transferred(self, e: ev.ContactTransferred) -> None:
        contact = self.contacts[e.contact_id]
        self._release(self.agents[e.from_agent_id], contact)
        contact.agent_id = None
        contact.on_hold = False
        contact.declined = None
        contact.route_version += 1
        if e.note:
            contact.notes += (e.note,)
        if e.to_agent_id is not None:
            target = self.agents[e.to_agent_id]
            contact.path += (f"@{target.agent_id}",)
            bucket = self.personal_bucket(target, contact.channel)
        else:
            assert e.to_queue_id is not None
            queue = self.queues[e.to_queue_id]
            contact.queue_id = e.to_queue_id
            contact.path += (e.to_queue_id,)
            contact.step = 0
            contact.entered_at = e.at
            contact.key = (
                contact.key[0],
                contact.key[1],
                e.at + queue.spec.sl_threshold_s,
                self._next_seq(),
            )
            bucket = queue.buckets[0]
        self._wait(contact, bucket)
        if e.to_agent_id is None:
            self._arm_overflow(contact)

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


def _nothing(_event: ev.Event) -> None:
    """An event kept for the record (audit) that changes no routing state."""
