"""The committed state of the in-memory store (tests, simulations and the demo without a
database): every repository's data, routing, security and channels."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kefu.analytics.projection import AgentSlot
from kefu.analytics.visits import Visit
from kefu.domain.model import AgentSpec
from kefu.service.channels import ChannelRecord, ConversationRow
from kefu.service.ports import (
    IdempotencyRecord,
    QueueRow,
    ReportMark,
    Site,
    StateInterval,
    StoredEvent,
)
from kefu.service.security import ApiToken, AuditEntry, LoginSession, UserRecord

__all__ = ["InMemoryStore"]


@dataclass
class InMemoryStore:
    """The committed state shared by every unit of work made on it."""

    sites: dict[str, Site] = field(default_factory=dict)
    queues: dict[str, QueueRow] = field(default_factory=dict)
    agents: dict[str, AgentSpec] = field(default_factory=dict)
    events: list[StoredEvent] = field(default_factory=list)
    intervals: list[StateInterval] = field(default_factory=list)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    users: dict[str, UserRecord] = field(default_factory=dict)
    sessions: dict[str, LoginSession] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    records: list[ChannelRecord] = field(default_factory=list)
    """The channel log."""
    conversations: dict[str, ConversationRow] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)
    """Provider message keys accepted, with when (seconds)."""
    visits: dict[tuple[str, int], Visit] = field(default_factory=dict)
    """The report projection: visits by (contact, leg), agent slots, its mark."""
    slots: list[AgentSlot] = field(default_factory=list)
    report_mark: ReportMark | None = None
    fail_next_commit: bool = False
    """Set to make the next commit raise (a lost database), for failure tests."""

    def working_copy(self) -> InMemoryStore:
        """A copy whose collections can change without touching this one."""
        work = copy.copy(self)
        for name in (
            "sites",
            "queues",
            "agents",
            "idempotency",
            "users",
            "sessions",
            "tokens",
            "conversations",
            "seen",
            "visits",
        ):
            setattr(work, name, dict(getattr(self, name)))
        for name in ("events", "intervals", "audit", "records", "slots"):
            setattr(work, name, list(getattr(self, name)))
        return work

    def take(self, work: InMemoryStore) -> None:
        """Commit: keep ``work``'s collections."""
        for name in (
            "sites",
            "queues",
            "agents",
            "events",
            "intervals",
            "idempotency",
            "users",
            "sessions",
            "tokens",
            "audit",
            "records",
            "conversations",
            "seen",
            "visits",
            "slots",
            "report_mark",
        ):
            setattr(self, name, getattr(work, name))
