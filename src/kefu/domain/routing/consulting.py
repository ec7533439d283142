"""Consultative transfer and the conference of three, on a call being served.

The agent holding a voice contact consults another agent — named, or the best free agent
of a queue as the router would pick it — while the caller waits on hold
(``ContactHeld`` first when not already held). From ``ConsultStarted`` the consulted
agent holds the contact's slot too (its load counts it, so the router offers it nothing
else; the desktop shows it the contact and its context); the contact's attributes name
it (``consult``, and ``consult_queue`` when it came from a queue). Then:

- **cancel** (``ConsultCancelled``, then ``ContactResumed``): the consulted agent is
  freed and the agent talks with the caller again;
- **complete** (``ConsultCompleted``, then ``ContactTransferred`` to the consulted agent
  with the note, its offer and the offer's acceptance at once): the caller goes to the
  consulted agent, the first one is freed; reports see an ordinary transfer to an agent;
- **conference** (``ConferenceStarted``, then ``ContactResumed``; attribute
  ``conference``): all three hear one another; the agent may *leave* (as complete: the
  other two stay) or *end* it (``ConferenceEnded``: the third party leaves).

Completing the contact during a consult or conference ends it first (reason
``call_ended``). A blind transfer, a resume or a second consult is refused meanwhile
(409 ``consult_in_progress``). :class:`Consulting` is a base of the router.
"""

from __future__ import annotations

from kefu.domain import events as ev
from kefu.domain.errors import Conflict, InvalidState, ValidationError
from kefu.domain.routing.handling import ContactHandling
from kefu.domain.routing.records import AgentRecord, ContactRecord

__all__ = [
    "CONFERENCE",
    "CONSULT",
    "CONSULT_QUEUE",
    "ConsultInProgress",
    "ConsultNoAgent",
    "ConsultTargetBusy",
    "Consulting",
    "NoConsult",
]

CONSULT = "consult"
"""The contact attribute naming the consulted agent while a consult (or conference) lasts."""
CONSULT_QUEUE = "consult_queue"
"""The queue the consulted agent was picked from (a consult asked of a queue)."""
CONFERENCE = "conference"
"""Set (to the third party's agent id) while the call is a conference of three."""
_CONSULT_KEYS = (CONSULT, CONSULT_QUEUE, CONFERENCE)


class ConsultInProgress(InvalidState):
    """The call already has a consult or conference going (end it first)."""

    error_id = "consult_in_progress"
    text_key = "error.consult_in_progress"


class NoConsult(InvalidState):
    """The call has no consult (or no conference) to end, complete or join."""

    error_id = "no_consult"
    text_key = "error.no_consult"


class ConsultTargetBusy(Conflict):
    """The agent to consult is not ready or has no free slot for a call."""

    error_id = "consult_target_busy"
    text_key = "error.consult_target_busy"


class ConsultNoAgent(Conflict):
    """No agent of the queue is free to be consulted now."""

    error_id = "consult_no_agent"
    text_key = "error.consult_no_agent"


