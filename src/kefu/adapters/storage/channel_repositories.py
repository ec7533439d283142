"""The SQL channel repository (:class:`kefu.service.channels.ports.ChannelRepository`)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import fields
from typing import cast

from sqlalchemy import Connection, Executable, Table, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.adapters.storage.channel_tables import (
    OTHER_STREAM,
    ConversationEventRow,
    ConversationTableRow,
    CustomerEventRow,
    SeenMessageRow,
)
from kefu.adapters.storage.map_extras_reader import map_extras_on
from kefu.analytics.contactmap_more import MapExtras
from kefu.service.channels import ChannelRecord, ConversationRow

__all__ = ["SqlChannels"]

READ_CHUNK = 5000


# The columns of ``conversations`` in the order of ConversationRow's fields.
_CONVERSATION_COLUMNS = tuple(f.name for f in fields(ConversationRow))


class SqlChannels:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[str, ConversationRow] = {}
        self._customer_events: list[dict[str, object]] = []
        self._conversation_events: list[dict[str, object]] = []

    def append(self, records: Sequence[ChannelRecord]) -> None:
        """Keep ``records`` for :meth:`write_conversations`, which inserts them with Core
        statements: ORM objects cost the store writer's thread far more per row."""
        for r in records:
            if r.stream == "customer":
                self._customer_events.append(
                    {
                        "seq": r.seq,
                        "at": r.at,
                        "customer_id": r.subject_id,
                        "type": r.kind,
                        "payload": r.data,
                    }
                )
            else:
                kind = r.kind if r.stream == "conversation" else f"{r.stream}{OTHER_STREAM}{r.kind}"
                self._conversation_events.append(
                    {
                        "seq": r.seq,
                        "at": r.at,
                        "conversation_id": r.subject_id,
                        "type": kind,
                        "payload": dict(r.data),
                    }
                )

    def read(self, after_seq: int = 0) -> Iterator[ChannelRecord]:
        self._write_records()  # what this transaction appended reads back, as ORM rows did
        customers = (
            ChannelRecord(r.seq, r.at, "customer", r.type, r.customer_id, r.payload)
            for r in self.session.scalars(
                select(CustomerEventRow)
                .where(CustomerEventRow.seq > after_seq)
                .order_by(CustomerEventRow.seq)
                .execution_options(yield_per=READ_CHUNK)
            )
        )
        conversations = (
            ChannelRecord(r.seq, r.at, *_stream_kind(r.type), r.conversation_id, r.payload)
            for r in self.session.scalars(
                select(ConversationEventRow)
                .where(ConversationEventRow.seq > after_seq)
                .order_by(ConversationEventRow.seq)
                .execution_options(yield_per=READ_CHUNK)
            )
        )
        # Materialized: two server-side cursors may not be open at once on every driver.
        merged = list(heapq.merge(list(customers), list(conversations), key=lambda r: r.seq))
        return iter(merged)

    def upsert_conversations(self, rows: Sequence[ConversationRow]) -> None:
        """Keep ``rows`` for :meth:`write_conversations` (the last row of a conversation
        wins): a group commit writes the rows of all its commands in one statement."""
        for row in rows:
            self._rows[row.conversation_id] = row

    def write_conversations(self) -> None:
        """Store what was kept since the last call: the records, one INSERT per table, and
        the conversations' rows, one INSERT ... ON CONFLICT DO UPDATE for them all instead
        of a SELECT and an UPDATE per command (called by the unit of work's commit)."""
        connection = self._write_records()
        if not self._rows:
            return
        kept, self._rows = self._rows, {}
        values = [{c: getattr(row, c) for c in _CONVERSATION_COLUMNS} for row in kept.values()]
        connection.execute(_upsert(connection.dialect.name), values)

    def _write_records(self) -> Connection:
        """Insert the records kept since the last call; the session's connection."""
        connection = self.session.connection()
        if self._customer_events:
            rows, self._customer_events = self._customer_events, []
            connection.execute(_INSERT_CUSTOMER_EVENTS, rows)
        if self._conversation_events:
            rows, self._conversation_events = self._conversation_events, []
            connection.execute(_INSERT_CONVERSATION_EVENTS, rows)
        return connection

    def conversation(self, conversation_id: str) -> ConversationRow | None:
        kept = self._rows.get(conversation_id)
        if kept is not None:
            return kept
        r = self.session.get(ConversationTableRow, conversation_id)
        if r is None:
            return None
        return ConversationRow(
            r.conversation_id,
            r.customer_id,
            r.channel,
            r.topic,
            r.opened_at,
            r.last_activity_at,
            r.closed_at,
            r.outcome,
            r.contact_id,
            r.messages,
        )

    def claim_seen(self, key: str, at: float) -> bool:
        if self.session.get(SeenMessageRow, key) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(SeenMessageRow(key=key, at=at))
        except IntegrityError:  # claimed by another writer in the meantime
            return False
        return True

    def release_seen(self, key: str) -> None:
        self.session.execute(delete(SeenMessageRow).where(SeenMessageRow.key == key))

    def purge_seen(self, before: float) -> int:
        result = self.session.execute(delete(SeenMessageRow).where(SeenMessageRow.at < before))
        return int(getattr(result, "rowcount", 0) or 0)

    def map_extras(self, until: float) -> MapExtras:
        return map_extras_on(self._write_records(), until=until)


_INSERT_CUSTOMER_EVENTS = insert(cast(Table, CustomerEventRow.__table__))
_INSERT_CONVERSATION_EVENTS = insert(cast(Table, ConversationEventRow.__table__))
_UPSERTS: dict[str, Executable] = {}


def _upsert(dialect: str) -> Executable:
    """The conversations' INSERT ... ON CONFLICT DO UPDATE of ``dialect``, built once (the
    compiled form is cached, building the statement is not)."""
    found = _UPSERTS.get(dialect)
    if found is None:
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(ConversationTableRow)
        found = _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["conversation_id"],
            set_={name: stmt.excluded[name] for name in _CONVERSATION_COLUMNS[1:]},
        )
    return found


def _stream_kind(stored_type: str) -> tuple[str, str]:
    stream, sep, kind = stored_type.partition(OTHER_STREAM)
    return (stream, kind) if sep else ("conversation", stored_type)
