"""Time in kefu: instants and durations are floats in seconds.

The domain never reads the wall clock. Callers pass ``now`` explicitly or hand a
:class:`Clock` to whoever needs one: the live wiring uses a system clock
(:class:`kefu.adapters.clock.SystemClock`), tests and the simulator a :class:`ManualClock`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "Seconds"]

Seconds = float
"""An instant (seconds since an arbitrary epoch) or a duration, in seconds."""


@runtime_checkable
class Clock(Protocol):
    """Something that tells the current instant in seconds."""

    def now(self) -> Seconds:
        """The current instant, in seconds."""
        ...


class ManualClock:
    """A clock that moves only when told to: for tests and simulated time."""

    __slots__ = ("_now",)

    def __init__(self, start: Seconds = 0.0) -> None:
        self._now = float(start)

    def now(self) -> Seconds:
        return self._now

    def advance(self, seconds: Seconds) -> Seconds:
        """Move forward by ``seconds`` (never backwards) and return the new instant."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds} s)")
        self._now += seconds
        return self._now

    def set(self, instant: Seconds) -> Seconds:
        """Jump to ``instant``, which must not be earlier than the current one."""
        if instant < self._now:
            raise ValueError(f"a clock cannot go backwards (from {self._now} s to {instant} s)")
        self._now = float(instant)
        return self._now
