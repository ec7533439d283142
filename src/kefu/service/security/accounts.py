"""Users: creation and changes (each audited with before and after), canonical usernames,
and the rules tying a role to sites and an agent.

Methods block (database, argon2): the API runs them in a worker thread.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from kefu.domain.errors import AlreadyExists
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.time import Clock
from kefu.service.errors import UnknownSite, UnknownUser
from kefu.service.ports import SecurityUnitOfWork, SecurityUnitOfWorkFactory
from kefu.service.security.access import Principal, Role
from kefu.service.security.passwords import Passwords
from kefu.service.security.ports import AuditEntry, UserRecord

__all__ = ["USER_FIELDS", "Users", "actor_of", "canonical_username", "user_view"]

USERNAME = re.compile(r"^[\w][\w.@-]{0,63}$")
USER_FIELDS = frozenset({"display_name", "role", "sites", "agent_id", "active", "password"})


def canonical_username(name: str) -> str:
    """NFKC-normalized, case-folded, trimmed; 1–64 letters (any script), digits, ``_ . @ -``."""
    canonical = unicodedata.normalize("NFKC", name).strip().casefold()
    if not USERNAME.match(canonical):
        raise DomainValidationError(
            "a username is 1–64 letters, digits or _ . @ - (starting with a letter or digit)",
            text_key="error.username_invalid",
            field="username",
        )
    return canonical


def user_view(user: UserRecord) -> dict[str, Any]:
    """A user without its password hash."""
    return {
        "user_id": user.user_id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "sites": list(user.sites),
        "agent_id": user.agent_id,
        "active": user.active,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def actor_of(principal: Principal | None) -> tuple[str | None, str]:
    """The audit log's (actor_id, actor) of a caller; ``None`` is the operator's command
    line (``system``)."""
    if principal is None:
        return None, "system"
    return principal.user_id, principal.username


class Users:
    """Creates, changes and reads users; ``on_change`` runs after each committed change
    (the credential cache forgets what it knew)."""

    def __init__(
        self,
        uow_factory: SecurityUnitOfWorkFactory,
        clock: Clock,
        passwords: Passwords,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.passwords = passwords
        self.on_change = on_change or (lambda: None)

    def create(
        self,
        *,
        username: str,
        password: str,
        role: str,
        sites: Iterable[str] = (),
        agent_id: str | None = None,
        display_name: str = "",
        actor: Principal | None = None,
        client: str | None = None,
    ) -> UserRecord:
        """A new active user (409 when the username is taken)."""
        name = canonical_username(username)
        password_hash = self.passwords.hash(password, (name, display_name))
        now = self.clock.now()
        with self.uow_factory() as uow:
            if uow.users.by_username(name) is not None:
                raise AlreadyExists(f"user {name} already exists", username=name)
            kind, site_list, agent = _role_fields(uow, role, sites, agent_id)
            user = UserRecord(
                uuid.uuid4().hex,
                name,
                display_name.strip()[:200],
                kind,
                site_list,
                agent,
                password_hash,
                True,
                now,
                now,
            )
            uow.users.add(user)
            _audit(uow, now, actor, "user.create", user, None, user_view(user), client)
            uow.commit()
        self.on_change()
        return user

    def update(
        self,
        username: str,
        changes: Mapping[str, Any],
        *,
        actor: Principal | None = None,
        client: str | None = None,
    ) -> UserRecord:
        """Change some of ``USER_FIELDS``; a new password or deactivation ends the user's
        login sessions."""
        unknown = set(changes) - USER_FIELDS
        if unknown:
            raise DomainValidationError(f"unknown user fields {sorted(unknown)}", field="changes")
        name = canonical_username(username)
        password = changes.get("password")
        now = self.clock.now()
        with self.uow_factory() as uow:
            user = uow.users.by_username(name)
            if user is None:
                raise UnknownUser(f"unknown user {name!r}", username=name)
            display = str(changes.get("display_name", user.display_name))
            password_hash = (
                None if password is None else self.passwords.hash(password, (name, display))
            )
            role = changes.get("role", user.role)
            sites = changes.get("sites", user.sites if role == user.role else ())
            agent_id = changes.get("agent_id", user.agent_id if role == user.role else None)
            kind, site_list, agent = _role_fields(uow, role, sites, agent_id)
            updated = replace(
                user,
                role=kind,
                sites=site_list,
                agent_id=agent,
                display_name=str(changes.get("display_name", user.display_name)).strip()[:200],
                active=bool(changes.get("active", user.active)),
                password_hash=password_hash or user.password_hash,
                updated_at=now,
            )
            uow.users.update(updated)
            if password_hash is not None or not updated.active or kind != user.role:
                uow.sessions.delete_for_user(user.user_id)
            details = {"password_changed": True} if password_hash is not None else {}
            _audit(
                uow,
                now,
                actor,
                "user.update",
                updated,
                user_view(user),
                user_view(updated),
                client,
                details,
            )
            uow.commit()
        self.on_change()
        return updated

    def unlock(
        self, username: str, *, actor: Principal | None = None, client: str | None = None
    ) -> UserRecord:
        """Note that an admin lifted the user's login back-off now (every server forgets
        the failed logins before it at the user's next attempt)."""
        name = canonical_username(username)
        now = self.clock.now()
        with self.uow_factory() as uow:
            user = uow.users.by_username(name)
            if user is None:
                raise UnknownUser(f"unknown user {name!r}", username=name)
            unlocked = replace(user, unlocked_at=now)
            uow.users.update(unlocked)
            _audit(uow, now, actor, "user.unlock", unlocked, None, None, client)
            uow.commit()
        return unlocked

    def rehash(self, user: UserRecord, password: str) -> None:
        """Store a hash made with the current costs (after a successful login)."""
        with self.uow_factory() as uow:
            current = uow.users.get(user.user_id)
            if current is not None and current.password_hash == user.password_hash:
                uow.users.update(replace(current, password_hash=self.passwords.rehash(password)))
                uow.commit()

    def get(self, username: str) -> UserRecord:
        name = canonical_username(username)
        with self.uow_factory() as uow:
            user = uow.users.by_username(name)
        if user is None:
            raise UnknownUser(f"unknown user {name!r}", username=name)
        return user

    def find(self, username: str) -> UserRecord | None:
        """The user, or ``None`` (also for a name that is not a valid username)."""
        try:
            return self.get(username)
        except (UnknownUser, DomainValidationError):
            return None

    def list(self) -> list[UserRecord]:
        with self.uow_factory() as uow:
            return uow.users.list()


