"""In-memory security repositories, joined to any routing unit of work.

The test wiring (:func:`kefu.bootstrap.build_test`) keeps routing data in a store of its
own (the in-memory one by default) and adds users, sessions, tokens and the audit log with
:func:`with_memory_security`. The joined unit of work keeps the transactional promise: the
security changes become visible only when the routing store's commit succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kefu.service.ports import (
    AgentRepository,
    EventLog,
    IdempotencyRepository,
    IntervalRepository,
    QueueRepository,
    SiteRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from kefu.service.security_ports import (
    ApiToken,
    AuditEntry,
    AuditFilter,
    LoginSession,
    UserRecord,
)

__all__ = ["MemorySecurityState", "SecuredUnitOfWork", "SecuredUnitOfWorkFactory"]


@dataclass
class MemorySecurityState:
    """Committed security data."""

    users: dict[str, UserRecord] = field(default_factory=dict)
    sessions: dict[str, LoginSession] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def copy(self) -> MemorySecurityState:
        return MemorySecurityState(
            dict(self.users), dict(self.sessions), dict(self.tokens), list(self.audit)
        )


class _Users:
    def __init__(self, work: MemorySecurityState) -> None:
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


class _Sessions:
    def __init__(self, work: MemorySecurityState) -> None:
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


class _Tokens:
    def __init__(self, work: MemorySecurityState) -> None:
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


class _Audit:
    def __init__(self, work: MemorySecurityState) -> None:
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


class SecuredUnitOfWork:
    """A routing unit of work plus in-memory security repositories, committed together."""

    def __init__(self, inner: UnitOfWork, state: MemorySecurityState) -> None:
        self._inner = inner
        self._state = state
        self._work: MemorySecurityState | None = None

    def __enter__(self) -> SecuredUnitOfWork:
        self._inner.__enter__()
        self._begin()
        return self

    def _begin(self) -> None:
        work = self._work = self._state.copy()
        self.users = _Users(work)
        self.sessions = _Sessions(work)
        self.tokens = _Tokens(work)
        self.audit = _Audit(work)

    def __exit__(self, *exc: object) -> None:
        self._work = None
        self._inner.__exit__(*exc)

    def commit(self) -> None:
        work = self._work
        if work is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        self._inner.commit()
        state = self._state
        state.users, state.sessions = work.users, work.sessions
        state.tokens, state.audit = work.tokens, work.audit

    def rollback(self) -> None:
        self._inner.rollback()
        if self._work is not None:
            self._begin()

    @property
    def sites(self) -> SiteRepository:
        return self._inner.sites

    @property
    def queues(self) -> QueueRepository:
        return self._inner.queues

    @property
    def agents(self) -> AgentRepository:
        return self._inner.agents

    @property
    def events(self) -> EventLog:
        return self._inner.events

    @property
    def intervals(self) -> IntervalRepository:
        return self._inner.intervals

    @property
    def idempotency(self) -> IdempotencyRepository:
        return self._inner.idempotency


class SecuredUnitOfWorkFactory:
    """Units of work of ``inner`` joined to one shared in-memory security state."""

    def __init__(self, inner: UnitOfWorkFactory, state: MemorySecurityState | None = None) -> None:
        self.inner = inner
        self.state = state or MemorySecurityState()

    def __call__(self) -> SecuredUnitOfWork:
        return SecuredUnitOfWork(self.inner(), self.state)
