"""Ports of the service layer: the records it stores and the storage it needs.

The service depends on these protocols only; ``kefu.adapters.storage`` implements them with
SQLAlchemy and :mod:`kefu.testing` with plain dictionaries. Instants are seconds since the
Unix epoch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kefu.analytics.archive import ArchivedContact
from kefu.analytics.journeys import Row
from kefu.analytics.projection import AgentSlot
from kefu.analytics.visits import Visit
from kefu.domain.events import Event
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service.channels.ports import ChannelRepository
from kefu.service.security.ports import (
    AuditRepository,
    SessionRepository,
    TokenRepository,
    UserRepository,
)

__all__ = [
    "AgentRepository",
    "EventLog",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "IntervalRepository",
    "QueueRepository",
    "QueueRow",
    "ReportMark",
    "ReportRepository",
    "Scheduler",
    "SecurityUnitOfWork",
    "SecurityUnitOfWorkFactory",
    "Site",
    "SiteRepository",
    "StateInterval",
    "StoredEvent",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


@dataclass(frozen=True, slots=True)
class Site:
    """A contact center (or region) on the platform; every record belongs to one."""

    site_id: str
    name: str
    timezone: str = "Asia/Shanghai"
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A queue's platform data: its routing spec, owning site and whether other sites'
    agents and supervisors share it."""

    spec: QueueSpec
    site_id: str
    shared: bool = False


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event with its position (1, 2, ...) in the append-only log."""

    seq: int
    event: Event


@dataclass(frozen=True, slots=True)
class StateInterval:
    """One stretch of an agent's state: ``presence`` (offline/ready/not_ready), ``activity``
    (presence refined by load: offered/busy/wrapup) and ``reason`` from ``start_at`` to
    ``end_at`` seconds (``None`` while it lasts)."""

    agent_id: str
    site_id: str | None
    presence: str
    activity: str
    reason: str | None
    start_at: float
    end_at: float | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What a contact creation answered under an ``Idempotency-Key``: a retry gets it again.
    ``request_hash`` fingerprints the request so a key reused for another one is refused."""

    key: str
    request_hash: str
    contact_id: str
    response: dict[str, Any]
    created_at: float


class SiteRepository(Protocol):
    def add(self, site: Site) -> None: ...
    def update(self, site: Site) -> None: ...
    def list(self) -> list[Site]: ...


class QueueRepository(Protocol):
    def upsert(self, row: QueueRow, at: float) -> None: ...
    def list(self) -> list[QueueRow]: ...


class AgentRepository(Protocol):
    def upsert(self, spec: AgentSpec, at: float) -> None: ...
    def list(self) -> list[AgentSpec]: ...


class EventLog(Protocol):
    def append(self, events: Sequence[Event]) -> list[int]:
        """Store events in order; returns their sequence numbers."""
        ...

    def read(self, after_seq: int = 0) -> Iterator[StoredEvent]:
        """Events with ``seq > after_seq`` in log order."""
        ...

    def position_at(self, at: float) -> int:
        """The log position just before the first event stored at or after ``at`` seconds
        (the log's end when none is): ``read(position_at(t))`` gives the events from
        ``t`` on. An indexed look-up, not a read of the log before ``t``."""
        ...

    def read_context(self, after_seq: int, contact_ids: Collection[str]) -> Iterator[StoredEvent]:
        """The events at or before position ``after_seq`` that later events build on: the
        queue and agent definitions and the events of ``contact_ids``, in log order
        (indexed look-ups: nothing else before the position is read)."""
        ...

    def contact_rows(self, until: float) -> Iterator[Row]:
        """The contact-path events before ``until`` (s) as rows, in log order, without
        building the events (:func:`kefu.analytics.journeys.journeys_from_rows` folds them)."""
        ...

    def count(self) -> int: ...


class IntervalRepository(Protocol):
    def open(self, interval: StateInterval) -> None: ...
    def close(self, agent_id: str, end_at: float) -> None:
        """End the agent's open interval (if any) at ``end_at``."""
        ...

    def switch(self, opened: Sequence[StateInterval]) -> None:
        """For each interval in order: end its agent's open interval at its start, then
        open it (what ``close`` then ``open`` do, in fewer statements)."""
        ...

    def open_intervals(self) -> list[StateInterval]: ...
    def for_agent(self, agent_id: str) -> list[StateInterval]:
        """The agent's intervals in time order."""
        ...


class IdempotencyRepository(Protocol):
    def get(self, key: str) -> IdempotencyRecord | None: ...
    def add(self, record: IdempotencyRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class ReportMark:
    """How far the report projection has read the log: up to event ``seq``, at instant
    ``at`` (seconds); it holds every visit that entered a queue before ``complete_until``
    (seconds; ``None``: every visit, those still open included). The store writer moves
    it only with rows or a new ``complete_until``, a moment after their events: the events
    stored past it end no visit and finish no agent slot, but for those whose rows are not
    stored yet (their visits entered a queue at or after ``complete_until``, their slots
    are ``at``'s slot or later; see :mod:`kefu.service.report_projection`)."""

    seq: int
    at: float
    complete_until: float | None


class ReportRepository(Protocol):
    """The report projection's rows (see :mod:`kefu.analytics.projection`)."""

    def mark(self) -> ReportMark | None:
        """How far the projection has read; ``None``: never built."""
        ...

    def add(self, visits: Sequence[Visit], slots: Sequence[AgentSlot], mark: ReportMark) -> None:
        """Store ended visits and final agent slots, and move the mark."""
        ...

    def drop_provisional(self, slots_from: float) -> None:
        """Remove the rows a rebuild wrote for what was still open: visits not ended, and
        agent slots from ``slots_from`` (seconds) on."""
        ...

    def archived_contacts(self, contact_ids: Sequence[str]) -> dict[str, ArchivedContact]:
        """The finished contacts among ``contact_ids`` as the store keeps them (their
        visits and recording events), by contact id; those without an ended visit are
        left out."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow: ... uow.commit()``; leaving without commit rolls back.
    Every store (the SQL one, the in-memory one of tests and simulations) holds every
    repository: routing, security (users, sessions, tokens, audit) and channels."""

    @property
    def sites(self) -> SiteRepository: ...
    @property
    def queues(self) -> QueueRepository: ...
    @property
    def agents(self) -> AgentRepository: ...
    @property
    def events(self) -> EventLog: ...
    @property
    def intervals(self) -> IntervalRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...
    @property
    def reports(self) -> ReportRepository: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    def reading(self) -> UnitOfWork:
        """A unit of work for reads only, never committed: where the store allows, each
        statement runs on its own, without a transaction (on PostgreSQL a BEGIN and a
        ROLLBACK fewer, two round trips a request waits for)."""
        ...


SecurityUnitOfWork = UnitOfWork
"""The unit of work as the security services use it (the same one)."""
SecurityUnitOfWorkFactory = UnitOfWorkFactory


class Scheduler(Protocol):
    """Wakes the engine when the router's next timer is due (``None``: no timer)."""

    def wake_at(self, instant: float | None) -> None: ...
