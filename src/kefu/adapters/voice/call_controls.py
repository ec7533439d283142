"""Controls on a bridged call the agent or the router asks for: the agent's hold (music on
hold to the caller, the bridge again on resume), mute, keypad digits to the caller, the
recording's pause and resume, and the agent phone's transfer by REFER.

A base of :class:`~kefu.adapters.voice.agent_calls.AgentPhones`, which keeps the bridged
legs these act on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from kefu.adapters.voice.call_state import COMFORT_TONE, VoiceCall
from kefu.adapters.voice.port import TransferRequested, VoicePort
from kefu.domain.errors import KefuError
from kefu.service.channels import ChannelService
from kefu.service.routing import commands as c

__all__ = ["AGENT_HOLD", "CallControls"]

log = logging.getLogger(__name__)

AGENT_HOLD = "agent_hold"
"""The tag of music on hold played to a caller the agent holds."""


class CallControls:
    """Hold, mute, digits and recording pause on the bridged calls of *bridged* (caller's
    leg → agent phone's leg) and *agent_legs* (agent phone's leg → the call), through
    *port*."""

    bridged: dict[str, str]
    agent_legs: dict[str, VoiceCall]
    port: Callable[[], VoicePort]
    channels: ChannelService
    referred: set[str]
    """Agent phone legs whose REFER the router is taking (answered on the transfer)."""

    def _bridged_call(self, contact_id: str) -> tuple[str, str, VoiceCall] | None:
        """The contact's bridged call: (customer leg, agent leg, the call), or None."""
        return next(
            (
                (customer_leg, agent_leg, leg)
                for customer_leg, agent_leg in self.bridged.items()
                if (leg := self.agent_legs.get(agent_leg)) is not None
                and leg.contact_id == contact_id
                and not leg.ended
            ),
            None,
        )

    def agent_hold(self, contact_id: str, held: bool) -> None:
        """The agent put the contact's bridged call on hold (the caller hears music on
        hold, the agent's audio no longer reaches it) or resumed it (bridged again)."""
        found = self._bridged_call(contact_id)
        if found is None:
            return
        customer_leg, agent_leg, leg = found
        leg.on_hold = held
        with contextlib.suppress(KefuError):  # the call ended meanwhile
            if held:
                self.play_hold_music(customer_leg)
            else:
                self.port().bridge(customer_leg, agent_leg)

    def play_hold_music(self, customer_leg: str) -> None:
        """One period of music on hold (or the comfort tone) to a held caller; played
        again when it ends while the call is still held."""
        self.port().play(customer_leg, [COMFORT_TONE], tag=AGENT_HOLD)

    def mute(self, contact_id: str, muted: bool) -> None:
        """The agent muted (or unmuted) its microphone: the engine passes silence on
        instead of what the agent's leg receives."""
        found = self._bridged_call(contact_id)
        if found is None:
            log.warning("voice contact %s: no bridged call to mute", contact_id)
            return
        with contextlib.suppress(KefuError):  # the call ended meanwhile
            self.port().mute(found[1], muted)

    def send_digits(self, contact_id: str, digits: str) -> None:
        """The agent keyed *digits* for the caller: played to it as tones."""
        found = self._bridged_call(contact_id)
        if found is None:
            log.warning("voice contact %s: no bridged call to send digits to", contact_id)
            return
        with contextlib.suppress(KefuError):  # the call ended meanwhile
            self.port().send_digits(found[0], digits)

    def refer(self, event: TransferRequested, leg: VoiceCall) -> None:
        """The agent's phone asked (REFER) to send its call to ``event.target``: a queue's
        id or an agent's; the router's transfer follows (the note is empty), and the
        phone hears the outcome (``200`` before kefu's BYE, ``404`` unknown, ``603``
        refused)."""
        router = self.channels.engine.router
        target, contact_id = event.target, leg.contact_id
        if not leg.bridged or contact_id is None or leg.agent_leg != event.call_id:
            self._refer_outcome(event.call_id, 603, "Declined")
            return
        if target in router.queues:
            command = c.TransferContact(contact_id, to_queue_id=target)
        elif target in router.agents:
            command = c.TransferContact(contact_id, to_agent_id=target)
        else:
            self._refer_outcome(event.call_id, 404, "Not Found")
            return
        self.referred.add(event.call_id)
        self.channels.spawn(self._transfer_by_phone(event.call_id, command))

    async def _transfer_by_phone(self, agent_leg: str, command: c.TransferContact) -> None:
        try:
            await self.channels.engine.execute(command)
        except KefuError as exc:
            log.info("voice contact %s: REFER refused: %s", command.contact_id, exc)
            self.referred.discard(agent_leg)
            self._refer_outcome(agent_leg, 603, "Declined")

    def _refer_outcome(self, agent_leg: str, status: int, reason: str) -> None:
        with contextlib.suppress(KefuError):  # the phone hung up meanwhile
            self.port().transfer_progress(agent_leg, status, reason)

    def pause_recording(self, contact_id: str, paused: bool) -> None:
        """The agent paused (or resumed) the recording of the contact's bridged call."""
        found = self._bridged_call(contact_id)
        if found is None:
            log.warning("voice contact %s: no bridged call to pause the recording of", contact_id)
            return
        with contextlib.suppress(KefuError):  # the call ended meanwhile
            self.port().pause_recording(found[0], paused)
