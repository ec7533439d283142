"""Handlers of the configuration commands: sites, queues and agents (their checks of ids
and time zones, and the site a command names), part of :func:`routing_handlers`' table.

A handler checks everything that can refuse the command before it changes the router, so
a refused command writes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.domain.errors import AlreadyExists, UnknownAgent, UnknownQueue, UnknownRoutingDomain
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.model import AgentSpec, QueueSpec
from kefu.service.errors import UnknownSite
from kefu.service.ports import QueueRow, Site
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "RoutingDomains",
    "create_site",
    "define_agent",
    "define_queue",
    "queue_definer",
    "update_agent",
    "update_queue",
    "update_site",
]

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def _check_id(value: str, what: str) -> None:
    if not ID_PATTERN.match(value):
        raise DomainValidationError(
            f"{what} must be 1–64 letters, digits or _ . : - (starting with a letter or digit)",
            text_key="error.id_pattern",
            field=what,
            value=value,
        )


def _check_timezone(name: str) -> None:
    """An IANA time zone the system knows (``Asia/Shanghai``)."""
    try:
        ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):
        raise DomainValidationError(
            f"unknown time zone {name[:64]!r}",
            text_key="error.unknown_timezone",
            field="timezone",
            timezone=name[:64],
        ) from None


def _require_site(tx: Transaction, site_id: str | None) -> str:
    if site_id is None:
        raise DomainValidationError(
            "a site_id is required", text_key="error.form_required", field="site_id"
        )
    if site_id not in tx.sites:
        raise UnknownSite(
            f"unknown site {site_id!r}",
            text_key="error.unknown_site",
            field="site_id",
            site_id=site_id,
        )
    return site_id


async def create_site(tx: Transaction, cmd: c.CreateSite) -> dict[str, Any]:
    _check_id(cmd.site_id, "site_id")
    _check_timezone(cmd.timezone)
    if cmd.site_id in tx.sites:
        raise AlreadyExists(
            f"site {cmd.site_id} already exists",
            text_key="error.id_taken",
            field="site_id",
            site_id=cmd.site_id,
            id=cmd.site_id,
        )
    site = Site(cmd.site_id, cmd.name, cmd.timezone, tx.now)
    tx.stage(lambda uow: uow.sites.add(site))
    tx.on_success(lambda: tx.sites.__setitem__(site.site_id, site))
    made = {
        "site_id": site.site_id,
        "name": site.name,
        "timezone": site.timezone,
        "created_at": site.created_at,
    }
    tx.audit("site.create", "site", site.site_id, site.site_id, None, dict(made))
    return made


async def update_site(tx: Transaction, cmd: c.UpdateSite) -> dict[str, Any]:
    site_id = _require_site(tx, cmd.site_id)
    old = tx.sites[site_id]
    if cmd.timezone is not None:
        _check_timezone(cmd.timezone)
    site = dataclasses.replace(
        old,
        name=old.name if cmd.name is None else cmd.name,
        timezone=old.timezone if cmd.timezone is None else cmd.timezone,
    )
    tx.stage(lambda uow: uow.sites.update(site))
    tx.on_success(lambda: tx.sites.__setitem__(site_id, site))
    before = {"name": old.name, "timezone": old.timezone}
    after = {"name": site.name, "timezone": site.timezone}
    tx.audit("site.update", "site", site_id, site_id, before, after)
    return {**after, "site_id": site_id, "created_at": site.created_at}


async def define_queue(tx: Transaction, cmd: c.DefineQueue) -> dict[str, Any]:
    site_id = _require_site(tx, cmd.site_id)
    queue_id = cmd.spec.queue_id
    _check_id(queue_id, "queue_id")
    exists = queue_id in tx.router.queues
    if cmd.create and exists:
        raise AlreadyExists(
            f"queue {queue_id} already exists",
            text_key="error.id_taken",
            field="queue_id",
            queue_id=queue_id,
            id=queue_id,
        )
    if not cmd.create and not exists:
        raise UnknownQueue(f"unknown queue {queue_id!r}", queue_id=queue_id)
    before = _queue_config(tx, queue_id) if exists else None
    spec = dataclasses.replace(cmd.spec, site_id=site_id)
    tx.router.define_queue(spec, tx.now)
    row = QueueRow(spec, site_id, cmd.shared)
    now = tx.now
    tx.stage(lambda uow: uow.queues.upsert(row, now))
    tx.on_success(lambda: tx.queue_rows.__setitem__(queue_id, row))
    out = spec.to_dict()
    out.update(site_id=site_id, shared=cmd.shared, priority=spec.priority)
    action = "queue.update" if exists else "queue.create"
    tx.audit(action, "queue", queue_id, site_id, before, dict(out))
    out["status"] = tx.router.queue_status(queue_id)
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class RoutingDomains:
    """The routing domains of the cluster (``KEFU_ROUTING_DOMAINS``) and this router's own
    (``KEFU_ROUTING_DOMAIN``): an overflow step may hand contacts to the others."""

    own: str
    cluster: frozenset[str]

    @property
    def others(self) -> list[str]:
        return sorted(self.cluster - {self.own})


def queue_definer(domains: RoutingDomains | None) -> Handler:
    """:func:`define_queue` that first checks that each overflow step naming a routing
    domain names another domain of the cluster (``None``: this server is in no cluster,
    so no step may name one)."""

    async def handle(tx: Transaction, cmd: c.DefineQueue) -> dict[str, Any]:
        others = [] if domains is None else domains.others
        for step in cmd.spec.overflow:
            if step.domain is not None and step.domain not in others:
                raise UnknownRoutingDomain(
                    f"overflow of {cmd.spec.queue_id} names routing domain {step.domain!r}, "
                    f"which is not another domain of the cluster (known: {', '.join(others)})",
                    field="overflow",
                    domain=step.domain,
                    known=", ".join(others) or "-",
                )
        return await define_queue(tx, cmd)

    return handle


def _queue_config(tx: Transaction, queue_id: str) -> dict[str, Any]:
    """A queue's configuration (no live status), for the audit log."""
    out = views.queue_view(tx.engine, queue_id)
    del out["status"]
    return out


