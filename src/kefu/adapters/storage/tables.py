"""SQLAlchemy 2 tables of the platform core.

The event log is the source of truth; ``queues``, ``agents`` and ``agent_state_intervals``
are projections written in the same transaction as the events they come from. Instants
are seconds since the Unix epoch stored as double precision, so a replayed log gives back
exactly the floats the router produced. The security tables (users, sessions, tokens,
audit) come in a later migration.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Double, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AgentRow",
    "Base",
    "EventRow",
    "IdempotencyRow",
    "IntervalRow",
    "QueueTableRow",
    "SiteRow",
]

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, float: Double}


class SiteRow(Base):
    __tablename__ = "sites"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float]


class QueueTableRow(Base):
    __tablename__ = "queues"

    queue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    config: Mapped[dict[str, Any]]
    created_at: Mapped[float]
    updated_at: Mapped[float]


class AgentRow(Base):
    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    spec: Mapped[dict[str, Any]]
    created_at: Mapped[float]
    updated_at: Mapped[float]


class EventRow(Base):
    """The append-only log: ``seq`` orders it, ``payload`` is ``event_to_dict`` form."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]]


class IntervalRow(Base):
    """An agent's state from ``start_at`` to ``end_at`` (NULL while it lasts)."""

    __tablename__ = "agent_state_intervals"
    __table_args__ = (Index("ix_agent_state_intervals_agent_start", "agent_id", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.agent_id"))
    site_id: Mapped[str | None] = mapped_column(String(64), index=True)
    presence: Mapped[str] = mapped_column(String(16))
    activity: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    start_at: Mapped[float]
    end_at: Mapped[float | None] = mapped_column(index=True)


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]]
    created_at: Mapped[float] = mapped_column(index=True)
