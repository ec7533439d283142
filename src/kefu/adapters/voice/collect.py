"""Digit collection for one call: until the terminator, a count, or an inter-digit timeout.

The timeout (seconds) counts from the end of the prompt playing when collection starts —
the caller is not rushed while still listening — and restarts with every digit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from kefu.adapters.voice.dtmf import DIGITS
from kefu.adapters.voice.port import CollectEnd, DigitsCollected, VoiceSettingsError

__all__ = ["Collection"]


@dataclass(slots=True)
class Collection:
    """One ``collect`` command in progress; *emit* receives its ``DigitsCollected``."""

    call_id: str
    max_digits: int
    terminator: str
    timeout_s: float
    emit: Callable[[DigitsCollected], None]
    digits: str = ""
    timer: asyncio.TimerHandle | None = None
    done: bool = False

    def __post_init__(self) -> None:
        bad_terminator = self.terminator and self.terminator not in DIGITS
        if self.max_digits < 1 or bad_terminator or self.timeout_s <= 0:
            raise VoiceSettingsError(
                "collect needs max_digits ≥ 1, a keypad terminator and a positive timeout",
                text_key="error.voice_collect_invalid",
                max_digits=self.max_digits,
                terminator=self.terminator,
            )

    def arm(self) -> None:
        """(Re)start the inter-digit timeout."""
        if self.done:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(self.timeout_s, self.finish, "timeout")

    @property
    def armed(self) -> bool:
        return self.timer is not None

    def digit(self, digit: str) -> None:
        """A key press: the terminator ends collection, others count towards the maximum."""
        if self.done:
            return
        if digit == self.terminator:
            self.finish("terminator")
            return
        self.digits += digit
        if len(self.digits) >= self.max_digits:
            self.finish("max_digits")
        else:
            self.arm()

    def finish(self, ended_by: CollectEnd) -> None:
        """End collection and report the digits gathered."""
        if self.done:
            return
        self.cancel()
        self.emit(DigitsCollected(self.call_id, self.digits, ended_by))

    def cancel(self) -> None:
        """End collection silently (call ended, or replaced by a new ``collect``)."""
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
