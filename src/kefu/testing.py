"""Fakes shipped with kefu for tests: an in-memory unit of work, a manual scheduler and
the manual clock (:class:`kefu.domain.time.ManualClock`).

:class:`InMemoryUnitOfWork` keeps the same transactional promise as the SQL one: changes
made inside ``with uow:`` are visible to other units of work only after ``uow.commit()``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from kefu.domain.events import Event
from kefu.domain.model import AgentSpec
from kefu.domain.time import ManualClock
from kefu.service.ports import IdempotencyRecord, QueueRow, Site, StateInterval, StoredEvent

__all__ = [
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "ManualClock",
    "ManualScheduler",
]


@dataclass
class InMemoryStore:
    """The committed state shared by every :class:`InMemoryUnitOfWork` made on it."""

    sites: dict[str, Site] = field(default_factory=dict)
    queues: dict[str, QueueRow] = field(default_factory=dict)
    agents: dict[str, AgentSpec] = field(default_factory=dict)
    events: list[StoredEvent] = field(default_factory=list)
    intervals: list[StateInterval] = field(default_factory=list)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    fail_next_commit: bool = False
    """Set to make the next commit raise (a lost database), for failure tests."""


class _Sites:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def add(self, site: Site) -> None:
        if site.site_id in self.work.sites:
            raise ValueError(f"duplicate site {site.site_id}")
        self.work.sites[site.site_id] = site

    def list(self) -> list[Site]:
        return [self.work.sites[k] for k in sorted(self.work.sites)]


class _Queues:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def upsert(self, row: QueueRow, at: float) -> None:
        self.work.queues[row.spec.queue_id] = row

    def list(self) -> list[QueueRow]:
        return [self.work.queues[k] for k in sorted(self.work.queues)]


class _Agents:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def upsert(self, spec: AgentSpec, at: float) -> None:
        if spec.site_id is None:
            raise ValueError(f"agent {spec.agent_id} has no site")
        self.work.agents[spec.agent_id] = spec

    def list(self) -> list[AgentSpec]:
        return [self.work.agents[k] for k in sorted(self.work.agents)]


class _Events:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def append(self, events: Sequence[Event]) -> list[int]:
        start = self.work.events[-1].seq if self.work.events else 0
        stored = [StoredEvent(start + i, e) for i, e in enumerate(events, start=1)]
        self.work.events.extend(stored)
        return [s.seq for s in stored]

    def read(self, after_seq: int = 0) -> Iterator[StoredEvent]:
        return iter([s for s in self.work.events if s.seq > after_seq])

    def count(self) -> int:
        return len(self.work.events)


class _Intervals:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def open(self, interval: StateInterval) -> None:
        self.work.intervals.append(interval)

    def close(self, agent_id: str, end_at: float) -> None:
        rows = self.work.intervals
        for i, row in enumerate(rows):
            if row.agent_id == agent_id and row.end_at is None:
                rows[i] = replace(row, end_at=end_at)

    def switch(self, opened: Sequence[StateInterval]) -> None:
        for interval in opened:
            self.close(interval.agent_id, interval.start_at)
            self.open(interval)

    def open_intervals(self) -> list[StateInterval]:
        return [r for r in self.work.intervals if r.end_at is None]

    def for_agent(self, agent_id: str) -> list[StateInterval]:
        return sorted(
            (r for r in self.work.intervals if r.agent_id == agent_id), key=lambda r: r.start_at
        )


class _Idempotency:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.work.idempotency.get(key)

    def add(self, record: IdempotencyRecord) -> None:
        if record.key in self.work.idempotency:
            raise ValueError(f"duplicate idempotency key {record.key}")
        self.work.idempotency[record.key] = record


class InMemoryUnitOfWork:
    """A unit of work on an :class:`InMemoryStore`: works on a copy, commits by swapping."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._work: InMemoryStore | None = None

    def __enter__(self) -> InMemoryUnitOfWork:
        work = copy.copy(self.store)
        work.sites = dict(self.store.sites)
        work.queues = dict(self.store.queues)
        work.agents = dict(self.store.agents)
        work.events = list(self.store.events)
        work.intervals = list(self.store.intervals)
        work.idempotency = dict(self.store.idempotency)
        self._work = work
        self.sites = _Sites(work)
        self.queues = _Queues(work)
        self.agents = _Agents(work)
        self.events = _Events(work)
        self.intervals = _Intervals(work)
        self.idempotency = _Idempotency(work)
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
        store = self.store
        store.sites, store.queues, store.agents = work.sites, work.queues, work.agents
        store.events, store.intervals = work.events, work.intervals
        store.idempotency = work.idempotency

    def rollback(self) -> None:
        if self._work is not None:
            self.__enter__()


class InMemoryUnitOfWorkFactory:
    """Makes units of work on one shared :class:`InMemoryStore`."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)


class ManualScheduler:
    """Remembers when the engine asked to be woken; the test calls ``engine.tick()``."""

    def __init__(self) -> None:
        self.due: float | None = None
        self.calls = 0

    def wake_at(self, instant: float | None) -> None:
        self.due = instant
        self.calls += 1
