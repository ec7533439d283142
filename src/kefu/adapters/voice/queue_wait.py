"""A voice call waiting in the router's queue: its place and predicted wait every
``announce_every_s`` seconds (:func:`~kefu.adapters.voice.prompts.position_clips`), the
comfort tone or music on hold in between, the callback key; and, after a transfer, music
on hold until the next agent's phone answers.

Part of the IVR's voice driver (:class:`~kefu.adapters.voice.ivr_driver.VoiceIvr`), which
starts :meth:`QueueWait.wait` once the flow handed the call to a queue.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

from kefu.adapters.voice.call_lines import CALLBACK_OFFER, CALLBACK_TAKEN, HANGUP, line, settle
from kefu.adapters.voice.call_state import COMFORT_TONE, VoiceCall, comfort_tone
from kefu.adapters.voice.hold_music import looped
from kefu.adapters.voice.port import VoicePort
from kefu.adapters.voice.prompts import Language, position_clips
from kefu.adapters.voice.texts import TextClips
from kefu.service.channels import ChannelService, wait_info
from kefu.service.routing import commands as c

__all__ = ["QueueWait"]

_HOLD_S = 120.0  # the longest a transferred caller hears music on hold without announcements


class QueueWait:
    """What queued callers hear. *port*: the voice port; *spawn*: run a call's work;
    *language*: the call's language now; *announce_every_s*: seconds between
    announcements; *callback_key*: the key asking for a callback (empty: not offered)."""

    def __init__(
        self,
        channels: ChannelService,
        clips: TextClips,
        port: Callable[[], VoicePort],
        spawn: Callable[[VoiceCall, Awaitable[None]], None],
        language: Callable[[VoiceCall], Language],
        *,
        announce_every_s: float,
        callback_key: str,
    ) -> None:
        self.channels = channels
        self.clips = clips
        self.port = port
        self.spawn = spawn
        self.language = language
        self.announce_every_s = announce_every_s
        self.callback_key = callback_key
        self.tone = comfort_tone(max(1.0, announce_every_s))
        """The audio between announcements (8 kHz µ-law): the comfort tone or the music."""
        self.announcements: list[tuple[str, int, int | None]] = []
        """(call id, callers ahead, predicted minutes) of each queue announcement."""

    def set_hold_music(self, music: bytes) -> None:
        """Queued callers hear *music* (8 kHz µ-law, looped) instead of the comfort tone."""
        self.tone = looped(music, max(1.0, self.announce_every_s))

    def clip(self, name: str) -> bytes:
        """Clip name → audio (the comfort tone or music on hold, else the text clips)."""
        if name == COMFORT_TONE:
            return self.tone
        return self.clips(name)

    async def wait(self, leg: VoiceCall) -> None:
        """While queued: the place and predicted wait every ``announce_every_s`` seconds,
        the callback offer, and the comfort tone in between."""
        port = self.port()
        contact_id = leg.contact_id or ""
        leg.wait_round += 1
        mine = leg.wait_round
        await settle()
        first = True
        while not leg.ended and leg.wait_round == mine:
            info = await self.channels.read(lambda e, _s: wait_info(e.router, contact_id))
            if info is None:  # offered, answered or ended: no more announcements
                return
            language = self.language(leg)
            wait_s = info.estimated_wait_s
            minutes = None if wait_s is None else max(1, round(wait_s / 60))
            self.announcements.append((leg.call_id, info.ahead, minutes))
            clips = position_clips(language, min(999, info.ahead), minutes or 0)
            if minutes is None:
                clips = clips[: clips.index(f"{language}/wait_before")]
            if self.callback_key:
                offer = line(CALLBACK_OFFER, language, press=self.callback_key)
                clips += await self.clips.lines(language, offer)
            while leg.replies.qsize() or not leg.idle.is_set():
                await asyncio.sleep(0.05)  # the flow's last words first
            if leg.ended or leg.called_back or leg.agent_leg is not None or leg.wait_round != mine:
                return  # gone, called back, an agent's phone rings, or waits anew
            leg.idle.clear()
            port.play(leg.call_id, [*clips, COMFORT_TONE], tag="wait")
            if first and self.callback_key:
                self.collect_key(leg)
            first = False
            speech_s = sum(len(self.clip(name)) for name in clips) / 8000
            await asyncio.sleep(speech_s + self.announce_every_s)
            leg.idle.set()  # the tone runs the period; the next announcement replaces it

    def collect_key(self, leg: VoiceCall) -> None:
        leg.collecting = True
        self.port().collect(leg.call_id, max_digits=1, terminator="", timeout_s=3600.0)

    async def callback(self, leg: VoiceCall) -> None:
        """The caller pressed the callback key: the router keeps its place, kefu says
        goodbye and hangs up (an agent reserved later calls the number back)."""
        if leg.contact_id is None or leg.called_back:
            return
        number = leg.caller if leg.caller.isdigit() else None
        await self.channels.engine.execute(c.RequestCallback(leg.contact_id, number))
        leg.called_back = True
        text = line(CALLBACK_TAKEN, self.language(leg))
        clips = await self.clips.lines(self.language(leg), text)
        leg.idle.clear()
        self.port().play(leg.call_id, clips, tag="callback")
        leg.replies.put_nowait(HANGUP)

    def hold(self, leg: VoiceCall) -> None:
        """A transferred caller waits again: music on hold (or the comfort tone) for up to
        ``_HOLD_S`` seconds, replaced by the announcements while it is queued and cut
        when the next agent's phone is bridged."""
        repeats = max(1, math.ceil(_HOLD_S * 8000 / len(self.tone)))
        self.port().play(leg.call_id, [COMFORT_TONE] * repeats, tag="hold")
        leg.idle.set()  # the next announcement may replace it
        self.spawn(leg, self.wait(leg))
