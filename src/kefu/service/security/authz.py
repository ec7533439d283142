"""The access rules of :mod:`kefu.service.security.access` applied to the engine's current state.

Each check runs under the engine's lock (as an ``authorize`` callback of
:meth:`RoutingEngine.execute`, or inside a query) and raises: the record's ``Unknown*``
error (404) when it is outside the caller's sites, :class:`Forbidden` (403) when the caller
sees it but may not touch it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from kefu.analytics.archive import ArchivedContact
from kefu.domain.errors import UnknownAgent, UnknownContact, UnknownQueue
from kefu.domain.routing.consulting import CONSULT
from kefu.service.engine import RoutingEngine
from kefu.service.errors import Forbidden, UnknownSite
from kefu.service.routing import views
from kefu.service.security import access
from kefu.service.security.access import Principal, Role, Scope

__all__ = [
    "as_seen_by",
    "check_agent",
    "check_contact",
    "check_queue",
    "check_site",
    "checked",
    "contact_action",
    "sees_agent_site",
]


def as_seen_by(engine: RoutingEngine, principal: Principal) -> Principal:
    """An agent user sees the site of its agent as it is now (moving the agent moves the
    user); other principals are returned as they are."""
    if principal.role is not Role.AGENT or principal.agent_id is None:
        return principal
    record = engine.router.agents.get(principal.agent_id)
    site = record.spec.site_id if record is not None else None
    return dataclasses.replace(principal, sites=frozenset({site}) if site else frozenset())


def check_site(engine: RoutingEngine, principal: Principal, site_id: str) -> None:
    if site_id not in engine.sites or not access.sees_site(principal, site_id):
        raise UnknownSite(f"unknown site {site_id!r}", site_id=site_id)


def check_queue(engine: RoutingEngine, principal: Principal, queue_id: str) -> None:
    if queue_id not in engine.router.queues or not access.sees_queue(
        principal, *views.queue_site(engine, queue_id)
    ):
        raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id)


def sees_agent_site(engine: RoutingEngine, principal: Principal, agent_id: str) -> None:
    """The agent exists and is of the caller's sites (a transfer or assignment target)."""
    record = engine.router.agents.get(agent_id)
    if record is None or not access.sees_agent(principal, record.spec.site_id):
        raise UnknownAgent(f"unknown agent {agent_id!r}", agent_id=agent_id)


def check_agent(engine: RoutingEngine, principal: Principal, agent_id: str) -> None:
    """Read or act on an agent: of the caller's sites, and an agent user only itself."""
    sees_agent_site(engine, principal, agent_id)
    if not access.may_read_agent(principal, agent_id):
        raise Forbidden(
            "an agent acts only as itself", text_key="error.agent_only_itself", agent_id=agent_id
        )


def check_contact(
    engine: RoutingEngine, principal: Principal, contact_id: str, *, read: bool = False
) -> None:
    """Read or act on a contact: in a queue the caller sees (or held by an agent of its
    sites), and for an agent user only one offered to it or held by it; *read*: also the
    agent it consults (who is shown the call's context)."""
    contact = engine.router.contacts.get(contact_id)
    if contact is None:
        raise UnknownContact(f"unknown contact {contact_id!r}", contact_id=contact_id)
    owner, shared = views.queue_site(engine, contact.queue_id)
    holder = engine.router.agents.get(contact.agent_id) if contact.agent_id else None
    holder_site = holder.spec.site_id if holder is not None else None
    if not access.sees_contact(principal, owner, shared, holder_site):
        raise UnknownContact(f"unknown contact {contact_id!r}", contact_id=contact_id)
    readers = (contact.agent_id, contact.attributes.get(CONSULT) if read else None)
    if not any(access.may_read_contact(principal, agent) for agent in readers):
        raise Forbidden(
            "an agent sees only the contacts offered to it or held by it",
            text_key="error.agent_own_contacts",
            contact_id=contact_id,
        )


def check_archived_contact(
    engine: RoutingEngine, principal: Principal, archived: ArchivedContact
) -> None:
    """What :func:`check_contact` checks, for a finished contact the router has forgotten
    (its record read from the store): its last queue visible (that queue's owner now, or
    the one it had then when the queue is gone) or its last agent of the caller's sites,
    and for an agent user only the agent that held it last."""
    contact_id = archived.contact_id
    if archived.queue_id in engine.queue_rows or archived.queue_id in engine.router.queues:
        owner, shared = views.queue_site(engine, archived.queue_id)
    else:
        owner, shared = archived.site_id, False
    holder = engine.router.agents.get(archived.agent_id) if archived.agent_id else None
    holder_site = holder.spec.site_id if holder is not None else None
    if not access.sees_contact(principal, owner, shared, holder_site):
        raise UnknownContact(f"unknown contact {contact_id!r}", contact_id=contact_id)
    if not access.may_read_contact(principal, archived.agent_id):
        raise Forbidden(
            "an agent sees only the contacts offered to it or held by it",
            text_key="error.agent_own_contacts",
            contact_id=contact_id,
        )


def contact_action(
    principal: Principal,
    contact_id: str,
    *,
    roles: tuple[Role, ...] = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN),
    on_behalf_of: str | None = None,
    to_queue: str | None = None,
    to_agent: str | None = None,
) -> Callable[[RoutingEngine], None]:
    """The ``authorize`` callback of an action on a contact: the ``contacts:write`` scope,
    one of ``roles``, the contact visible (and the agent's own), ``on_behalf_of`` (the
    agent named in the request) the caller itself for an agent user or one of its sites'
    agents, and the transfer targets visible."""

    def authorize(engine: RoutingEngine) -> None:
        access.require_scope(principal, Scope.CONTACTS_WRITE)
        access.require_role(principal, *roles)
        seen = as_seen_by(engine, principal)
        check_contact(engine, seen, contact_id)
        if on_behalf_of is not None:
            check_agent(engine, seen, on_behalf_of)
        if to_queue is not None:
            check_queue(engine, seen, to_queue)
        if to_agent is not None:
            sees_agent_site(engine, seen, to_agent)

    return authorize


def checked(check: Callable[[RoutingEngine], None], view: Callable[[RoutingEngine], Any]) -> Any:
    """A query function running ``check`` then ``view`` on the engine."""

    def run(engine: RoutingEngine) -> Any:
        check(engine)
        return view(engine)

    return run
