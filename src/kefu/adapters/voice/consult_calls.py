"""The voice side of a consultative transfer and of the conference of three.

When the router stores ``ConsultStarted`` for a call bridged to an agent's phone (the
caller already hears music on hold: ``ContactHeld`` came first), kefu rings the consulted
agent's phone or browser (the offer path's dialer, showing the caller's number); once it
answers the first agent's leg is bridged to it, so the two talk while the caller waits.
``ConferenceStarted`` puts the three legs into one media conference (each hears the other
two; the recording gets the third voice). ``ConsultCancelled`` and ``ConferenceEnded`` hang
up the consulted leg (the caller and the agent talk again); ``ConsultCompleted`` hangs up
the first agent's leg and bridges the caller to the consulted one, recorded into the next
part (``<contact id>-2.wav``); the ``ContactTransferred`` and offer that follow it are that
same hand-over, not a blind transfer. The consulted phone hanging up or not answering
cancels the consult (``CancelConsult``, reason ``target_gone``).

A base of :class:`~kefu.adapters.voice.agent_calls.AgentPhones`.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from kefu.adapters.voice.call_controls import CallControls
from kefu.adapters.voice.call_state import VoiceCall
from kefu.adapters.voice.port import CallAnswered, CallEnded, VoiceError, VoiceEvent
from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.domain.routing.consulting import CONSULT
from kefu.service.routing import commands as c

__all__ = ["Consults"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Consult:
    """A consult's phone leg: the contact, the consulted agent and its leg's state."""

    contact_id: str
    target: str
    leg: str
    answered: bool = False
    conference: bool = False


class Consults(CallControls):
    """Ring, bridge, conference and hand over the consults of the bridged calls."""

    consults: dict[str, _Consult]
    """The consulted phone's leg → its consult."""
    handing_over: set[str]
    """Contacts whose consult completed: their transfer and offer are the hand-over."""

    def _bridge(self, leg: VoiceCall, customer_leg: str, agent_leg: str) -> None:
        raise NotImplementedError  # AgentPhones'

    def on_consult_stored(self, event: ev.Event) -> None:
        """A consult's stored event (see the module doc)."""
        if isinstance(event, ev.ConsultStarted):
            self._ring_consulted(event.contact_id, event.target_agent_id)
        elif isinstance(event, ev.ConferenceStarted):
            consult = self._consult_of(event.contact_id)
            if consult is not None:
                consult.conference = True
                if consult.answered:
                    self._connect_consult(consult)
        elif isinstance(event, ev.ConsultCancelled | ev.ConferenceEnded):
            consult = self._consult_of(event.contact_id)
            if consult is not None:
                self.consults.pop(consult.leg, None)
                with contextlib.suppress(KefuError):  # it hung up meanwhile
                    self.port().hang_up(consult.leg)
        elif isinstance(event, ev.ConsultCompleted):
            self._hand_over(event.contact_id)

    def on_consult_event(self, event: VoiceEvent) -> bool:
        """A consulted phone's leg answered or ended; False when *event* is not about one."""
        consult = self.consults.get(event.call_id)
        if consult is None:
            return False
        if isinstance(event, CallAnswered):
            consult.answered = True
            self._connect_consult(consult)
        elif isinstance(event, CallEnded):
            self.consults.pop(event.call_id, None)
            contact = self.channels.engine.router.contacts.get(consult.contact_id)
            if contact is not None and contact.attributes.get(CONSULT) == consult.target:
                self.channels.spawn(self._cancel(consult.contact_id))
        return True

    def agent_hold(self, contact_id: str, held: bool) -> None:
        """As :meth:`CallControls.agent_hold`; a caller taken off hold into a conference is
        already mixed (``ContactResumed`` after ``ConferenceStarted``)."""
        found = self._bridged_call(contact_id)
        if not held and found is not None and self._consult_of(contact_id) is not None:
            found[2].on_hold = False
            return
        super().agent_hold(contact_id, held)

    # -- internals ---------------------------------------------------------------------
    def _consult_of(self, contact_id: str) -> _Consult | None:
        return next((x for x in self.consults.values() if x.contact_id == contact_id), None)

    def _ring_consulted(self, contact_id: str, target: str) -> None:
        found = self._bridged_call(contact_id)
        if found is None:  # answered in the desktop without kefu's audio: nothing to ring
            log.info("voice contact %s: consult of %s without a bridged call", contact_id, target)
            return
        try:
            leg = self.port().dial(target, caller=found[2].caller)
        except VoiceError as exc:
            log.info("voice contact %s: consulted agent %s not rung: %s", contact_id, target, exc)
            self.channels.spawn(self._cancel(contact_id))
            return
        self.consults[leg] = _Consult(contact_id, target, leg)

    def _connect_consult(self, consult: _Consult) -> None:
        """The consulted phone is up: talk with the agent, or join the conference."""
        found = self._bridged_call(consult.contact_id)
        if found is None:
            with contextlib.suppress(KefuError):
                self.port().hang_up(consult.leg)
            return
        customer_leg, agent_leg, _ = found
        try:
            if consult.conference:
                self.port().conference(customer_leg, agent_leg, consult.leg)
            else:
                self.port().bridge(agent_leg, consult.leg)
        except KefuError as exc:  # a leg ended meanwhile
            log.info("voice contact %s: consult not connected: %s", consult.contact_id, exc)

    def _hand_over(self, contact_id: str) -> None:
        """The consult completed: the first agent's phone is hung up and the caller is
        bridged to the consulted one (once it answers, if it still rings)."""
        consult = self._consult_of(contact_id)
        found = self._bridged_call(contact_id)
        if consult is None or found is None:
            return
        self.consults.pop(consult.leg, None)
        customer_leg, agent_leg, call = found
        self.handing_over.add(contact_id)
        self.agent_legs.pop(agent_leg, None)  # its CallEnded is not the end of the call
        self.bridged.pop(customer_leg, None)
        call.agent_leg, call.bridged, call.accepted, call.on_hold = consult.leg, False, True, False
        self.agent_legs[consult.leg] = call
        with contextlib.suppress(KefuError):
            self.port().hang_up(agent_leg)
        if consult.answered:
            self._bridge(call, customer_leg, consult.leg)

    async def _cancel(self, contact_id: str) -> None:
        try:
            await self.channels.engine.execute(c.CancelConsult(contact_id, "target_gone"))
        except KefuError as exc:  # ended or completed meanwhile
            log.info("voice contact %s: consult not cancelled: %s", contact_id, exc)
