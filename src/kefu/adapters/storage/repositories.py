"""SQL repositories behind the service ports (:mod:`kefu.service.ports`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from kefu.adapters.storage.event_fields import path_fields
from kefu.adapters.storage.event_reader import contact_rows_on
from kefu.adapters.storage.tables import (
    EVENT_DEFINITIONS,
    AgentRow,
    EventRow,
    IdempotencyRow,
    IntervalRow,
    QueueTableRow,
    SiteRow,
)
from kefu.analytics.journeys import Row
from kefu.domain.events import Event, event_from_dict, event_to_dict
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service.ports import IdempotencyRecord, QueueRow, Site, StateInterval, StoredEvent

__all__ = [
    "SqlAgents",
    "SqlEventLog",
    "SqlIdempotency",
    "SqlIntervals",
    "SqlQueues",
    "SqlSites",
]

# Rows fetched per round trip when reading the whole log (replay on start).
READ_CHUNK = 5000
# Contact ids per look-up of the events before a position (an IN list on the index).
CONTEXT_CHUNK = 500


class SqlSites:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, site: Site) -> None:
        self.session.add(
            SiteRow(
                site_id=site.site_id,
                name=site.name,
                timezone=site.timezone,
                created_at=site.created_at,
            )
        )

    def update(self, site: Site) -> None:
        row = self.session.get(SiteRow, site.site_id)
        if row is None:
            raise KeyError(site.site_id)
        row.name, row.timezone = site.name, site.timezone

    def list(self) -> list[Site]:
        rows = self.session.scalars(select(SiteRow).order_by(SiteRow.site_id))
        return [Site(r.site_id, r.name, r.timezone, r.created_at) for r in rows]


class SqlQueues:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, row: QueueRow, at: float) -> None:
        existing = self.session.get(QueueTableRow, row.spec.queue_id)
        if existing is None:
            self.session.add(
                QueueTableRow(
                    queue_id=row.spec.queue_id,
                    site_id=row.site_id,
                    shared=row.shared,
                    name=row.spec.name,
                    config=row.spec.to_dict(),
                    created_at=at,
                    updated_at=at,
                )
            )
            return
        existing.site_id = row.site_id
        existing.shared = row.shared
        existing.name = row.spec.name
        existing.config = row.spec.to_dict()
        existing.updated_at = at

    def list(self) -> list[QueueRow]:
        rows = self.session.scalars(select(QueueTableRow).order_by(QueueTableRow.queue_id))
        return [QueueRow(QueueSpec.from_dict(r.config), r.site_id, r.shared) for r in rows]


class SqlAgents:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, spec: AgentSpec, at: float) -> None:
        if spec.site_id is None:
            raise ValueError(f"agent {spec.agent_id} has no site")
        existing = self.session.get(AgentRow, spec.agent_id)
        if existing is None:
            self.session.add(
                AgentRow(
                    agent_id=spec.agent_id,
                    site_id=spec.site_id,
                    name=spec.name,
                    spec=spec.to_dict(),
                    created_at=at,
                    updated_at=at,
                )
            )
            return
        existing.site_id = spec.site_id
        existing.name = spec.name
        existing.spec = spec.to_dict()
        existing.updated_at = at

    def list(self) -> list[AgentSpec]:
        rows = self.session.scalars(select(AgentRow).order_by(AgentRow.agent_id))
        return [AgentSpec.from_dict(r.spec) for r in rows]


_EVENTS = cast(Table, EventRow.__table__)
_APPEND_IN_ORDER = insert(_EVENTS).returning(_EVENTS.c.seq, sort_by_parameter_order=True)
_APPEND_ANY_ORDER = insert(_EVENTS).returning(_EVENTS.c.seq)


class SqlEventLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, events: Sequence[Event]) -> list[int]:
        # One multi-row INSERT ... RETURNING rather than the ORM's unit of work: the log is
        # append-only, and this is the hottest write of the server.
        if not events:
            return []
        rows = []
        for event in events:
            payload = event_to_dict(event)
            rows.append(
                {
                    "type": payload["type"],
                    "at": event.at,
                    "contact_id": payload.get("contact_id"),
                    "agent_id": payload.get("agent_id"),
                    "payload": payload,
                    **path_fields(payload),
                }
            )
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            # SQLite numbers the rows of one INSERT in the order of its VALUES (one writer
            # holds the database), but does not promise the order of RETURNING, so
            # SQLAlchemy would send one INSERT per event to keep it: send one and sort.
            return sorted(connection.scalars(_APPEND_ANY_ORDER, rows))
        return list(connection.scalars(_APPEND_IN_ORDER, rows))

    def read(self, after_seq: int = 0) -> Iterator[StoredEvent]:
        last = after_seq
        while True:
            stmt = (
                select(EventRow.seq, EventRow.payload)
                .where(EventRow.seq > last)
                .order_by(EventRow.seq)
                .limit(READ_CHUNK)
            )
            chunk = self.session.execute(stmt).all()
            for seq, payload in chunk:
                yield StoredEvent(seq, event_from_dict(payload))
            if len(chunk) < READ_CHUNK:
                return
            last = chunk[-1][0]

    def position_at(self, at: float) -> int:
        # min(seq + 0), not min(seq): PostgreSQL would otherwise walk the primary key from
        # the log's start until a row is late enough (the whole log before the day); the
        # expression makes it take the rows from ``at`` on by the index on ``at``.
        first = self.session.scalar(select(func.min(EventRow.seq + 0)).where(EventRow.at >= at))
        if first is None:
            return int(self.session.scalar(select(func.max(EventRow.seq))) or 0)
        return int(first) - 1

    def read_context(self, after_seq: int, contact_ids: Collection[str]) -> Iterator[StoredEvent]:
        columns = (EventRow.seq, EventRow.payload)
        before = EventRow.seq <= after_seq
        definitions = select(*columns).where(text(EVENT_DEFINITIONS), before)
        rows: dict[int, dict[str, Any]] = {}
        rows.update(self.session.execute(definitions).all())
        ids = sorted(contact_ids)
        for i in range(0, len(ids), CONTEXT_CHUNK):
            chunk = ids[i : i + CONTEXT_CHUNK]
            stmt = select(*columns).where(EventRow.contact_id.in_(chunk), before)
            rows.update(self.session.execute(stmt).all())
        return iter([StoredEvent(seq, event_from_dict(rows[seq])) for seq in sorted(rows)])

    def contact_rows(self, until: float) -> Iterator[Row]:
        return contact_rows_on(self.session.connection(), until=until)

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(EventRow)) or 0)


INTERVALS = cast(Table, IntervalRow.__table__)
# Built once (the compiled form is cached, building the statement is not): every batch of
# the store writer switches intervals.
_INSERT_INTERVALS = insert(INTERVALS)
_CLOSE_OPEN = (
    update(INTERVALS)
    .where(INTERVALS.c.agent_id == bindparam("b_agent"), INTERVALS.c.end_at.is_(None))
    .values(end_at=bindparam("b_end"))
)
_INTERVAL_NAMES = ("agent_id", "site_id", "presence", "activity", "reason", "start_at", "end_at")
_COLUMNS = ", ".join(_INTERVAL_NAMES)
# PostgreSQL: both in one statement (one round trip of the store writer instead of two), the
# rows as JSON. The UPDATE of a data-modifying CTE does not see the rows the INSERT adds,
# as the UPDATE sent first does not.
_SWITCH_AT_ONCE = text(
    "WITH closing AS (SELECT * FROM json_to_recordset(CAST(:closing AS json)) "
    "AS c(agent_id text, end_at double precision)), "
    "closed AS (UPDATE agent_state_intervals AS i SET end_at = closing.end_at FROM closing "
    "WHERE i.agent_id = closing.agent_id AND i.end_at IS NULL) "
    f"INSERT INTO agent_state_intervals ({_COLUMNS}) SELECT {_COLUMNS} "
    "FROM json_populate_recordset(NULL::agent_state_intervals, CAST(:opened AS json))"
)


class SqlIntervals:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open(self, interval: StateInterval) -> None:
        # Core statements, not ORM objects: every state change of every agent comes here.
        # The agent a new interval refers to may still be pending in the session.
        self.session.flush()
        self.session.connection().execute(
            insert(INTERVALS).values(
                agent_id=interval.agent_id,
                site_id=interval.site_id,
                presence=interval.presence,
                activity=interval.activity,
                reason=interval.reason,
                start_at=interval.start_at,
                end_at=interval.end_at,
            )
        )

    def close(self, agent_id: str, end_at: float) -> None:
        self.session.connection().execute(
            update(INTERVALS)
            .where(INTERVALS.c.agent_id == agent_id, INTERVALS.c.end_at.is_(None))
            .values(end_at=end_at)
        )

    def switch(self, opened: Sequence[StateInterval]) -> None:
        # A batch changes each busy agent's interval several times (offer, accept, wrap-up,
        # complete): intervals opened and ended within it are inserted ended, so it costs
        # one UPDATE (executemany) and one multi-row INSERT whatever its size.
        if not opened:
            return
        first_start: dict[str, float] = {}
        latest: dict[str, int] = {}
        rows: list[dict[str, object]] = []
        for interval in opened:
            first_start.setdefault(interval.agent_id, interval.start_at)
            before = latest.get(interval.agent_id)
            if before is not None:
                rows[before]["end_at"] = interval.start_at
            latest[interval.agent_id] = len(rows)
            rows.append(
                {
                    "agent_id": interval.agent_id,
                    "site_id": interval.site_id,
                    "presence": interval.presence,
                    "activity": interval.activity,
                    "reason": interval.reason,
                    "start_at": interval.start_at,
                    "end_at": interval.end_at,
                }
            )
        self.session.flush()  # the agents these refer to may still be pending
        connection = self.session.connection()
        closing = [{"agent_id": agent, "end_at": at} for agent, at in first_start.items()]
        if connection.dialect.name == "postgresql":
            try:
                values = {
                    "closing": json.dumps(closing, allow_nan=False),
                    "opened": json.dumps(rows, allow_nan=False),
                }
            except ValueError:  # JSON has no infinity: such rows take the two statements
                pass
            else:
                connection.execute(_SWITCH_AT_ONCE, values)
                return
        connection.execute(
            _CLOSE_OPEN, [{"b_agent": c["agent_id"], "b_end": c["end_at"]} for c in closing]
        )
        connection.execute(_INSERT_INTERVALS, rows)

    def open_intervals(self) -> list[StateInterval]:
        rows = self.session.scalars(
            select(IntervalRow).where(IntervalRow.end_at.is_(None)).order_by(IntervalRow.id)
        )
        return [_interval(r) for r in rows]

    def for_agent(self, agent_id: str) -> list[StateInterval]:
        rows = self.session.scalars(
            select(IntervalRow)
            .where(IntervalRow.agent_id == agent_id)
            .order_by(IntervalRow.start_at, IntervalRow.id)
        )
        return [_interval(r) for r in rows]


def _interval(row: IntervalRow) -> StateInterval:
    return StateInterval(
        row.agent_id,
        row.site_id,
        row.presence,
        row.activity,
        row.reason,
        row.start_at,
        row.end_at,
    )


class SqlIdempotency:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> IdempotencyRecord | None:
        row = self.session.get(IdempotencyRow, key)
        if row is None:
            return None
        return IdempotencyRecord(
            row.key, row.request_hash, row.contact_id, dict(row.response), row.created_at
        )

    def add(self, record: IdempotencyRecord) -> None:
        self.session.add(
            IdempotencyRow(
                key=record.key,
                request_hash=record.request_hash,
                contact_id=record.contact_id,
                response=record.response,
                created_at=record.created_at,
            )
        )
