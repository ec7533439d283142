"""Credentials: password logins opening sessions, API tokens, and resolving either to a
:class:`~kefu.service.security.access.Principal`.

Secrets are random (256 bits) and only their SHA-256 digests are stored; an API token
reads ``kefu_<token id>_<secret>``. Resolved credentials are cached for a few seconds
(never past their expiry); any change of users or tokens empties the cache. Methods block
(database, argon2): the API runs them in a worker thread, except the cache look-up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.time import Clock
from kefu.service.errors import NotAuthenticated, UnknownToken
from kefu.service.ports import SecurityUnitOfWork, SecurityUnitOfWorkFactory
from kefu.service.security.access import ROLE_SCOPES, Principal, Role, Scope, allowed_scopes
from kefu.service.security.accounts import Users, actor_of, canonical_username
from kefu.service.security.passwords import Passwords
from kefu.service.security.ports import ApiToken, AuditEntry, LoginSession, UserRecord
from kefu.service.security.ratelimit import LoginRateLimiter

__all__ = ["Credentials", "SessionPolicy", "digest", "token_view"]

TOKEN_PREFIX = "kefu_"
BAD_LOGIN = "wrong username or password"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_view(token: ApiToken) -> dict[str, Any]:
    """A token without its digest."""
    return {
        "token_id": token.token_id,
        "name": token.name,
        "scopes": list(token.scopes),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """A session ends ``ttl_s`` seconds after login or ``idle_s`` seconds after its last
    use; credentials are cached ``cache_s`` s; last use is stored at most every
    ``touch_every_s`` s."""

    ttl_s: float = 12 * 3600.0
    idle_s: float = 2 * 3600.0
    cache_s: float = 5.0
    touch_every_s: float = 60.0


@dataclass(frozen=True, slots=True)
class _Cached:
    principal: Principal
    valid_until: float
    cached_at: float


class Credentials:
    """Logins, sessions and tokens on the security store."""

    def __init__(
        self,
        uow_factory: SecurityUnitOfWorkFactory,
        clock: Clock,
        passwords: Passwords,
        users: Users,
        limiter: LoginRateLimiter | None = None,
        policy: SessionPolicy | None = None,
        *,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """``on_change`` runs after a logout or a revoked token (rights that ended)."""
        self.uow_factory = uow_factory
        self.clock = clock
        self.passwords = passwords
        self.users = users
        self.limiter = limiter or LoginRateLimiter()
        self.policy = policy or SessionPolicy()
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self.on_change = on_change or self.forget

    def forget(self) -> None:
        """Empty the cache (a user or token changed)."""
        with self._lock:
            self._cache.clear()

    # -- sessions ----------------------------------------------------------------------
    def login(self, username: str, password: str, client: str) -> tuple[UserRecord, str]:
        """Check the password and open a session; returns the user and the cookie secret.
        :class:`TooManyRequests` while this client or the account backs off (see
        :class:`~kefu.service.security.ratelimit.LoginRateLimiter`), :class:`NotAuthenticated`
        when wrong."""
        now = self.clock.now()
        key = _limit_key(username)
        user = self.users.find(username)
        self.limiter.attempt(key, client, now, unlocked_at=user.unlocked_at if user else None)
        known = user is not None and user.active
        if not self.passwords.verify(user.password_hash if known and user else None, password):
            with self.uow_factory() as uow:
                _audit(uow, now, None, "auth.login_failed", "user", key[:64], client)
                uow.commit()
            raise NotAuthenticated(BAD_LOGIN, text_key="error.bad_login")
        assert user is not None
        self.limiter.succeeded(key, client, now)
        if self.passwords.needs_rehash(user.password_hash):
            self.users.rehash(user, password)
        secret = secrets.token_urlsafe(32)
        session = LoginSession(
            digest(secret), user.user_id, now, now + self.policy.ttl_s, now, client[:64]
        )
        with self.uow_factory() as uow:
            uow.sessions.purge(now)
            uow.sessions.add(session)
            _audit(
                uow, now, _principal(user, "session"), "auth.login", "user", user.username, client
            )
            uow.commit()
        return user, secret

    def unlock(
        self, username: str, *, actor: Principal | None = None, client: str | None = None
    ) -> UserRecord:
        """Lift the account's login back-off, here at once and, through the stored
        ``unlocked_at``, on every server at its next attempt (audited)."""
        user = self.users.unlock(username, actor=actor, client=client)
        self.limiter.unlock(user.username)
        return user

    def logout(self, secret: str, client: str | None = None) -> None:
        session_id = digest(secret)
        now = self.clock.now()
        with self.uow_factory() as uow:
            found = uow.sessions.get(session_id)
            if found is None:
                return
            user = uow.users.get(found.user_id)
            uow.sessions.delete(session_id)
            if user is not None:
                actor = _principal(user, "session")
                _audit(uow, now, actor, "auth.logout", "user", user.username, client)
            uow.commit()
        with self._lock:
            self._cache.pop(session_id, None)
        self.on_change()

    def cached(self, secret: str) -> Principal | None:
        """A principal resolved a moment ago (no I/O); ``None`` when not cached."""
        now = self.clock.now()
        with self._lock:
            hit = self._cache.get(digest(secret))
        if hit is None or now >= hit.valid_until or now - hit.cached_at >= self.policy.cache_s:
            return None
        return hit.principal

    def session(self, secret: str) -> Principal | None:
        """The principal of a session cookie's secret, or ``None`` (unknown, expired, idle,
        or its user deactivated)."""
        now = self.clock.now()
        session_id = digest(secret)
        with self.uow_factory() as uow:
            found = uow.sessions.get(session_id)
            if found is None:
                return None
            until = min(found.expires_at, found.last_seen_at + self.policy.idle_s)
            user = uow.users.get(found.user_id)
            if now >= until or user is None or not user.active:
                uow.sessions.delete(session_id)
                uow.commit()
                return None
            if now - found.last_seen_at >= self.policy.touch_every_s:
                uow.sessions.touch(session_id, now)
                uow.commit()
                until = min(found.expires_at, now + self.policy.idle_s)
        principal = _principal(user, "session", session_id)
        self._remember(session_id, principal, until, now)
        return principal

    # -- tokens ------------------------------------------------------------------------
    def issue_token(
        self,
        username: str,
        scopes: list[Scope],
        *,
        name: str = "",
        ttl_s: float | None = None,
        actor: Principal | None = None,
        client: str | None = None,
    ) -> tuple[ApiToken, str]:
        """A new token for ``username`` with ``scopes`` (no more than its role allows);
        returns it and the full secret, shown once."""
        if ttl_s is not None and not ttl_s > 0:
            raise DomainValidationError("a token's lifetime must be > 0 s", field="ttl_s")
        user = self.users.get(username)
        granted = allowed_scopes(Role(user.role), scopes or [Scope.READ])
        now = self.clock.now()
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        token = ApiToken(
            token_id,
            user.user_id,
            name.strip()[:200],
            digest(secret),
            tuple(sorted(granted)),
            now,
            None if ttl_s is None else now + ttl_s,
        )
        with self.uow_factory() as uow:
            uow.tokens.add(token)
            _audit(
                uow, now, actor, "token.create", "token", token_id, client, after=token_view(token)
            )
            uow.commit()
        return token, f"{TOKEN_PREFIX}{token_id}_{secret}"

    def tokens_of(self, username: str) -> list[ApiToken]:
        user = self.users.get(username)
        with self.uow_factory() as uow:
            return uow.tokens.for_user(user.user_id)

    def revoke_token(
        self,
        username: str,
        token_id: str,
        *,
        actor: Principal | None = None,
        client: str | None = None,
    ) -> ApiToken:
        user = self.users.get(username)
        now = self.clock.now()
        with self.uow_factory() as uow:
            token = uow.tokens.get(token_id)
            if token is None or token.user_id != user.user_id:
                raise UnknownToken(f"unknown token {token_id!r}", token_id=token_id)
            uow.tokens.revoke(token_id, now)
            revoked = uow.tokens.get(token_id)
            assert revoked is not None
            _audit(
                uow,
                now,
                actor,
                "token.revoke",
                "token",
                token_id,
                client,
                before=token_view(token),
                after=token_view(revoked),
            )
            uow.commit()
        self.forget()
        self.on_change()
        return revoked

    def token(self, presented: str) -> Principal | None:
        """The principal of a bearer token, or ``None`` (malformed, unknown, revoked,
        expired, or its user deactivated)."""
        if not presented.startswith(TOKEN_PREFIX):
            return None
        token_id, _, secret = presented[len(TOKEN_PREFIX) :].partition("_")
        if not token_id or not secret:
            return None
        now = self.clock.now()
        with self.uow_factory() as uow:
            token = uow.tokens.get(token_id)
            if token is None or not hmac.compare_digest(token.token_hash, digest(secret)):
                return None
            if token.revoked_at is not None:
                return None
            if token.expires_at is not None and now >= token.expires_at:
                return None
            user = uow.users.get(token.user_id)
            if user is None or not user.active:
                return None
            if token.last_used_at is None or now - token.last_used_at >= self.policy.touch_every_s:
                uow.tokens.touch(token_id, now)
                uow.commit()
        scopes = frozenset(Scope(s) for s in token.scopes) & ROLE_SCOPES[Role(user.role)]
        principal = _principal(user, "token", token_id, scopes)
        until = token.expires_at if token.expires_at is not None else float("inf")
        self._remember(digest(presented), principal, until, now)
        return principal

    # -- internals ---------------------------------------------------------------------
    def _remember(self, key: str, principal: Principal, until: float, now: float) -> None:
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = _Cached(principal, until, now)


def _limit_key(username: str) -> str:
    try:
        return canonical_username(username)
    except DomainValidationError:
        return username.strip().casefold()[:256]


def _principal(
    user: UserRecord,
    via: str,
    credential_id: str = "",
    scopes: frozenset[Scope] | None = None,
) -> Principal:
    role = Role(user.role)
    return Principal(
        user_id=user.user_id,
        username=user.username,
        role=role,
        sites=frozenset(user.sites),
        agent_id=user.agent_id,
        scopes=ROLE_SCOPES[role] if scopes is None else scopes,
        display_name=user.display_name,
        via=via,
        credential_id=credential_id,
    )


def _audit(
    uow: SecurityUnitOfWork,
    at: float,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: str,
    client: str | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    actor_id, actor_name = actor_of(actor)
    uow.audit.add(
        AuditEntry(
            at=at,
            actor_id=actor_id,
            actor="anonymous" if action == "auth.login_failed" else actor_name,
            action=action,
            target_type=target_type,
            target_id=target_id,
            before=before,
            after=after,
            client=client,
        )
    )