async def define_agent(tx: Transaction, cmd: c.DefineAgent) -> dict[str, Any]:
    _require_site(tx, cmd.spec.site_id)
    agent_id = cmd.spec.agent_id
    _check_id(agent_id, "agent_id")
    exists = agent_id in tx.router.agents
    if cmd.create and exists:
        raise AlreadyExists(
            f"agent {agent_id} already exists",
            text_key="error.id_taken",
            field="agent_id",
            agent_id=agent_id,
            id=agent_id,
        )
    if not cmd.create and not exists:
        raise UnknownAgent(f"unknown agent {agent_id!r}", agent_id=agent_id)
    before = tx.router.agents[agent_id].spec.to_dict() if exists else None
    tx.router.define_agent(cmd.spec, tx.now)
    spec, now = cmd.spec, tx.now
    tx.stage(lambda uow: uow.agents.upsert(spec, now))
    action = "agent.update" if exists else "agent.create"
    tx.audit(action, "agent", agent_id, spec.site_id, before, spec.to_dict())
    return views.agent_view(tx.engine, agent_id)


async def update_queue(tx: Transaction, cmd: c.UpdateQueue) -> dict[str, Any]:
    record = tx.router.queues.get(cmd.queue_id)
    if record is None:
        raise UnknownQueue(f"unknown queue {cmd.queue_id!r}", queue_id=cmd.queue_id)
    changes = dict(cmd.changes)
    row = tx.queue_rows.get(cmd.queue_id)
    site_id: str | None = changes.pop("site_id", None) or (
        row.site_id if row else record.spec.site_id
    )
    if site_id is None:
        raise DomainValidationError("a site_id is required", field="site_id")
    shared = changes.pop("shared", None)
    if shared is None:
        shared = row.shared if row else False
    spec = QueueSpec.from_dict({**record.spec.to_dict(), **changes, "queue_id": cmd.queue_id})
    result: dict[str, Any] = await tx.dispatch(c.DefineQueue(spec, site_id, shared, create=False))
    return result


async def update_agent(tx: Transaction, cmd: c.UpdateAgent) -> dict[str, Any]:
    record = tx.router.agents.get(cmd.agent_id)
    if record is None:
        raise UnknownAgent(f"unknown agent {cmd.agent_id!r}", agent_id=cmd.agent_id)
    merged = {**record.spec.to_dict(), **cmd.changes, "agent_id": cmd.agent_id}
    result: dict[str, Any] = await tx.dispatch(
        c.DefineAgent(AgentSpec.from_dict(merged), create=False)
    )
    return result
