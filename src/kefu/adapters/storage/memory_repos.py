"""The in-memory repositories of routing and security data, on an :class:`InMemoryStore`
(a unit of work's working copy)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace

from kefu.adapters.storage.event_fields import contact_rows_of
from kefu.adapters.storage.memory_store import InMemoryStore
from kefu.analytics.journeys import Row
from kefu.domain.events import AgentDefined, Event, QueueDefined
from kefu.domain.model import AgentSpec
from kefu.service.ports import IdempotencyRecord, QueueRow, Site, StateInterval, StoredEvent
from kefu.service.security import ApiToken, AuditEntry, AuditFilter, LoginSession, UserRecord

__all__ = [
    "MemoryAgents",
    "MemoryAudit",
    "MemoryEvents",
    "MemoryIdempotency",
    "MemoryIntervals",
    "MemoryQueues",
    "MemorySessions",
    "MemorySites",
    "MemoryTokens",
    "MemoryUsers",
]


class MemorySites:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def add(self, site: Site) -> None:
        if site.site_id in self.work.sites:
            raise ValueError(f"duplicate site {site.site_id}")
        self.work.sites[site.site_id] = site

    def update(self, site: Site) -> None:
        if site.site_id not in self.work.sites:
            raise KeyError(site.site_id)
        self.work.sites[site.site_id] = site

    def list(self) -> list[Site]:
        return [self.work.sites[k] for k in sorted(self.work.sites)]


class MemoryQueues:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def upsert(self, row: QueueRow, at: float) -> None:
        del at  # the in-memory store keeps no change times
        self.work.queues[row.spec.queue_id] = row

    def list(self) -> list[QueueRow]:
        return [self.work.queues[k] for k in sorted(self.work.queues)]


class MemoryAgents:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def upsert(self, spec: AgentSpec, at: float) -> None:
        del at  # the in-memory store keeps no change times
        if spec.site_id is None:
            raise ValueError(f"agent {spec.agent_id} has no site")
        self.work.agents[spec.agent_id] = spec

    def list(self) -> list[AgentSpec]:
        return [self.work.agents[k] for k in sorted(self.work.agents)]


class MemoryEvents:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def append(self, events: Sequence[Event]) -> list[int]:
        start = self.work.events[-1].seq if self.work.events else 0
        stored = [StoredEvent(start + i, e) for i, e in enumerate(events, start=1)]
        self.work.events.extend(stored)
        return [s.seq for s in stored]

    def read(self, after_seq: int = 0) -> Iterator[StoredEvent]:
        return iter([s for s in self.work.events if s.seq > after_seq])

    def position_at(self, at: float) -> int:
        events = self.work.events
        first = next((s.seq for s in events if s.event.at >= at), None)
        if first is None:
            return events[-1].seq if events else 0
        return first - 1

    def read_context(self, after_seq: int, contact_ids: Collection[str]) -> Iterator[StoredEvent]:
        wanted = set(contact_ids)
        return iter(
            [
                s
                for s in self.work.events
                if s.seq <= after_seq
                and (
                    isinstance(s.event, QueueDefined | AgentDefined)
                    or getattr(s.event, "contact_id", None) in wanted
                )
            ]
        )

    def contact_rows(self, until: float) -> Iterator[Row]:
        return iter(list(contact_rows_of((s.event for s in self.work.events), until)))

    def count(self) -> int:
        return len(self.work.events)


class MemoryIntervals:
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


class MemoryIdempotency:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.work.idempotency.get(key)

    def add(self, record: IdempotencyRecord) -> None:
        if record.key in self.work.idempotency:
            raise ValueError(f"duplicate idempotency key {record.key}")
        self.work.idempotency[record.key] = record


class MemoryUsers:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def add(self, user: UserRecord) -> None:
        if user.user_id in self.work.users or self.by_username(user.username) is not None:
            raise ValueError(f"duplicate user {user.username}")
        self.work.users[user.user_id] = user

    def update(self, user: UserRecord) -> None:
        if user.user_id not in self.work.users:
            raise KeyError(user.user_id)
        self.work.users[user.user_id] = user

    def get(self, user_id: str) -> UserRecord | None:
        return self.work.users.get(user_id)

    def by_username(self, username: str) -> UserRecord | None:
        return next((u for u in self.work.users.values() if u.username == username), None)

    def list(self) -> list[UserRecord]:
        return sorted(self.work.users.values(), key=lambda u: u.username)


class MemorySessions:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def add(self, session: LoginSession) -> None:
        self.work.sessions[session.session_id] = session

    def get(self, session_id: str) -> LoginSession | None:
        return self.work.sessions.get(session_id)

    def touch(self, session_id: str, at: float) -> None:
        found = self.work.sessions.get(session_id)
        if found is not None:
            self.work.sessions[session_id] = replace(found, last_seen_at=at)

    def delete(self, session_id: str) -> None:
        self.work.sessions.pop(session_id, None)

    def delete_for_user(self, user_id: str) -> None:
        for key in [k for k, s in self.work.sessions.items() if s.user_id == user_id]:
            del self.work.sessions[key]

    def purge(self, now: float) -> int:
        expired = [k for k, s in self.work.sessions.items() if s.expires_at <= now]
        for key in expired:
            del self.work.sessions[key]
        return len(expired)


class MemoryTokens:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def add(self, token: ApiToken) -> None:
        self.work.tokens[token.token_id] = token

    def get(self, token_id: str) -> ApiToken | None:
        return self.work.tokens.get(token_id)

    def for_user(self, user_id: str) -> list[ApiToken]:
        found = (t for t in self.work.tokens.values() if t.user_id == user_id)
        return sorted(found, key=lambda t: (t.created_at, t.token_id))

    def revoke(self, token_id: str, at: float) -> None:
        found = self.work.tokens.get(token_id)
        if found is not None and found.revoked_at is None:
            self.work.tokens[token_id] = replace(found, revoked_at=at)

    def touch(self, token_id: str, at: float) -> None:
        found = self.work.tokens.get(token_id)
        if found is not None:
            self.work.tokens[token_id] = replace(found, last_used_at=at)


class MemoryAudit:
    def __init__(self, work: InMemoryStore) -> None:
        self.work = work

    def add(self, entry: AuditEntry) -> None:
        self.work.audit.append(replace(entry, seq=len(self.work.audit) + 1))

    def list(self, where: AuditFilter, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
        matching = [e for e in reversed(self.work.audit) if _matches(e, where)]
        return matching[offset : offset + limit], len(matching)


def _matches(entry: AuditEntry, where: AuditFilter) -> bool:
    return (
        (where.actor is None or entry.actor == where.actor)
        and (where.action is None or entry.action.startswith(where.action))
        and (where.target_type is None or entry.target_type == where.target_type)
        and (where.target_id is None or entry.target_id == where.target_id)
        and (where.since is None or entry.at >= where.since)
        and (where.until is None or entry.at < where.until)
    )
