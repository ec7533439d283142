"""Dispatch and timers: the router's decisions, apart from its public commands.

:class:`Dispatcher` offers waiting contacts to free agents, fires due timers (offer timeouts,
overflow steps, wrap-up ends) and looks records up with clear errors. The ordering rules it
applies are stated in :mod:`kefu.domain.routing.router`.
"""

from __future__ import annotations

from heapq import heappop, heappush

from kefu.domain import events as ev
from kefu.domain.errors import (
    InvalidState,
    OfferNotPending,
    UnknownAgent,
    UnknownContact,
    UnknownOffer,
    UnknownQueue,
    ValidationError,
)
from kefu.domain.model import AgentPresence, Channel, ContactState
from kefu.domain.routing.applying import EventApplying
from kefu.domain.routing.classes import AgentClass
from kefu.domain.routing.records import (
    AGENT_INDEX_MASK,
    AGENT_STAMP_MASK,
    C_CONTACT,
    AgentRecord,
    Bucket,
    ContactRecord,
    QueueRecord,
)
from kefu.domain.routing.timers import T_OFFER, T_OVERFLOW

__all__ = ["Dispatcher"]

QUEUED = ContactState.QUEUED
OFFERED = ContactState.OFFERED
READY = AgentPresence.READY


class Dispatcher(EventApplying):
    """Routing decisions and timers over the projected state."""

    missed_reason = "missed"

    # -- time --------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Process every timer due by ``now`` (seconds), in order."""
        self._clock(now)

    def _clock(self, now: float) -> None:
        """Set the router's time to ``now`` (seconds), firing the timers due by then first.

        The hot commands (arrival, accept, complete) first test inline whether a timer is
        due, and call this only then: most find none."""
        if now < self.time:
            raise ValidationError(f"time went backwards: {now} s after {self.time} s")
        heap = self.timers
        while (heap and heap[0][0] <= now) or self._fifo_due <= now:
            src = self._fifo_src
            if heap and (src is None or heap[0] < src[0]):  # self._first_timer(), inline
                entry = heappop(heap)
            else:
                assert src is not None
                entry = self._pop_timer(src)
            due, _, kind, contact, token = entry
            if not self._timer_valid(kind, contact, token):
                continue
            if due > self.time:
                self.time = due
            if kind == T_OFFER:
                self._offer_expired(contact)
            elif kind == T_OVERFLOW:
                self._overflow(contact)
            else:
                self._finish_wrapup(contact)
        self.time = float(now)

    def forget_finished(self, before: float) -> int:
        """Drop the contacts that ended (completed or abandoned) before ``before`` seconds,
        and the stale timer and waiting entries (deleted lazily) still pointing at any
        contact; returns how many contacts were dropped. Routing is unchanged: a finished
        contact is never offered, timed or counted again, and the entries kept pop in the
        same order. Called when the state is snapshotted, so memory holds the live
        contacts and the recently finished ones."""
        finished = (
            ContactState.COMPLETED,
            ContactState.ABANDONED,
            ContactState.TRANSFERRED_OUT,
        )
        gone = [
            contact_id
            for contact_id, c in self.contacts.items()
            if c.state in finished and c.ended_at is not None and c.ended_at < before
        ]
        for contact_id in gone:
            del self.contacts[contact_id]
        due = self.handovers_due
        for contact_id in [k for k in due if k not in self.contacts]:
            del due[contact_id]
        self._drop_stale_timers()
        for queue in self.queues.values():
            for bucket in queue.buckets:
                bucket.compact()
        for bucket in self._personal.values():
            bucket.compact()
        return len(gone)

    def _estimate(self, queue: QueueRecord, ahead: int) -> float | None:
        if self._free_agent(queue.buckets[0], None) is not None:
            return 0.0
        return self._queued_estimate(queue, ahead)

    @staticmethod
    def _queued_estimate(queue: QueueRecord, ahead: int) -> float | None:
        """(ahead + 1) × AHT / staffed slots, for when no eligible agent is free."""
        staffed = queue.buckets[0].staffed
        if staffed <= 0:
            return None
        return (ahead + 1) * queue.aht_estimate / staffed

    # -- decisions ---------------------------------------------------------------------
    def _offer(self, contact: ContactRecord, agent: AgentRecord, queued: bool = True) -> str:
        """Offer ``contact`` to ``agent``; ``queued=False`` for an arrival offered at once
        (never pushed into its bucket); returns the offer id."""
        offer_id = f"{contact.contact_id}/{contact.offers_made + 1}"
        at = self.time
        expires = at + self.offer_timeout_s
        # The hot events are logged as records and applied directly (see routing.log).
        self._log.append(
            (
                ev.OfferCreated,
                at,
                offer_id,
                contact.contact_id,
                agent.agent_id,
                expires,
                contact.callback,
            )
        )
        self._apply_offer(contact, agent, at, offer_id, expires, queued)
        return offer_id

    def _dispatch_contact(self, contact: ContactRecord) -> None:
        """Offer a newly waiting contact to the best free eligible agent, if any.

        No free eligible agent can have better work waiting: every change that frees an
        agent first offers it the best waiting contact (:meth:`_dispatch_agent`).
        """
        bucket = contact.bucket
        if bucket is None or contact.state is not QUEUED:
            return
        agent = self._free_agent(bucket, contact.declined)
        if agent is not None:
            self._offer(contact, agent)

    def _free_agent(self, bucket: Bucket, declined: set[str] | None) -> AgentRecord | None:
        """The best free agent of the bucket not in ``declined``; stale entries are dropped."""
        if self._dirty:
            self._reindex()
        if bucket.classes is not None:
            return self._free_agent_by_class(bucket.classes, bucket.channel, declined)
        heap = bucket.agents
        channel = bucket.channel
        agents = self._agent_list
        skipped = []
        found = None
        while heap:
            entry = heap[0]
            agent = agents[entry & AGENT_INDEX_MASK]
            if entry & AGENT_STAMP_MASK != agent.stamp or not agent.free_for(channel):
                heappop(heap)
                continue
            if declined is not None and agent.agent_id in declined:
                skipped.append(heappop(heap))
                continue
            found = agent
            break
        for entry in skipped:
            heappush(heap, entry)
        return found

    def _free_agent_by_class(
        self, classes: list[tuple[AgentClass, int]], channel: Channel, declined: set[str] | None
    ) -> AgentRecord | None:
        """:meth:`_free_agent` of a bucket kept by class: the best of its classes' heads."""
        agents = self._agent_list
        best = None
        best_key = 0
        for cls, high in classes:
            heap = cls.heaps.get(channel)
            if not heap:
                continue
            skipped = None
            while heap:
                stamp = heap[0]
                agent = agents[stamp & AGENT_INDEX_MASK]
                if stamp != agent.stamp or agent.cls is not cls or not agent.free_for(channel):
                    heappop(heap)
                    continue
                if declined is not None and agent.agent_id in declined:
                    if skipped is None:
                        skipped = []
                    skipped.append(heappop(heap))
                    continue
                key = high | stamp
                if best is None or key < best_key:
                    best = agent
                    best_key = key
                break
            if skipped is not None:
                for stamp in skipped:
                    heappush(heap, stamp)
        return best

    def _dispatch_agent(self, agent: AgentRecord) -> None:
        """While the agent has free capacity, offer it the best contact it may take."""
        while True:
            best = None
            for channel, buckets in agent.buckets.items():
                free = None  # asked once, and only when a bucket has contacts waiting
                for bucket, _ in buckets:
                    if bucket.waiting:
                        if free is None:
                            free = agent.free_for(channel)
                        if not free:
                            break
                        entry = bucket.best_contact(agent.agent_id)
                        if entry is not None and (best is None or entry < best):
                            best = entry
            if best is None:
                return
            self._offer(best[C_CONTACT], agent)

    def _after_release(self, agent: AgentRecord) -> None:
        if not agent.held and agent.pending is not None:
            presence, reason = agent.pending
            self._emit(ev.AgentStateChanged(self.time, agent.agent_id, presence.value, reason))
        if agent.presence is READY:
            self._dispatch_agent(agent)

    def _offer_expired(self, contact: ContactRecord) -> None:
        """The agent missed the offer: it goes not-ready ("missed") unless it already asked
        for another presence, which then applies once it holds nothing."""
        agent = self.agents[contact.agent_id or ""]
        offer_id = contact.offer_id or ""
        self._emit(ev.OfferTimedOut(self.time, offer_id, contact.contact_id, agent.agent_id))
        if agent.presence is READY and agent.pending is None:
            self._emit(
                ev.AgentStateChanged(self.time, agent.agent_id, "not_ready", self.missed_reason)
            )
        self._after_release(agent)
        self._dispatch_contact(contact)

    def _overflow(self, contact: ContactRecord) -> None:
        step = self.queues[contact.queue_id].spec.overflow[contact.step]
        if step.domain is not None:  # another router takes it: its leader hands it over
            to_queue = step.queue_id or ""
            out = ev.ContactOverflowedOut(
                self.time, contact.contact_id, contact.step + 1, step.domain, to_queue
            )
            self._emit(out)
            self._dispatch_contact(contact)
            return
        target = step.queue_id if step.queue_id is not None else contact.queue_id
        self._emit(ev.ContactOverflowed(self.time, contact.contact_id, contact.step + 1, target))
        self._dispatch_contact(contact)

    def _finish_wrapup(self, contact: ContactRecord) -> None:
        agent = self.agents[contact.agent_id or ""]
        at = self.time
        self._log.append((ev.WrapupEnded, at, contact.contact_id, agent.agent_id))
        self._apply_wrapup_end(contact, agent, at)
        self._after_release(agent)

    # -- lookups -----------------------------------------------------------------------
    def _queue(self, queue_id: str) -> QueueRecord:
        try:
            return self.queues[queue_id]
        except KeyError:
            raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id) from None

    def _agent(self, agent_id: str) -> AgentRecord:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise UnknownAgent(f"unknown agent {agent_id!r}", agent_id=agent_id) from None

    def _contact(self, contact_id: str) -> ContactRecord:
        try:
            return self.contacts[contact_id]
        except KeyError:
            raise UnknownContact(f"unknown contact {contact_id!r}", contact_id=contact_id) from None

    def _pending_offer(self, offer_id: str, agent_id: str | None) -> ContactRecord:
        contact_id, _, number = offer_id.rpartition("/")
        contact = self.contacts.get(contact_id)
        if contact is not None and contact.offer_id == offer_id and contact.state is OFFERED:
            if agent_id is not None and contact.agent_id != agent_id:
                raise OfferNotPending(
                    f"offer {offer_id} was made to another agent",
                    offer_id=offer_id,
                    agent_id=agent_id,
                )
            return contact  # the usual case: the offer is pending
        if contact is None or not number.isdigit():
            raise UnknownOffer(f"unknown offer {offer_id!r}", offer_id=offer_id)
        if int(number) > contact.offers_made:
            raise UnknownOffer(f"unknown offer {offer_id!r}", offer_id=offer_id)
        if contact.offer_id != offer_id or contact.state is not OFFERED:
            raise OfferNotPending(
                f"offer {offer_id} is no longer pending (expired, withdrawn or answered)",
                offer_id=offer_id,
            )
        if agent_id is not None and contact.agent_id != agent_id:
            raise OfferNotPending(
                f"offer {offer_id} was made to another agent", offer_id=offer_id, agent_id=agent_id
            )
        return contact

    @staticmethod
    def _require(contact: ContactRecord, states: tuple[ContactState, ...], verb: str) -> None:
        if contact.state not in states:
            raise InvalidState(
                f"contact {contact.contact_id} is {contact.state.value} and cannot be {verb}",
                contact_id=contact.contact_id,
                state=contact.state.value,
            )
