"""The wall clock, kept out of the domain so the domain stays deterministic."""

from __future__ import annotations

import time

__all__ = ["SystemClock"]


class SystemClock:
    """Reads the system's real-time clock: seconds since the Unix epoch."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()