def _role_fields(
    uow: SecurityUnitOfWork, role: str, sites: Iterable[str], agent_id: str | None
) -> tuple[str, tuple[str, ...], str | None]:
    """Check a role's sites and agent: a supervisor needs known sites; an agent needs a
    known agent (its site is the agent's, read when it logs in); an admin sees all."""
    try:
        kind = Role(role)
    except ValueError:
        raise DomainValidationError(
            "role must be agent, supervisor or admin", field="role", value=role
        ) from None
    site_list = tuple(dict.fromkeys(sites))
    if kind is Role.AGENT:
        if not agent_id:
            raise DomainValidationError("an agent user needs an agent_id", field="agent_id")
        if agent_id not in {a.agent_id for a in uow.agents.list()}:
            raise DomainValidationError(
                f"unknown agent {agent_id!r}", field="agent_id", value=agent_id
            )
        return kind.value, (), agent_id
    if agent_id:
        raise DomainValidationError(f"a {kind} does not act as an agent", field="agent_id")
    if kind is Role.ADMIN:
        return kind.value, (), None
    if not site_list:
        raise DomainValidationError("a supervisor needs at least one site", field="sites")
    known = {s.site_id for s in uow.sites.list()}
    missing = [s for s in site_list if s not in known]
    if missing:
        raise UnknownSite(f"unknown site(s) {', '.join(missing)}", sites=missing)
    return kind.value, site_list, None


def _audit(
    uow: SecurityUnitOfWork,
    at: float,
    actor: Principal | None,
    action: str,
    user: UserRecord,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    client: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    actor_id, actor_name = actor_of(actor)
    uow.audit.add(
        AuditEntry(
            at=at,
            actor_id=actor_id,
            actor=actor_name,
            action=action,
            target_type="user",
            target_id=user.username,
            before=before,
            after=after,
            details=details or {},
            client=client,
        )
    )
