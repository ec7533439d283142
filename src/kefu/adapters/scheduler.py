"""The asyncio driver of the routing engine's timers.

The engine calls :meth:`AsyncioScheduler.wake_at` with the router's ``next_due()`` after
every command; the scheduler keeps one ``loop.call_later`` handle, re-armed each time, and
when it fires runs ``engine.tick()``, which processes the due timers and re-arms it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kefu.domain.time import Clock

__all__ = ["AsyncioScheduler"]

log = logging.getLogger(__name__)

# Timers are processed this long after they are due at the latest, so a wall clock that
# runs a little behind the loop's monotonic clock never wakes the engine early for nothing.
SLACK_S = 0.002


class AsyncioScheduler:
    """Wakes ``tick`` on the running loop at the instants the engine asks for (seconds on
    ``clock``)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tick: Callable[[], Awaitable[None]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.due: float | None = None

    def bind(self, tick: Callable[[], Awaitable[None]]) -> None:
        """Set the coroutine function run when a timer is due (the engine's ``tick``)."""
        self._tick = tick

    def wake_at(self, instant: float | None) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.due = instant
        if instant is None or self._tick is None:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
        delay = max(0.0, instant - self.clock.now()) + SLACK_S
        self._handle = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        if self._tick is None:
            return
        task = asyncio.ensure_future(self._run(self._tick))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, tick: Callable[[], Awaitable[None]]) -> None:
        try:
            await tick()
        except Exception:
            log.exception("processing the router's timers failed; retrying in 1 s")
            if self._loop is not None and not self._loop.is_closed():
                self._handle = self._loop.call_later(1.0, self._fire)

    def close(self) -> None:
        """Cancel the pending wake-up (the engine is stopping)."""
        self.wake_at(None)
        self._tick = None
