"""Voice calls and agents: the router's offers ring registered agent phones, an answer
accepts the offer and bridges the legs, either side's BYE ends both and completes the
contact; a transfer hangs up the agent's phone and the caller waits on hold for the next;
supervisors listen, whisper or barge in (:mod:`~kefu.adapters.voice.supervisor_calls`);
and, after a restart, the contacts of calls no dialog carries end counted.

Part of the IVR's voice driver (:class:`~kefu.adapters.voice.ivr_driver.VoiceIvr`), which
hands it the calls it carries and its helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from kefu.adapters.voice.call_state import VoiceCall
from kefu.adapters.voice.consult_calls import Consults
from kefu.adapters.voice.port import (
    CallAnswered,
    CallEnded,
    CallHeld,
    TransferRequested,
    VoiceError,
    VoiceEvent,
    VoicePort,
)
from kefu.adapters.voice.supervisor_calls import MODES, Supervisors
from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.domain.model import ContactState
from kefu.service.channels import ChannelService
from kefu.service.routing import commands as c

__all__ = ["AgentPhones"]

log = logging.getLogger(__name__)

_LIVE = (ContactState.QUEUED, ContactState.OFFERED, ContactState.ACTIVE)
_NOTICE_WAIT_S = 30.0  # longest a recording notice can delay an answered call's bridge
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def recording_name(contact_id: str) -> str:
    """The file name of a contact's call recording: ``<contact id>.wav`` (characters a
    file name should not carry become ``_``)."""
    return f"{_UNSAFE.sub('_', contact_id)}.wav"


_CONSULT_EVENTS = (
    ev.ConsultStarted,
    ev.ConsultCancelled,
    ev.ConsultCompleted,
    ev.ConferenceStarted,
    ev.ConferenceEnded,
)


class AgentPhones(Consults, Supervisors):
    """The agents' side of the driver's calls. *calls*: the calls carried (call id →
    state); *port*: the voice port; *spawn*: run a call's work (ended with the call);
    *hang_up*: end a call after its last line; *goodbye*: hang up once what is being
    said was said; *hold*: a transferred caller waits again (music, announcements)."""

    def __init__(
        self,
        channels: ChannelService,
        calls: dict[str, VoiceCall],
        port: Callable[[], VoicePort],
        spawn: Callable[[VoiceCall, Awaitable[None]], None],
        hang_up: Callable[[VoiceCall], None],
        goodbye: Callable[[VoiceCall], None],
        hold: Callable[[VoiceCall], None],
    ) -> None:
        self.channels = channels
        self.calls = calls
        self.port = port
        self.spawn = spawn
        self.hang_up = hang_up
        self.goodbye = goodbye
        self.hold = hold
        self.by_contact: dict[str, str] = {}
        """The router's contact id → the call id, for each call handed to a queue."""
        self.agent_legs: dict[str, VoiceCall] = {}
        """Agent phone leg → the caller's call."""
        self.bridged: dict[str, str] = {}
        """Caller's call id → the agent phone's leg, for each call connected to an agent."""
        self.listeners = {}
        self.referred = set()
        self.consults = {}
        self.handing_over = set()
        self.recordings: Path | None = None
        """Where bridged calls are recorded (one WAV per contact); None: not recorded."""

    # -- a restart: calls the router still holds but no SIP dialog carries -------------
    async def end_lost_calls(self) -> dict[str, str]:
        """End the voice contacts of calls this process does not carry (kefu restarted
        mid-call): waiting ones are abandoned, talking ones completed as ``call_lost``;
        a callback keeps its place. Returns contact id → what was done (logged)."""

        def lost(engine: Any, _state: Any) -> list[tuple[str, ContactState]]:
            return [
                (contact.contact_id, contact.state)
                for contact in engine.router.contacts.values()
                if contact.attributes.get("call_id") not in (None, *self.calls)
                and contact.state in _LIVE
                and not (contact.callback and contact.state is ContactState.QUEUED)
            ]

        done: dict[str, str] = {}
        for contact_id, state in await self.channels.read(lost):
            command: c.Command = (
                c.CompleteContact(contact_id, "call_lost")
                if state is ContactState.ACTIVE
                else c.AbandonContact(contact_id)
            )
            try:
                await self.channels.engine.execute(command)
            except KefuError as exc:  # moved on meanwhile
                log.info("voice contact %s not ended after restart: %s", contact_id, exc)
                continue
            done[contact_id] = "completed" if state is ContactState.ACTIVE else "abandoned"
        if done:
            log.warning("voice: %d calls lost across a restart ended: %s", len(done), done)
        return done

    # -- the router's offers: ringing agent phones --------------------------------------
    def attach(self) -> Callable[[], None]:
        """Hear the router's stored events (offers of queued calls); returns the function
        that stops listening."""
        return self.channels.engine.subscribe(self._on_stored)

    def _on_stored(self, batch: Sequence[Any]) -> None:
        for stored in batch:
            event = stored.event
            if isinstance(event, ev.ContactQueued):
                call_id = event.attributes.get("call_id")
                if call_id in self.calls:  # the hand-off: its offer may be in this batch
                    self.by_contact[event.contact_id] = call_id
            elif isinstance(event, ev.OfferCreated):
                leg = self.calls.get(self.by_contact.get(event.contact_id, ""))
                if leg is not None and event.contact_id in self.handing_over:
                    self.handing_over.discard(event.contact_id)  # the consulted agent's
                    leg.offer = (event.offer_id, event.agent_id)
                elif leg is not None and leg.agent_leg is None and not leg.ended:
                    self.ring(leg, event.offer_id, event.agent_id)
                elif leg is None and event.callback:
                    self.ring_back(event)
            elif isinstance(event, ev.ContactCompleted):
                # Served without kefu's audio (an agent with no registered phone): goodbye.
                leg = self.calls.get(self.by_contact.get(event.contact_id, ""))
                if leg is not None and not leg.bridged and not leg.ended:
                    self.goodbye(leg)
            elif isinstance(event, ev.ContactTransferred):
                leg = self.calls.get(self.by_contact.get(event.contact_id, ""))
                if event.contact_id in self.handing_over:
                    continue  # a completed consult: the caller is with the consulted agent
                if leg is not None and leg.agent_leg is not None and not leg.ended:
                    self.transfer(leg)
            elif isinstance(event, ev.ContactHeld | ev.ContactResumed):
                self.agent_hold(event.contact_id, isinstance(event, ev.ContactHeld))
            elif isinstance(event, ev.CallMuted | ev.CallUnmuted):
                self.mute(event.contact_id, isinstance(event, ev.CallMuted))
            elif isinstance(event, ev.DigitsSentToCaller):
                self.send_digits(event.contact_id, event.digits)
            elif isinstance(event, ev.RecordingPaused | ev.RecordingResumed):
                self.pause_recording(event.contact_id, isinstance(event, ev.RecordingPaused))
            elif isinstance(event, ev.CallListened | ev.CallWhispered | ev.CallBarged):
                self.join(event.contact_id, event.supervisor, MODES[type(event)])
            elif isinstance(event, ev.OfferTimedOut | ev.OfferWithdrawn):
                self.cancel_ring(event.contact_id, event.offer_id)
            elif isinstance(event, _CONSULT_EVENTS):
                self.on_consult_stored(event)

    def ring(self, leg: VoiceCall, offer_id: str, agent_id: str) -> None:
        """Ring the offered agent's registered phone (an agent without one answers in
        the desktop)."""
        try:
            agent_leg = self.port().dial(agent_id, caller=leg.caller)
        except VoiceError:
            return
        leg.agent_leg, leg.offer = agent_leg, (offer_id, agent_id)
        self.agent_legs[agent_leg] = leg

    def cancel_ring(self, contact_id: str, offer_id: str) -> None:
        """The router took the offer back (timed out, withdrawn): CANCEL the ringing
        phone of its agent, a queued caller's or a callback's (whose contact keeps its
        place in line)."""
        rung = [self.calls.get(self.by_contact.get(contact_id, ""))]
        rung += [call for call in self.agent_legs.values() if call.call_id.startswith("callback:")]
        for leg in rung:
            if (
                leg is not None
                and leg.contact_id == contact_id
                and leg.agent_leg is not None
                and not (leg.bridged or leg.accepted)
                and leg.offer is not None
                and leg.offer[0] == offer_id
            ):
                with contextlib.suppress(KefuError):
                    self.port().hang_up(leg.agent_leg)
                return

    def transfer(self, leg: VoiceCall) -> None:
        """The agent sent the call on (to a queue or an agent): its phone gets a BYE, the
        caller hears music on hold (or the comfort tone) until the next agent's phone
        answers; the router's next offer rings that phone (handled after this event)."""
        old = leg.agent_leg or ""
        if old in self.referred:  # the phone asked for it: told before its BYE
            self.referred.discard(old)
            self._refer_outcome(old, 200, "OK")
        self.agent_legs.pop(old, None)  # its CallEnded is not the end of the call
        self.bridged.pop(leg.call_id, None)
        leg.agent_leg, leg.offer, leg.bridged, leg.accepted = None, None, False, False
        leg.on_hold = False
        with contextlib.suppress(KefuError):
            self.port().hang_up(old)
        self.hold(leg)

    def ring_back(self, offer: ev.OfferCreated) -> None:
        """The router reserved an agent for a voice callback: ring the agent's phone
        (showing the customer's number); once answered kefu calls the customer through
        the trunk and bridges the two (the router's callback, over SIP)."""
        contact = self.channels.engine.router.contacts.get(offer.contact_id)
        number = None if contact is None else contact.callback_number
        if contact is None or not number or contact.attributes.get("channel") != "voice":
            return
        call = VoiceCall(f"callback:{offer.contact_id}", number, "zh", contact_id=offer.contact_id)
        self.ring(call, offer.offer_id, offer.agent_id)

    def on_event(self, event: VoiceEvent, leg: VoiceCall) -> None:
        customer = event.call_id == leg.customer_leg
        if isinstance(event, TransferRequested):
            self.refer(event, leg)
        elif isinstance(event, CallHeld):
            if leg.bridged and leg.contact_id is not None and leg.on_hold != event.held:
                hold = c.HoldContact if event.held else c.ResumeContact
                self.channels.spawn(self._phone_hold(hold(leg.contact_id)))
        elif isinstance(event, CallAnswered):
            if leg.ended:
                self.port().hang_up(event.call_id)
            elif customer and leg.agent_leg is not None:
                self._bridge(leg, event.call_id, leg.agent_leg)
            elif leg.accepted and not leg.call_id.startswith("callback:"):
                self._bridge(leg, leg.call_id, event.call_id)  # consulted, handed over ringing
            else:
                self.spawn(leg, self._connect(leg, event.call_id))
        elif isinstance(event, CallEnded):
            self.agent_legs.pop(event.call_id, None)
            self.referred.discard(event.call_id)
            if customer:  # the customer called back hung up (or did not answer)
                leg.customer_leg, leg.ended = None, True
                if leg.agent_leg is not None:
                    self.port().hang_up(leg.agent_leg)
                return
            if leg.customer_leg is not None:
                self.port().hang_up(leg.customer_leg)
            self.channels.spawn(self._agent_gone(leg, event))

    async def _connect(self, leg: VoiceCall, agent_leg: str) -> None:
        """The agent picked up: the offer is accepted and the caller's audio bridged (a
        callback: the customer is called now, bridged when it answers)."""
        assert leg.offer is not None and leg.contact_id is not None
        offer_id, agent_id = leg.offer
        await self.channels.engine.execute(c.AcceptOffer(leg.contact_id, offer_id, agent_id))
        leg.accepted = True
        if leg.call_id.startswith("callback:"):
            try:
                leg.customer_leg = self.port().dial_number(leg.caller)
            except VoiceError as exc:
                log.warning("callback %s not placed: %s", leg.contact_id, exc)
                self.port().hang_up(agent_leg)
                return
            self.agent_legs[leg.customer_leg] = leg
            return
        # The caller hears the whole recording notice before the agent is put through.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(leg.noticed.wait(), _NOTICE_WAIT_S)
        if leg.ended:
            return
        self._bridge(leg, leg.call_id, agent_leg)

    def _bridge(self, leg: VoiceCall, customer_leg: str, agent_leg: str) -> None:
        """Connect the customer's and the agent's audio; record the call when recording
        is on (the contact's ``CallRecorded`` names the file)."""
        leg.bridged, leg.on_hold = True, False
        self.bridged[customer_leg] = agent_leg
        self.port().bridge(customer_leg, agent_leg)
        if self.recordings is None or leg.contact_id is None:
            return
        name = recording_name(leg.contact_id)
        part = 1
        while (self.recordings / name).exists():  # a transferred call's next agent
            part += 1
            name = recording_name(f"{leg.contact_id}-{part}")
        self.port().record(customer_leg, agent_leg, str(self.recordings / name))
        self.channels.spawn(self._recorded(leg.contact_id, name))

    async def _recorded(self, contact_id: str, name: str) -> None:
        try:
            await self.channels.engine.execute(c.RecordCall(contact_id, name))
        except KefuError as exc:  # the call ended meanwhile: the file stays, unnamed
            log.warning("voice contact %s: recording %s not filed: %s", contact_id, name, exc)

    async def _phone_hold(self, command: c.HoldContact | c.ResumeContact) -> None:
        """The agent's phone held or resumed the call: as the desktop's hold would."""
        try:
            await self.channels.engine.execute(command)
        except KefuError as exc:
            log.info("voice contact %s: phone hold not applied: %s", command.contact_id, exc)

    async def _agent_gone(self, leg: VoiceCall, ended: CallEnded) -> None:
        """The agent's phone hung up, refused or stopped ringing: an answered call ends
        (the contact completes, wrap-up starts); an unanswered offer is refused."""
        if leg.contact_id is None or leg.offer is None:
            return
        offer_id, agent_id = leg.offer
        answered = leg.bridged or leg.accepted
        leg.agent_leg, leg.offer, leg.bridged, leg.accepted = None, None, False, False
        try:
            if answered:
                self.hang_up(leg)
                await self.channels.engine.execute(c.CompleteContact(leg.contact_id))
            elif ended.reason != "hung_up" or leg.ended:
                await self.channels.engine.execute(
                    c.RejectOffer(leg.contact_id, offer_id, agent_id)
                )
        except KefuError as exc:
            log.info("voice call %s: agent leg ended: %s", leg.call_id, exc)
        if not answered and not leg.ended and leg.call_id in self.calls:
            # Not answered: the caller waits again (music, then the announcements),
            # unless the router's next offer already rings another phone.
            self.hold(leg)
