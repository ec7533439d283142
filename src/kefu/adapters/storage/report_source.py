"""Where historical reports read the stored log: one object per store, used by ``kefu
report`` and by the report pages alike, so both show the same figures.

:class:`SqlReportSource` reads the report projection (``contact_visits``, ``agent_slots``)
when it is up to date and the buckets fall on its 15-minute slots (``source="auto"``), and
decodes the events otherwise; :class:`MemoryReportSource` decodes the in-memory store's
events (tests, the demo without a database). :func:`report_source` picks the one of a
unit-of-work factory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, select

from kefu.adapters.storage.memory import InMemoryUnitOfWorkFactory
from kefu.adapters.storage.memory_store import InMemoryStore
from kefu.adapters.storage.report_reader import definitions, read_events, site_zones
from kefu.adapters.storage.tables import AgentRow, EventRow
from kefu.adapters.storage.uow import SqlUnitOfWorkFactory
from kefu.analytics.buckets import Buckets
from kefu.analytics.contact_rows import ContactCells
from kefu.analytics.history import HistoryBuilder, HistoryReport
from kefu.analytics.projection import on_slot_edges
from kefu.analytics.visits import Visit
from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service.ports import UnitOfWorkFactory

__all__ = [
    "SOURCES",
    "MemoryReportSource",
    "ReportQuery",
    "ReportRun",
    "ReportSource",
    "SqlReportSource",
    "report_source",
]

SOURCES = ("auto", "projection", "events")
"""Where a report may read: the projection, the events, or (auto) the projection when it
covers the range."""
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A report over [since, until) (seconds since the epoch) cut by ``period`` along
    ``timezone``'s wall clock, grouped by ``group_by``, limited to ``sites`` (``None``:
    every site). ``margin_s``: events also read before ``since`` (agents and contacts in
    progress) and after ``until`` (outcomes of contacts still waiting), seconds."""

    since: float
    until: float
    period: str = "interval:30"
    timezone: str = "UTC"
    group_by: tuple[str, ...] = ()
    sites: frozenset[str] | None = None
    source: str = "auto"
    margin_s: float = DAY_S

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValidationError(
                f"source must be one of {', '.join(SOURCES)}, not {self.source!r}",
                source=self.source,
            )
        if not self.until > self.since:
            raise ValidationError("the period ends before it starts", text_key="error.period_order")


@dataclass(frozen=True, slots=True)
class ReportRun:
    """A report and, when asked, the visits it read (every visit of the contacts that first
    queued in the range, in or out of the sites' queues filtered already); ``source``:
    ``projection`` or ``events``, what was read."""

    report: HistoryReport
    visits: tuple[Visit, ...] | None
    source: str


class ReportSource(Protocol):
    """The stored log as reports read it."""

    def run(self, query: ReportQuery, visits: bool = False) -> ReportRun:
        """The report of ``query`` (and its visits when ``visits``)."""
        ...

    def contact_cells(self, query: ReportQuery) -> list[ContactCells] | None:
        """The one-row-per-contact table of ``query`` as plain tuples when the store can
        stream it (the exports' fast path); ``None``: fold :attr:`ReportRun.visits`."""
        ...

    def site_zones(self) -> dict[str, str]:
        """Site id → IANA time zone."""
        ...

    def queue_specs(self) -> dict[str, QueueSpec]:
        """Queue id → its current spec (``site_id``: the site it belongs to)."""
        ...

    def agent_sites(self) -> dict[str, str | None]:
        """Agent id → the site it belongs to."""
        ...

    def contact_events(self, contact_id: str) -> list[ev.Event]:
        """The events of one contact, in log order."""
        ...

    def agent_events(self, agent_id: str, since: float, until: float) -> list[ev.Event]:
        """The events naming ``agent_id`` with ``since`` ≤ at < ``until``, in log order."""
        ...

    def events(self, since: float, until: float) -> Iterator[list[ev.Event]]:
        """The events with ``since`` ≤ at < ``until`` in batches, in log order, the
        current queue and agent definitions first."""
        ...


def _decode(query: ReportQuery, batches: Iterator[list[ev.Event]], visits: bool) -> ReportRun:
    seen: list[Visit] = []
    builder = HistoryBuilder(
        query.since,
        query.until,
        period=query.period,
        timezone=query.timezone,
        group_by=query.group_by,
        sites=query.sites,
        on_visit=seen.append if visits else None,
    )
    for batch in batches:
        builder.consume_all(batch)
    return ReportRun(builder.result(), tuple(seen) if visits else None, "events")


