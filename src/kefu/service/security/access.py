"""Who may do what: roles, token scopes and site visibility as pure rules (no I/O).

Roles:

- ``agent`` acts only as itself: its own agent record and state, the offers made to it,
  the contacts it holds. It sees the queues of its site (and shared ones).
- ``supervisor`` sees and acts on the agents, queues and contacts of its sites; it does not
  change configuration.
- ``admin`` sees everything and is the only role that changes configuration (sites,
  queues, agents, users) or reads the audit log.

A login session carries every scope of its role; an API token carries the scopes it was
given, never more than its owner's role allows (``read``, ``contacts:write``,
``agents:write``, ``admin``).

Refusals: a record outside the caller's sites is answered as if it did not exist (404,
the same answer as an unknown id, so ids of other sites are not disclosed); a record the
caller can see but may not read or change is refused with 403 (wrong role, an agent acting
for another agent, a token without the scope); no credentials at all is 401.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from kefu.service.errors import Forbidden

__all__ = [
    "ROLE_SCOPES",
    "Principal",
    "Role",
    "Scope",
    "Visibility",
    "allowed_scopes",
    "may_read_agent",
    "may_read_contact",
    "require_admin",
    "require_role",
    "require_scope",
    "sees_agent",
    "sees_contact",
    "sees_queue",
    "sees_site",
]


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Scope(StrEnum):
    READ = "read"
    CONTACTS_WRITE = "contacts:write"
    AGENTS_WRITE = "agents:write"
    ADMIN = "admin"


_WORK = frozenset({Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE})
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.AGENT: _WORK,
    Role.SUPERVISOR: _WORK,
    Role.ADMIN: _WORK | {Scope.ADMIN},
}
"""The scopes each role may hold (a session holds all of them)."""


def allowed_scopes(role: Role, asked: Iterable[Scope]) -> frozenset[Scope]:
    """``asked`` if the role may hold every one of them; else :class:`Forbidden`."""
    wanted = frozenset(asked)
    extra = wanted - ROLE_SCOPES[role]
    if extra:
        names = ", ".join(sorted(extra))
        raise Forbidden(f"a {role} cannot hold the scope(s) {names}", scopes=sorted(extra))
    return wanted


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the user, its role and sites, the agent it acts as (agents
    only) and the scopes of this credential; ``via`` is ``session`` or ``token``."""

    user_id: str
    username: str
    role: Role
    sites: frozenset[str]
    agent_id: str | None = None
    scopes: frozenset[Scope] = frozenset()
    display_name: str = ""
    via: str = "session"
    credential_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def visibility(self) -> Visibility:
        if self.is_admin:
            return Visibility(None, None)
        return Visibility(self.sites, self.agent_id if self.role is Role.AGENT else None)


@dataclass(frozen=True, slots=True)
class Visibility:
    """What lists show: records of ``sites`` (``None``: every site) and, for an agent,
    only its own agent record and contacts (``agent_id``)."""

    sites: frozenset[str] | None
    agent_id: str | None = None

    def site(self, site_id: str | None) -> bool:
        return self.sites is None or (site_id is not None and site_id in self.sites)

    def queue(self, owner_site: str | None, shared: bool) -> bool:
        return shared or self.site(owner_site)


# -- scopes and roles -------------------------------------------------------------------
def require_scope(principal: Principal, scope: Scope) -> None:
    if scope not in principal.scopes:
        raise Forbidden(f"this credential lacks the scope {scope}", scope=str(scope))


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        names = " or ".join(str(r) for r in roles)
        raise Forbidden(f"only a {names} may do this", role=str(principal.role))


def require_admin(principal: Principal) -> None:
    """Configuration, users and the audit log: an admin holding the ``admin`` scope."""
    require_role(principal, Role.ADMIN)
    require_scope(principal, Scope.ADMIN)


# -- visibility (False: answer 404) -----------------------------------------------------
def sees_site(principal: Principal, site_id: str | None) -> bool:
    return principal.visibility.site(site_id)


def sees_queue(principal: Principal, owner_site: str | None, shared: bool) -> bool:
    """A queue of the caller's sites, or a shared one."""
    return principal.visibility.queue(owner_site, shared)


def sees_agent(principal: Principal, agent_site: str | None) -> bool:
    return principal.visibility.site(agent_site)


def sees_contact(
    principal: Principal, queue_site: str | None, queue_shared: bool, holder_site: str | None
) -> bool:
    """A contact in a visible queue, or held by an agent of the caller's sites."""
    return principal.visibility.queue(queue_site, queue_shared) or (
        holder_site is not None and principal.visibility.site(holder_site)
    )


# -- reading one visible record (False: answer 403) -------------------------------------
def may_read_agent(principal: Principal, agent_id: str) -> bool:
    return principal.role is not Role.AGENT or principal.agent_id == agent_id


def may_read_contact(principal: Principal, holder_agent: str | None) -> bool:
    return principal.role is not Role.AGENT or (
        principal.agent_id is not None and principal.agent_id == holder_agent
    )
