"""Fakes shipped with kefu for tests and simulations: the in-memory unit of work (every
repository, see :mod:`kefu.adapters.storage.memory`), a manual scheduler and the manual
clock (:class:`kefu.domain.time.ManualClock`).
"""

from __future__ import annotations

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
]


class ManualScheduler:
    """Remembers when the engine asked to be woken; the test calls ``engine.tick()``."""

    def __init__(self) -> None:
        self.due: float | None = None
        self.calls = 0

    def wake_at(self, instant: float | None) -> None:
        self.due = instant
        self.calls += 1