class Consulting(ContactHandling):
    """Consult, complete, cancel, conference (a base of the router; module doc)."""

    def _init_consult_appliers(self) -> None:
        self._appliers[ev.ConsultStarted] = self._on_consult_started
        self._appliers[ev.ConsultCancelled] = self._on_consult_ended
        self._appliers[ev.ConsultCompleted] = self._on_consult_ended
        self._appliers[ev.ConferenceEnded] = self._on_consult_ended
        self._appliers[ev.ConferenceStarted] = self._on_conference_started

    # -- commands ----------------------------------------------------------------------
    def start_consult(
        self,
        contact_id: str,
        now: float,
        *,
        to_agent: str | None = None,
        to_queue: str | None = None,
    ) -> str:
        """The agent serving the call consults *to_agent*, or the best free agent of
        *to_queue*; the caller is put on hold. Returns the consulted agent's id."""
        contact = self._call(contact_id, "consulted on")
        self._no_consult_yet(contact)
        if (to_queue is None) == (to_agent is None):
            raise ValidationError("a consult needs exactly one of to_queue or to_agent")
        if to_agent is not None:
            target = self._agent(to_agent)
            if to_agent == contact.agent_id:
                raise ValidationError(
                    "an agent cannot consult itself",
                    text_key="error.consult_self",
                    agent_id=to_agent,
                )
            if target.capacity.get(contact.channel, 0) <= 0:
                raise ValidationError(
                    f"agent {to_agent} takes no {contact.channel.value} contacts",
                    agent_id=to_agent,
                )
        if to_queue is not None:
            channel = self._queue(to_queue).spec.channel
            if channel is not contact.channel:
                raise ValidationError(
                    f"contact {contact_id} is {contact.channel.value}; queue {to_queue} takes "
                    f"{channel.value} contacts",
                    queue_id=to_queue,
                )
        self._clock(now)
        contact = self._call(contact_id, "consulted on")  # timers may have moved it on
        self._no_consult_yet(contact)
        chosen = self._consult_target(contact, to_agent, to_queue)
        agent_id = contact.agent_id or ""
        if not contact.on_hold:
            self._emit(ev.ContactHeld(self.time, contact_id, agent_id))
        self._emit(ev.ConsultStarted(self.time, contact_id, agent_id, chosen.agent_id, to_queue))
        return chosen.agent_id

    def cancel_consult(self, contact_id: str, now: float, reason: str = "cancelled") -> None:
        """End the consult without a transfer (the caller is taken off hold) or, in a
        conference, let the third party go; *reason* as in ``ConsultCancelled``."""
        contact = self._consulting(contact_id)
        self._clock(now)
        contact = self._consulting(contact_id)
        self._end_consult(contact, reason)

    def complete_consult(self, contact_id: str, now: float, note: str = "") -> None:
        """Hand the call to the consulted agent (from a consult or a conference the agent
        leaves) with *note*; the first agent is freed."""
        contact = self._consulting(contact_id)
        self._clock(now)
        contact = self._consulting(contact_id)
        agent = self.agents[contact.agent_id or ""]
        target = self.agents[contact.attributes[CONSULT]]
        at = self.time
        self._emit(ev.ConsultCompleted(at, contact_id, agent.agent_id, target.agent_id, note))
        self._emit(
            ev.ContactTransferred(at, contact_id, agent.agent_id, None, target.agent_id, note)
        )
        # The consulted agent is on the line already: its offer is taken at once.
        offer_id = self._offer(contact, target)
        self._emit(ev.OfferAccepted(at, offer_id, contact_id, target.agent_id))
        self._after_release(agent)

    def start_conference(self, contact_id: str, now: float) -> None:
        """The caller, the agent and the consulted agent all hear one another."""
        contact = self._consulting(contact_id)
        if CONFERENCE in contact.attributes:
            raise ConsultInProgress(
                f"contact {contact_id} is already a conference", contact_id=contact_id
            )
        self._clock(now)
        contact = self._consulting(contact_id)
        agent_id = contact.agent_id or ""
        target_id = contact.attributes[CONSULT]
        self._emit(ev.ConferenceStarted(self.time, contact_id, agent_id, target_id))
        if contact.on_hold:
            self._emit(ev.ContactResumed(self.time, contact_id, agent_id))

    def end_conference(self, contact_id: str, now: float) -> None:
        """The third party leaves the conference; the caller and the agent talk on."""
        contact = self._consulting(contact_id)
        if CONFERENCE not in contact.attributes:
            raise NoConsult(f"contact {contact_id} is not a conference", contact_id=contact_id)
        self._clock(now)
        self._end_consult(self._consulting(contact_id), "cancelled")

    def transfer(
        self,
        contact_id: str,
        now: float,
        *,
        to_queue: str | None = None,
        to_agent: str | None = None,
        note: str = "",
    ) -> None:
        """A blind transfer (:meth:`ContactHandling.transfer`), refused during a consult."""
        self._refuse_during_consult(self._contact(contact_id), "transferred")
        super().transfer(contact_id, now, to_queue=to_queue, to_agent=to_agent, note=note)

    def hold(self, contact_id: str, now: float) -> None:
        """Hold (:meth:`ContactHandling.hold`), refused during a consult or conference."""
        self._refuse_during_consult(self._contact(contact_id), "put on hold")
        super().hold(contact_id, now)

    def resume(self, contact_id: str, now: float) -> None:
        """Resume (:meth:`ContactHandling.resume`), refused during a consult (cancel it)."""
        self._refuse_during_consult(self._contact(contact_id), "resumed")
        super().resume(contact_id, now)

    # -- helpers -----------------------------------------------------------------------
    def _no_consult_yet(self, contact: ContactRecord) -> None:
        if CONSULT in contact.attributes:
            raise ConsultInProgress(
                f"contact {contact.contact_id} already has a consult going",
                contact_id=contact.contact_id,
            )

    def _consulting(self, contact_id: str) -> ContactRecord:
        """The call, which must have a consult (or conference) going."""
        contact = self._call(contact_id, "changed")
        if CONSULT not in contact.attributes:
            raise NoConsult(f"contact {contact_id} has no consult going", contact_id=contact_id)
        return contact

    def _consult_target(
        self, contact: ContactRecord, to_agent: str | None, to_queue: str | None
    ) -> AgentRecord:
        """The agent to consult: the named one when it is ready with a free slot, else the
        queue's best free agent (never the consulting one)."""
        if to_agent is not None:
            target = self.agents[to_agent]
            if not target.free_for(contact.channel):
                raise ConsultTargetBusy(
                    f"agent {to_agent} is not free to take a call", agent_id=to_agent
                )
            return target
        assert to_queue is not None
        queue = self.queues[to_queue]
        found = self._free_agent(queue.buckets[0], {contact.agent_id or ""})
        if found is None:
            raise ConsultNoAgent(
                f"no agent of queue {to_queue} is free to be consulted", queue_id=to_queue
            )
        return found

    def _end_consult(self, contact: ContactRecord, reason: str) -> None:
        """Emit the end of the contact's consult or conference and free the consulted
        agent (it may be offered other work at once)."""
        agent_id = contact.agent_id or ""
        target = self.agents[contact.attributes[CONSULT]]
        conference = CONFERENCE in contact.attributes
        event = ev.ConferenceEnded if conference else ev.ConsultCancelled
        self._emit(event(self.time, contact.contact_id, agent_id, target.agent_id, reason))
        if contact.on_hold and reason != "call_ended":
            self._emit(ev.ContactResumed(self.time, contact.contact_id, agent_id))
        self._after_release(target)

    def _refuse_during_consult(self, contact: ContactRecord, verb: str) -> None:
        """Refuse *verb* (a blind transfer, a resume) while a consult is going."""
        if CONSULT in contact.attributes:
            raise ConsultInProgress(
                f"contact {contact.contact_id} cannot be {verb} during a consult",
                contact_id=contact.contact_id,
            )

    # -- appliers ----------------------------------------------------------------------
    def _on_consult_started(self, e: ev.ConsultStarted) -> None:
        contact = self.contacts[e.contact_id]
        target = self.agents[e.target_agent_id]
        target.held[contact.contact_id] = contact
        target.load[contact.channel] = target.load.get(contact.channel, 0) + 1
        if contact.channel in target.exclusive:
            target.exclusive_held += 1
        self._touch(target)
        extra = {CONSULT: e.target_agent_id}
        if e.queue_id is not None:
            extra[CONSULT_QUEUE] = e.queue_id
        contact.attributes = {**contact.attributes, **extra}

    def _on_consult_ended(
        self, e: ev.ConsultCancelled | ev.ConsultCompleted | ev.ConferenceEnded
    ) -> None:
        contact = self.contacts[e.contact_id]
        self._release(self.agents[e.target_agent_id], contact)
        contact.attributes = {k: v for k, v in contact.attributes.items() if k not in _CONSULT_KEYS}

    def _on_conference_started(self, e: ev.ConferenceStarted) -> None:
        contact = self.contacts[e.contact_id]
        contact.attributes = {**contact.attributes, CONFERENCE: e.target_agent_id}
