"""The in-memory unit of work: every repository (routing, security, channels) on one
:class:`InMemoryStore`, with the same transactional promise as the SQL one: changes made
inside ``with uow:`` are visible to other units of work only after ``uow.commit()``."""

from __future__ import annotations

from kefu.adapters.storage.channel_memory import MemoryChannels
from kefu.adapters.storage.memory_reports import MemoryReports
from kefu.adapters.storage.memory_repos import (
    MemoryAgents,
    MemoryAudit,
    MemoryEvents,
    MemoryIdempotency,
    MemoryIntervals,
    MemoryQueues,
    MemorySessions,
    MemorySites,
    MemoryTokens,
    MemoryUsers,
)
from kefu.adapters.storage.memory_store import InMemoryStore

__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "InMemoryUnitOfWorkFactory"]


class InMemoryUnitOfWork:
    """A unit of work on an :class:`InMemoryStore`: works on a copy, commits by swapping."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._work: InMemoryStore | None = None

    def __enter__(self) -> InMemoryUnitOfWork:
        work = self._work = self.store.working_copy()
        self.sites = MemorySites(work)
        self.queues = MemoryQueues(work)
        self.agents = MemoryAgents(work)
        self.events = MemoryEvents(work)
        self.intervals = MemoryIntervals(work)
        self.idempotency = MemoryIdempotency(work)
        self.users = MemoryUsers(work)
        self.sessions = MemorySessions(work)
        self.tokens = MemoryTokens(work)
        self.audit = MemoryAudit(work)
        self.channels = MemoryChannels(work)
        self.reports = MemoryReports(work)
        return self

    def __exit__(self, *exc: object) -> None:
        self._work = None

    def commit(self) -> None:
        work = self._work
        if work is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        if self.store.fail_next_commit:
            self.store.fail_next_commit = False
            raise ConnectionError("the in-memory store was told to fail this commit")
        self.store.take(work)

    def rollback(self) -> None:
        if self._work is not None:
            self.__enter__()


class InMemoryUnitOfWorkFactory:
    """Makes units of work on one shared :class:`InMemoryStore`."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def reading(self) -> InMemoryUnitOfWork:
        return self()
