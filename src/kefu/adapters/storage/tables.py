"""SQLAlchemy 2 tables of the platform core.

The event log is the source of truth; ``queues``, ``agents`` and ``agent_state_intervals``
are projections written in the same transaction as the events they come from. Instants
are seconds since the Unix epoch stored as double precision, so a replayed log gives back
exactly the floats the router produced. The security tables (users, login sessions, API
tokens, the audit log) keep digests of secrets, never the secrets.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DEFINITION_TYPES = ("QueueDefined", "AgentDefined")
"""The event types of the definitions a reader of a day's events needs from before it."""
EVENT_DEFINITIONS = "type IN ('QueueDefined', 'AgentDefined')"
"""The partial index ``ix_events_definitions``'s condition (migration 0009); a query
repeats it word for word, so that SQLite uses the index."""

__all__ = [
    "CONTACT_SLOT_SUMS",
    "AgentRow",
    "AgentSlotRow",
    "ApiTokenRow",
    "AuditRow",
    "Base",
    "ContactVisitRow",
    "EventRow",
    "IdempotencyRow",
    "InstanceSettingRow",
    "IntervalRow",
    "LoginSessionRow",
    "ProjectionMarkRow",
    "QueueTableRow",
    "SiteRow",
    "UserRow",
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
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        float: Double,
    }


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
    """The append-only log: ``seq`` orders it, ``payload`` is ``event_to_dict`` form; the
    last six columns repeat a few payload fields of the contact-path events for analytics
    (:mod:`kefu.adapters.storage.event_fields`)."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]]
    target: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(Text)
    ivr: Mapped[str | None] = mapped_column(Text)

    # The definitions before a day, read without the log before it (migration 0009).
    __table_args__ = (
        Index(
            "ix_events_definitions",
            "seq",
            postgresql_where=text(EVENT_DEFINITIONS),
            sqlite_where=text(EVENT_DEFINITIONS),
        ),
    )


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


class UserRow(Base):
    """A login; ``username`` is canonical and unique, ``password_hash`` argon2."""

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    sites: Mapped[list[str]]
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float]
    updated_at: Mapped[float]
    unlocked_at: Mapped[float | None]


class LoginSessionRow(Base):
    """A browser session; ``session_id`` is the SHA-256 hex digest of the cookie secret."""

    __tablename__ = "login_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), index=True)
    created_at: Mapped[float]
    expires_at: Mapped[float] = mapped_column(index=True)
    last_seen_at: Mapped[float]
    client: Mapped[str] = mapped_column(String(64), default="")


class ApiTokenRow(Base):
    """An API token; ``token_hash`` is the SHA-256 hex digest of its secret part."""

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]]
    created_at: Mapped[float]
    expires_at: Mapped[float | None]
    last_used_at: Mapped[float | None]
    revoked_at: Mapped[float | None]


class AuditRow(Base):
    """One audit entry: who did what to which record, when, with before/after values."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(index=True)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    site_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    details: Mapped[dict[str, Any]]
    client: Mapped[str | None] = mapped_column(String(64))


class InstanceSettingRow(Base):
    """A value belonging to this database rather than to the process's settings (the
    demo's signing key: a demo restarted on the same file keeps its visitors' cookies)."""

    __tablename__ = "instance_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class ContactVisitRow(Base):
    """One visit of a contact to a queue, projected from the log for reports (see
    :mod:`kefu.analytics.projection`); ``ended_at`` NULL: still open when projected."""

    __tablename__ = "contact_visits"
    __table_args__ = (Index("ix_contact_visits_queued_at", "queued_at"),)

    contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    value_tier: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    queued_at: Mapped[float]
    predicted_wait_s: Mapped[float | None]
    sl_threshold_s: Mapped[float]
    short_abandon_s: Mapped[float]
    outcome: Mapped[str] = mapped_column(String(16))
    wait_s: Mapped[float]
    answered_at: Mapped[float | None]
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ended_at: Mapped[float | None]
    handled: Mapped[bool] = mapped_column(Boolean)
    talk_s: Mapped[float]
    hold_s: Mapped[float]
    wrapup_s: Mapped[float]
    disposition: Mapped[str | None] = mapped_column(String(64))
    transferred_out: Mapped[bool] = mapped_column(Boolean)
    callback: Mapped[bool] = mapped_column(Boolean)
    overflowed: Mapped[bool] = mapped_column(Boolean)


class AgentSlotRow(Base):
    """An agent's handling, ready-idle and logged-in seconds within one fixed slot
    [``slot_at``, ``slot_at`` + 900 s), projected from the log for reports."""

    __tablename__ = "agent_slots"
    __table_args__ = (Index("ix_agent_slots_slot_at", "slot_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str | None] = mapped_column(String(64))
    slot_at: Mapped[float]
    handling_s: Mapped[float]
    idle_s: Mapped[float]
    staffed_s: Mapped[float]


class ProjectionMarkRow(Base):
    """How far a projection has read the log: up to event ``seq``, at instant ``at``;
    complete for what began before ``complete_until`` (NULL: for everything)."""

    __tablename__ = "projection_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[float]
    complete_until: Mapped[float | None]


_SUM_COUNTS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "balked",
    "immediate",
    "in_sl",
    "predicted",
    "waiting",
    "waiting_in_sl",
    "handled",
    "transferred_out",
    "callbacks",
    "overflowed",
    "with_prediction",
)
_SUM_SECONDS = ("wait_sum", "longest", "pred_abs", "pred_err", "talk_sum", "hold_sum", "wrapup_sum")
_SUM_WAIT_BINS = 15
CONTACT_SLOT_SUMS = Table(
    "contact_slot_sums",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slot", BigInteger, nullable=False, index=True),
    Column("queue_id", String(64), nullable=False),
    Column("site_id", String(64)),
    Column("channel", String(16), nullable=False),
    Column("value_tier", Integer, nullable=False),
    *(Column(name, BigInteger, nullable=False) for name in _SUM_COUNTS),
    *(Column(name, Double, nullable=False) for name in _SUM_SECONDS),
    *(
        Column(f"{kind}_{i}", BigInteger, nullable=False)
        for i in range(_SUM_WAIT_BINS)
        for kind in ("answered", "abandoned")
    ),
)
"""Contact figures pre-added per 15-minute slot, queue, site, channel and value tier
(migration 0008; :mod:`kefu.adapters.storage.report_sums`): declared here too so that a
database made from the models has it."""
