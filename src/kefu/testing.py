"""Fakes shipped with kefu for tests and simulations: the in-memory unit of work (every
repository, see :mod:`kefu.adapters.storage.memory`), a manual scheduler and the manual
clock (:class:`kefu.domain.time.ManualClock`), and :func:`wait_until` for tests that wait on
threads or processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kefu.adapters.storage.memory import (
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
)
from kefu.domain.time import ManualClock

__all__ = [
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "ManualClock",
    "ManualScheduler",
    "wait_until",
]


def wait_until(predicate: Callable[[], object], timeout_s: float, interval_s: float = 0.05) -> bool:
    """Poll ``predicate`` every ``interval_s`` seconds until it is true (True) or
    ``timeout_s`` seconds have passed (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return False


class ManualScheduler:
    """Remembers when the engine asked to be woken; the test calls ``engine.tick()``."""

    def __init__(self) -> None:
        self.due: float | None = None
        self.calls = 0

    def wake_at(self, instant: float | None) -> None:
        self.due = instant
        self.calls += 1
