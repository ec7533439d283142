"""The IVR's voice driver: a telephone call runs a published flow through the IVR wing, the
same wing that greets chat and SMS, and waits in the router's queue hearing its place.

A ringing call (``CallStarted``) is answered and becomes an inbound voice message of the
caller's number; the wing greets the new conversation with the number's flow. What the
flow tells the customer comes back through this driver as the voice channel's
:class:`~kefu.service.channels.ports.ReplyGateway` and is played line by line as clips
(:class:`~kefu.adapters.voice.texts.TextClips`). A question (the wing's ``asked``) starts
digit collection: one key for a menu, up to the field's length (ended by ``#``) for a
number; collected digits go to the wing as :class:`~kefu.service.ivr.IvrInput` (so a PIN is
never filed as a message). The flow's silence deadline stays the wing's own timer.

When the flow hands off, the router holds a voice contact carrying the IVR's attributes
(verification, path, collected values, the call id): the caller hears a comfort tone and,
every ``announce_every_s`` seconds, its place and predicted wait (:mod:`.queue_wait`),
and may press the callback key: the router's callback keeps the place and kefu says
goodbye. A caller hanging up in the flow ends the session (``IvrHangup``), in the queue
abandons the contact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from kefu.adapters.voice.agent_calls import AgentPhones
from kefu.adapters.voice.call_controls import AGENT_HOLD
from kefu.adapters.voice.call_lines import (
    HANGUP,
    RECORDING_NOTICE,
    discard_task,
    driver_lines,
    line,
    settle,
)
from kefu.adapters.voice.call_state import VoiceCall, caller_identifier, caller_number
from kefu.adapters.voice.port import (
    CallEnded,
    CallStarted,
    DigitReceived,
    DigitsCollected,
    MediaEnded,
    VoiceError,
    VoiceEvent,
    VoicePort,
)
from kefu.adapters.voice.prompts import Language
from kefu.adapters.voice.queue_wait import QueueWait
from kefu.adapters.voice.texts import TextClips
from kefu.domain.errors import KefuError
from kefu.domain.ivr.flow import CollectNode, VerifyNode
from kefu.domain.model import Channel, ContactState
from kefu.service.channels import ChannelService, Inbound, OutboundReply
from kefu.service.ivr import IvrHangup, IvrInput, IvrWing
from kefu.service.routing import commands as c

__all__ = ["VoiceIvr"]

log = logging.getLogger(__name__)


class VoiceIvr:
    """Drives the front door's calls through ``ivr`` (see the module doc); the port's event
    sink and the voice channel's reply gateway. *announce_every_s*: seconds between
    queue announcements; *callback_key*: the key asking for a callback while queued
    (empty: not offered); *digit_timeout_s*: silence ending a number typed without ``#``;
    *recordings*: the directory bridged calls are recorded in (callers are told first)."""

    def __init__(
        self,
        channels: ChannelService,
        ivr: IvrWing,
        clips: TextClips,
        *,
        language: Language = "zh",
        announce_every_s: float = 30.0,
        callback_key: str = "1",
        digit_timeout_s: float = 5.0,
        recordings: Path | None = None,
    ) -> None:
        self.channels = channels
        self.ivr = ivr
        self.clips = clips
        self.language: Language = language
        self.announce_every_s = announce_every_s
        self.callback_key = callback_key
        self.digit_timeout_s = digit_timeout_s
        self.port: VoicePort | None = None
        self.calls: dict[str, VoiceCall] = {}
        self._by_conv: dict[str, str] = {}
        self._early: dict[str, list[str]] = {}
        self.waiting = QueueWait(
            channels,
            clips,
            self._port,
            self._spawn,
            self._language,
            announce_every_s=announce_every_s,
            callback_key=callback_key,
        )
        self.agents = AgentPhones(
            channels,
            self.calls,
            self._port,
            self._spawn,
            self._hang_up,
            self._goodbye,
            self.waiting.hold,
        )
        self.agents.recordings = recordings
        self.bridged = self.agents.bridged
        """Caller's call id → the agent phone's leg, for each call connected to an agent."""
        self.queued: dict[str, str] = {}
        """Call id → the router's contact id, for each call handed to a queue."""
        self.announcements = self.waiting.announcements
        """(call id, callers ahead, predicted minutes) of each queue announcement."""
        self.ended: dict[str, str] = {}

    # -- clips: the front door's clip source -------------------------------------------
    def set_hold_music(self, music: bytes) -> None:
        """Queued callers hear *music* (8 kHz µ-law, looped) instead of the comfort tone."""
        self.waiting.set_hold_music(music)

    def clip(self, name: str) -> bytes:
        """Clip name → audio (the comfort tone or music on hold, else the text clips)."""
        return self.waiting.clip(name)

    def offer_texts(self) -> dict[Language, list[str]]:
        """The driver's own lines (callback offer, recording notice), to render with the flows."""
        return driver_lines(self.callback_key, recording=self.agents.recordings is not None)

    # -- the reply gateway of the voice channel ----------------------------------------
    def new_external_id(self) -> str:
        return f"voice:{uuid.uuid4().hex}"

    async def send(self, reply: OutboundReply) -> None:
        """Play the text to the conversation's call (after what it is playing)."""
        call_id = self._by_conv.get(reply.conversation_id)
        if call_id is None:  # told while the call's first command is committing
            self._early.setdefault(reply.conversation_id, []).append(reply.text)
            return
        leg = self.calls.get(call_id)
        if leg is None or leg.ended:
            raise VoiceError("the caller hung up", text_key="error.caller_hung_up", call_id=call_id)
        leg.replies.put_nowait(reply.text)

    # -- the port's events -------------------------------------------------------------
    def __call__(self, event: VoiceEvent) -> None:
        if isinstance(event, CallStarted):
            new = VoiceCall(event.call_id, caller_number(event.caller), self.language)
            new.idle.set()
            if self.agents.recordings is None:
                new.noticed.set()
            self.calls[event.call_id] = new
            self._spawn(new, self._start(new, event))
            return
        if self.agents.on_listener_event(event) or self.agents.on_consult_event(event):
            return
        caller = self.agents.agent_legs.get(event.call_id)
        if caller is not None:
            self.agents.on_event(event, caller)
            return
        leg = self.calls.get(event.call_id)
        if leg is None:
            return
        if isinstance(event, MediaEnded):
            if event.tag == AGENT_HOLD and leg.on_hold and not leg.ended:
                with contextlib.suppress(KefuError):  # the call ended meanwhile
                    self.agents.play_hold_music(event.call_id)
                return
            leg.idle.set()
            if event.tag == "notice":
                leg.noticed.set()
        elif isinstance(event, DigitReceived):
            if leg.collecting:
                leg.idle.set()  # the key cut the prompt short (barge-in)
        elif isinstance(event, DigitsCollected):
            leg.collecting = False
            self._spawn(leg, self._digits(leg, event))
        elif isinstance(event, CallEnded):
            leg.ended = True
            self.ended[leg.call_id] = event.reason
            for task in leg.tasks:
                task.cancel()
            self.channels.spawn(self._ended(leg))

    def _spawn(self, leg: VoiceCall, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(self._guard(leg, work))
        leg.tasks.append(task)
        task.add_done_callback(lambda t: discard_task(leg.tasks, t))

    async def _guard(self, leg: VoiceCall, work: Awaitable[None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("voice call %s failed; hanging up", leg.call_id)
            self._hang_up(leg)

    # -- the call ----------------------------------------------------------------------
    async def _start(self, leg: VoiceCall, started: CallStarted) -> None:
        port = self._port()
        port.answer(leg.call_id)
        if self.agents.recordings is not None:  # told before the flow's first words
            notice = await self.clips.lines(leg.language, line(RECORDING_NOTICE, leg.language))
            leg.idle.clear()
            port.play(leg.call_id, notice, tag="notice")
        flow = started.flow if self.ivr.published(started.flow) else None
        flow = flow or self.ivr.flow_for(Channel.VOICE, started.site)
        metadata = {"call_id": leg.call_id, "dialled": started.dialled}
        if flow:
            metadata["ivr_flow"] = flow
        if started.site:
            metadata["site_id"] = started.site
        inbound = Inbound(
            Channel.VOICE,
            (caller_identifier(leg.caller),),
            line("voice.call_to", leg.language, dialled=started.dialled),
            self.channels.engine.now(),
            f"sip:{leg.call_id}",
            recipients=(started.dialled,),
            metadata=metadata,
        )
        receipt = await self.channels.receive(inbound)
        leg.conv_id = receipt.conversation_id
        self._by_conv[leg.conv_id] = leg.call_id
        for text in self._early.pop(leg.conv_id, []):
            leg.replies.put_nowait(text)
        self._spawn(leg, self._speak(leg))
        await self._after_command(leg)

    async def _speak(self, leg: VoiceCall) -> None:
        """Play what the flow tells, in order, one batch when the last one ended."""
        port = self._port()
        while True:
            item = await leg.replies.get()
            if item is HANGUP:
                await leg.idle.wait()
                self._hang_up(leg)
                return
            items, hang_up = [item], False
            while not leg.replies.empty() and not hang_up:
                more = leg.replies.get_nowait()
                hang_up = more is HANGUP
                if not hang_up:
                    items.append(more)
            language = self._language(leg)
            clips: list[str] = []
            for text in items:
                clips += await self.clips.lines(language, str(text))
            await leg.idle.wait()
            if leg.ended:
                return
            leg.idle.clear()
            port.play(leg.call_id, clips, tag="ivr")
            self._collect(leg)
            if hang_up:
                leg.replies.put_nowait(HANGUP)

    def _language(self, leg: VoiceCall) -> Language:
        session = self.ivr.sessions.get(leg.conv_id or "")
        if session is not None and session.state.language in ("zh", "en"):
            leg.language = session.state.language  # type: ignore[assignment]
        return leg.language

    def _collect(self, leg: VoiceCall) -> None:
        """Collect the answer to the flow's question, if it asked one."""
        session = self.ivr.sessions.get(leg.conv_id or "")
        ask = None if session is None else session.asked
        if ask is None or session is None:
            return
        node = self.ivr.catalog.get(session.state.flow_id, session.state.version).nodes.get(
            ask.node_id
        )
        if ask.options:
            max_digits = 1
        elif isinstance(node, CollectNode):
            max_digits = node.max_length
        elif isinstance(node, VerifyNode):
            max_digits = node.secret_length[1]
        else:
            max_digits = 32
        leg.collecting = True
        self._port().collect(
            leg.call_id, max_digits=max_digits, terminator="#", timeout_s=self.digit_timeout_s
        )

    async def _digits(self, leg: VoiceCall, got: DigitsCollected) -> None:
        conv_id = leg.conv_id
        if conv_id is None:
            return
        if leg.bridged or leg.agent_leg is not None:
            return  # talking to (or ringing) an agent: keys are not for kefu
        if leg.waiting:
            if self.callback_key and got.digits[:1] == self.callback_key:
                await self.waiting.callback(leg)
            elif not leg.ended:
                self.waiting.collect_key(leg)
            return
        if self.ivr.sessions.get(conv_id) is None:
            return
        if not got.digits:  # silence: the flow's own deadline asks again
            self._collect(leg)
            return
        await self.channels.engine.execute(IvrInput(conv_id, got.digits))
        await self._after_command(leg)

    async def _after_command(self, leg: VoiceCall) -> None:
        """After the flow moved: start waiting once queued, hang up once it ended."""
        conv_id = leg.conv_id or ""
        if self.ivr.sessions.get(conv_id) is not None or leg.waiting:
            return
        contact_id = self.channels.state.contact_of.get(conv_id)
        if contact_id is None:  # served by self-service, or left: goodbye after the last line
            await settle()
            leg.replies.put_nowait(HANGUP)
            return
        leg.contact_id = contact_id
        self.queued[leg.call_id] = contact_id
        self.agents.by_contact[contact_id] = leg.call_id
        leg.waiting = True
        self._spawn(leg, self.waiting.wait(leg))

    async def _ended(self, leg: VoiceCall) -> None:
        """The call ended: leave the flow, or abandon the place in the queue."""
        self.calls.pop(leg.call_id, None)
        conv_id = leg.conv_id
        if conv_id is None:
            return
        self._by_conv.pop(conv_id, None)
        if leg.contact_id is not None:
            self.agents.by_contact.pop(leg.contact_id, None)
        try:
            if leg.agent_leg is not None:
                self._port().hang_up(leg.agent_leg)  # its CallEnded ends the contact
            elif self.ivr.sessions.get(conv_id) is not None:
                await self.channels.engine.execute(IvrHangup(conv_id))
            elif leg.contact_id is not None and not leg.called_back:
                contact = self.channels.engine.router.contacts.get(leg.contact_id)
                if contact is not None and contact.state is ContactState.QUEUED:
                    await self.channels.engine.execute(c.AbandonContact(leg.contact_id))
        except KefuError as exc:
            log.info("voice call %s ended: %s", leg.call_id, exc)

    def attach(self) -> Callable[[], None]:
        """Hear the router's offers (agent phones ring); returns the function that stops."""
        return self.agents.attach()

    async def end_lost_calls(self) -> dict[str, str]:
        """After a restart: end the contacts of calls no dialog carries (counted)."""
        return await self.agents.end_lost_calls()

    # -- helpers -----------------------------------------------------------------------
    def _goodbye(self, leg: VoiceCall) -> None:
        """Hang up once what is being said was said."""
        leg.replies.put_nowait(HANGUP)

    def _port(self) -> VoicePort:
        if self.port is None:
            raise VoiceError("the voice driver has no port")
        return self.port

    def _hang_up(self, leg: VoiceCall) -> None:
        if leg.ended or self.port is None:
            return
        with contextlib.suppress(KefuError):
            self.port.hang_up(leg.call_id)
