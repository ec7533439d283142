"""A contact handed to another routing domain (overflow from one region to another, or a
transfer to a queue another router owns).

The other domain's router takes the contact first (by a command between routers, outside
the domain); then :meth:`DomainHandover.transfer_out` ends it here with a
:class:`~kefu.domain.events.ContactTransferredOut` naming where it went, so this domain's
log and reports count it as transferred out, never as abandoned or lost.

An overflow step naming another domain's queue only marks the contact
(:class:`~kefu.domain.events.ContactOverflowedOut`): :attr:`DomainHandover.handovers_due`
lists it until it ends, and the leader's service hands it over while it waits.
:class:`DomainHandover` is a base of :class:`~kefu.domain.routing.router.Router`.
"""

from __future__ import annotations

from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.domain.model import ContactState
from kefu.domain.routing.setup import RouterSetup

__all__ = ["HANDED_OVER_FROM", "DomainHandover"]

QUEUED, OFFERED, ACTIVE = ContactState.QUEUED, ContactState.OFFERED, ContactState.ACTIVE

HANDED_OVER_FROM = (QUEUED, OFFERED, ACTIVE)
"""The states a contact may leave its routing domain from."""


class DomainHandover(RouterSetup):
    """Ends a contact that another routing domain took over (a base of the router)."""

    def waiting_handovers(self) -> list[tuple[str, str, str]]:
        """``(contact_id, domain, queue_id)`` of each due hand-over whose contact waits in
        its queue now (not ringing, not served), in the order they fell due."""
        out = []
        for contact_id, (domain, queue_id) in self.handovers_due.items():
            contact = self.contacts.get(contact_id)
            if contact is not None and contact.state is QUEUED:
                out.append((contact_id, domain, queue_id))
        return out

    def _on_contact_overflowed_out(self, e: ev.ContactOverflowedOut) -> None:
        contact = self.contacts[e.contact_id]
        waiting = contact.state is QUEUED
        if waiting:
            self._leave_bucket(contact)
        contact.route_version += 1
        contact.step = e.step
        bucket = self.queues[contact.queue_id].buckets[contact.step]
        if waiting:
            self._wait(contact, bucket)
        else:
            contact.bucket = bucket
        self._arm_overflow(contact)
        self.handovers_due[e.contact_id] = (e.to_domain, e.to_queue_id)

    def transfer_out(
        self,
        contact_id: str,
        now: float,
        *,
        to_domain: str,
        to_queue: str,
        remote_contact_id: str,
        note: str = "",
    ) -> None:
        """The contact left for queue ``to_queue`` of routing domain ``to_domain``, where
        it is ``remote_contact_id``: a ringing offer is withdrawn, an agent serving it is
        freed (no wrap-up, as for a transfer), and it is ended here."""
        contact = self._contact(contact_id)
        self._require(contact, HANDED_OVER_FROM, "transferred to another routing domain")
        for name, value in (("to_domain", to_domain), ("to_queue", to_queue)):
            if not value or value.isspace():
                raise ValidationError(f"a transfer to another routing domain needs {name}")
        if not remote_contact_id:
            raise ValidationError("a transfer to another routing domain needs the remote contact")
        self._clock(now)
        self._require(contact, HANDED_OVER_FROM, "transferred to another routing domain")
        agent = self.agents[contact.agent_id] if contact.agent_id else None
        if contact.state is OFFERED:
            assert agent is not None
            self._emit(
                ev.OfferWithdrawn(self.time, contact.offer_id or "", contact_id, agent.agent_id)
            )
        serving = agent.agent_id if agent is not None and contact.state is ACTIVE else None
        self._emit(
            ev.ContactTransferredOut(
                self.time,
                contact_id,
                contact.queue_id,
                serving,
                to_domain,
                to_queue,
                remote_contact_id,
                note,
            )
        )
        if agent is not None:
            self._after_release(agent)

    def _on_contact_transferred_out(self, e: ev.ContactTransferredOut) -> None:
        contact = self.contacts[e.contact_id]
        if contact.state is QUEUED:
            self._leave_bucket(contact)
        elif e.from_agent_id is not None:
            self._release(self.agents[e.from_agent_id], contact)
            contact.agent_id = None
            contact.on_hold = False
        contact.state = ContactState.TRANSFERRED_OUT
        contact.ended_at = e.at
        contact.route_version += 1
        if e.note:
            contact.notes += (e.note,)
        contact.path += (f"{e.to_domain}/{e.to_queue_id}",)
        self.handovers_due.pop(e.contact_id, None)
        self._close(contact)
