"""Ports of the security layer: users, login sessions, API tokens and the audit log.

The SQL unit of work (:mod:`kefu.adapters.storage`) implements them on the same session
as the routing repositories, so an audit entry is committed with the change it records.
Secrets are never stored: sessions and tokens are kept as SHA-256 digests, passwords as
argon2 hashes. Instants are seconds since the Unix epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditFilter",
    "AuditRepository",
    "LoginSession",
    "SessionRepository",
    "TokenRepository",
    "UserRecord",
    "UserRepository",
]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A login: ``username`` is canonical (NFKC, case-folded); ``role`` agent, supervisor
    or admin; ``sites`` it may see; ``agent_id`` the agent it acts as (agents only);
    ``unlocked_at`` when an admin last lifted its login back-off (s since the epoch)."""

    user_id: str
    username: str
    display_name: str
    role: str
    sites: tuple[str, ...]
    agent_id: str | None
    password_hash: str
    active: bool
    created_at: float
    updated_at: float
    unlocked_at: float | None = None


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A browser login; ``session_id`` is the SHA-256 digest of the cookie's secret."""

    session_id: str
    user_id: str
    created_at: float
    expires_at: float
    last_seen_at: float
    client: str = ""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An integration's credential: ``token_hash`` is the SHA-256 digest of its secret;
    ``expires_at``/``revoked_at`` ``None`` while it has neither."""

    token_id: str
    user_id: str
    name: str
    token_hash: str
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float | None
    last_used_at: float | None = None
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who (``actor``) did what (``action`` on ``target_type``/``target_id``) and when
    (``at``, s); ``before``/``after`` for configuration changes; ``seq`` once stored."""

    at: float
    actor_id: str | None
    actor: str
    action: str
    target_type: str
    target_id: str
    site_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    client: str | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Audit entries to list: by actor (username), action prefix, target, time range."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: float | None = None
    until: float | None = None


class UserRepository(Protocol):
    def add(self, user: UserRecord) -> None: ...
    def update(self, user: UserRecord) -> None: ...
    def get(self, user_id: str) -> UserRecord | None: ...
    def by_username(self, username: str) -> UserRecord | None: ...
    def list(self) -> list[UserRecord]: ...


class SessionRepository(Protocol):
    def add(self, session: LoginSession) -> None: ...
    def get(self, session_id: str) -> LoginSession | None: ...
    def touch(self, session_id: str, at: float) -> None: ...
    def delete(self, session_id: str) -> None: ...
    def delete_for_user(self, user_id: str) -> None: ...
    def purge(self, now: float) -> int:
        """Delete sessions expired by ``now``; returns how many."""
        ...


class TokenRepository(Protocol):
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: str) -> ApiToken | None: ...
    def for_user(self, user_id: str) -> list[ApiToken]: ...
    def revoke(self, token_id: str, at: float) -> None: ...
    def touch(self, token_id: str, at: float) -> None: ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def list(self, where: AuditFilter, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
        """Newest first: one page and the number of matching entries."""
        ...
