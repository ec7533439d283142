"""A minimal built-in call flow that exercises the transport until the IVR engine drives calls.

Answer, greet, collect digits until ``#`` (or the timeout), read them back with a queue
position announcement, say goodbye and hang up. It reacts to port events only, so the IVR
driver replaces it by subscribing to the same events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from kefu.adapters.voice.port import (
    CallEnded,
    CallStarted,
    DigitsCollected,
    MediaEnded,
    VoiceEvent,
    VoicePort,
)
from kefu.adapters.voice.prompts import Language, digit_clips, position_clips

__all__ = ["DemoFlow"]


@dataclass
class DemoFlow:
    """Drives each call through the demo script; keeps what it learned for inspection.

    *ring_s* is how long a call rings before it is answered (seconds); *position* and
    *wait_minutes* are the queue figures the demo announces.
    """

    port: VoicePort | None = None
    language: Language = "zh"
    ring_s: float = 0.0
    max_digits: int = 12
    timeout_s: float = 5.0
    position: int = 4
    wait_minutes: int = 3
    collected: dict[str, str] = field(default_factory=dict)
    ended: dict[str, str] = field(default_factory=dict)
    events: list[VoiceEvent] = field(default_factory=list)

    def __call__(self, event: VoiceEvent) -> None:
        """The port's event sink."""
        self.events.append(event)
        port = self.port
        if port is None:
            return
        lang = self.language
        if isinstance(event, CallStarted):
            asyncio.get_running_loop().call_later(self.ring_s, self._answer, event.call_id)
        elif isinstance(event, DigitsCollected):
            self.collected[event.call_id] = event.digits
            if event.digits:
                clips = [f"{lang}/you_entered", *digit_clips(lang, event.digits)]
                clips += position_clips(lang, self.position, self.wait_minutes)
            else:
                clips = [f"{lang}/no_input"]
            port.play(event.call_id, [*clips, f"{lang}/goodbye"], tag="goodbye")
        elif isinstance(event, MediaEnded) and event.tag == "goodbye":
            port.hang_up(event.call_id)
        elif isinstance(event, CallEnded):
            self.ended[event.call_id] = event.reason

    def _answer(self, call_id: str) -> None:
        if self.port is None or call_id in self.ended:
            return
        self.port.answer(call_id)
        self.port.play(call_id, [f"{self.language}/greeting"], tag="greeting")
        self.port.collect(
            call_id, max_digits=self.max_digits, terminator="#", timeout_s=self.timeout_s
        )