class SqlReportSource:
    """Reports over a SQL store (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def uses_projection(self, query: ReportQuery) -> bool:
        """Whether ``query`` reads the projection: asked for, or (auto) up to date and able
        to cut agent time along the report's buckets."""
        from kefu.adapters.storage.report_projection import covers

        if query.source == "events":
            return False
        if query.source == "projection":
            return True
        edges = Buckets.cut(query.since, query.until, query.period, query.timezone).edges
        return on_slot_edges(edges) and covers(self.engine, query.until)

    def run(self, query: ReportQuery, visits: bool = False) -> ReportRun:
        from kefu.adapters.storage.report_projection import projected_report, projected_visits

        if not self.uses_projection(query):
            margin = query.margin_s
            return _decode(query, self.events(query.since - margin, query.until + margin), visits)
        report = projected_report(
            self.engine,
            query.since,
            query.until,
            period=query.period,
            timezone=query.timezone,
            group_by=query.group_by,
            sites=query.sites,
        )
        read = (
            tuple(projected_visits(self.engine, query.since, query.until, query.sites))
            if visits
            else None
        )
        return ReportRun(report, read, "projection")

    def contact_cells(self, query: ReportQuery) -> list[ContactCells] | None:
        """The one-row-per-contact table of ``query`` as plain tuples, streamed from the
        projection (the export's fast path); ``None`` when ``query`` reads the events."""
        from kefu.adapters.storage.report_projection import projected_contact_cells

        if not self.uses_projection(query):
            return None
        return projected_contact_cells(self.engine, query.since, query.until, query.sites)

    def site_zones(self) -> dict[str, str]:
        return site_zones(self.engine)

    def queue_specs(self) -> dict[str, QueueSpec]:
        return {
            e.spec.queue_id: e.spec
            for e in definitions(self.engine, 0.0)
            if isinstance(e, ev.QueueDefined)
        }

    def agent_sites(self) -> dict[str, str | None]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(AgentRow.spec))
            return {
                spec.agent_id: spec.site_id for spec in (AgentSpec.from_dict(r) for (r,) in rows)
            }

    def contact_events(self, contact_id: str) -> list[ev.Event]:
        query = (
            select(EventRow.payload).where(EventRow.contact_id == contact_id).order_by(EventRow.seq)
        )
        with self.engine.connect() as connection:
            return [ev.event_from_dict(p) for (p,) in connection.execute(query)]

    def agent_events(self, agent_id: str, since: float, until: float) -> list[ev.Event]:
        query = (
            select(EventRow.payload)
            .where(EventRow.agent_id == agent_id, EventRow.at >= since, EventRow.at < until)
            .order_by(EventRow.seq)
        )
        with self.engine.connect() as connection:
            return [ev.event_from_dict(p) for (p,) in connection.execute(query)]

    def events(self, since: float, until: float) -> Iterator[list[ev.Event]]:
        return read_events(self.engine, since, until)


class MemoryReportSource:
    """Reports over the in-memory store: always decoded from its events."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def run(self, query: ReportQuery, visits: bool = False) -> ReportRun:
        margin = query.margin_s
        return _decode(query, self.events(query.since - margin, query.until + margin), visits)

    def contact_cells(self, query: ReportQuery) -> list[ContactCells] | None:
        del query  # the events are decoded: the visits are folded
        return None

    def site_zones(self) -> dict[str, str]:
        return {s.site_id: s.timezone for s in self.store.sites.values()}

    def queue_specs(self) -> dict[str, QueueSpec]:
        return {
            e.spec.queue_id: e.spec
            for e in next(iter(self.events(0.0, 0.0)))
            if isinstance(e, ev.QueueDefined)
        }

    def agent_sites(self) -> dict[str, str | None]:
        return {agent_id: spec.site_id for agent_id, spec in self.store.agents.items()}

    def contact_events(self, contact_id: str) -> list[ev.Event]:
        return [
            s.event for s in self.store.events if getattr(s.event, "contact_id", None) == contact_id
        ]

    def agent_events(self, agent_id: str, since: float, until: float) -> list[ev.Event]:
        return [
            s.event
            for s in self.store.events
            if since <= s.event.at < until and getattr(s.event, "agent_id", None) == agent_id
        ]

    def events(self, since: float, until: float) -> Iterator[list[ev.Event]]:
        store = self.store
        definitions: list[ev.Event] = []
        for row in store.queues.values():
            spec = row.spec
            if spec.site_id is None:
                spec = QueueSpec.from_dict({**spec.to_dict(), "site_id": row.site_id})
            definitions.append(ev.QueueDefined(since, spec))
        definitions.extend(ev.AgentDefined(since, spec) for spec in store.agents.values())
        yield definitions
        yield [s.event for s in store.events if since <= s.event.at < until]


def report_source(uow_factory: UnitOfWorkFactory) -> ReportSource | None:
    """The report source of the store behind ``uow_factory`` (``None``: a store reports
    cannot read)."""
    if isinstance(uow_factory, SqlUnitOfWorkFactory):
        return SqlReportSource(uow_factory.engine)
    if isinstance(uow_factory, InMemoryUnitOfWorkFactory):
        return MemoryReportSource(uow_factory.store)
    return None
