"""Handlers of the routing commands: validate, act on the router, stage the projection
writes (their table: :func:`routing_handlers`).

A handler checks everything that can refuse the command before it changes the router, so
a refused command writes nothing. The events the router emitted are drained and stored by
the engine (:mod:`kefu.service.engine`) together with the writes staged here.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.domain.errors import AlreadyExists, UnknownAgent, UnknownContact, UnknownQueue
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.model import AgentSpec, ContactSpec, QueueSpec
from kefu.service.engine_state import EngineState
from kefu.service.errors import IdempotencyKeyReused, UnknownSite
from kefu.service.idempotency import UNSETTLED, KeyProbe
from kefu.service.ports import IdempotencyRecord, QueueRow, Site
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.routing.phones import PhoneBook
from kefu.service.transaction import HandlerTable, Transaction

__all__ = ["routing_handlers"]

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


def _require_contact(tx: Transaction, contact_id: str) -> None:
    if contact_id not in tx.router.contacts:
        raise UnknownContact(f"unknown contact {contact_id!r}", contact_id=contact_id)


# -- configuration ----------------------------------------------------------------------
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
    out.update(site_id=site_id, shared=cmd.shared)
    action = "queue.update" if exists else "queue.create"
    tx.audit(action, "queue", queue_id, site_id, before, dict(out))
    out["status"] = tx.router.queue_status(queue_id)
    return out


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


async def set_agent_state(tx: Transaction, cmd: c.SetAgentState) -> dict[str, Any]:
    tx.router.set_presence(cmd.agent_id, cmd.presence, tx.now, cmd.reason)
    return views.agent_view(tx.engine, cmd.agent_id)


# -- contacts ---------------------------------------------------------------------------
async def probe_contact_key(engine: EngineState, cmd: c.CreateContact) -> KeyProbe | None:
    """The store's answer for the idempotency key, read before the lock: a database round
    trip under the lock would hold up every other command."""
    key = cmd.idempotency_key
    if key is None or engine.keys.known(key) is not None:
        return None
    return await engine.probe_key(key)


async def create_contact(tx: Transaction, cmd: c.CreateContact) -> dict[str, Any]:
    """Returns the contact's view with ``position`` and ``replayed`` (True when an earlier
    request with the same idempotency key already created it)."""
    key = cmd.idempotency_key
    if key is not None:
        probe: KeyProbe | None = tx.prepared
        found = tx.engine.keys.known(key) if probe is None else tx.engine.keys.settle(probe)
        if found is UNSETTLED or (found is None and probe is None):
            found = await tx.read(lambda uow: uow.idempotency.get(key))
        if isinstance(found, IdempotencyRecord):
            if found.request_hash != cmd.request_hash:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used for a different request", key=key
                )
            return {**found.response, "replayed": True}
    if cmd.queue_id not in tx.router.queues:
        raise UnknownQueue(f"unknown queue {cmd.queue_id!r}", queue_id=cmd.queue_id)
    spec = ContactSpec(
        tx.engine.new_id(),
        cmd.queue_id,
        value_tier=cmd.value_tier,
        priority=cmd.priority,
        customer_id=cmd.customer_id,
        attributes=cmd.attributes,
    )
    queued = tx.router.enqueue(spec, tx.now)
    response = views.contact_view(tx.engine, spec.contact_id)
    response["position"] = queued.position
    if key is not None:
        tx.remember(IdempotencyRecord(key, cmd.request_hash, spec.contact_id, response, tx.now))
    return {**response, "replayed": False}


async def accept_offer(tx: Transaction, cmd: c.AcceptOffer) -> dict[str, Any]:
    _require_contact(tx, cmd.contact_id)
    _offer_of(cmd.contact_id, cmd.offer_id)
    tx.router.accept(cmd.offer_id, tx.now, cmd.agent_id)
    return views.contact_view(tx.engine, cmd.contact_id)


async def reject_offer(tx: Transaction, cmd: c.RejectOffer) -> dict[str, Any]:
    _require_contact(tx, cmd.contact_id)
    _offer_of(cmd.contact_id, cmd.offer_id)
    tx.router.reject(cmd.offer_id, tx.now, cmd.agent_id)
    return views.contact_view(tx.engine, cmd.contact_id)


def _offer_of(contact_id: str, offer_id: str) -> None:
    if offer_id.rpartition("/")[0] != contact_id:
        raise DomainValidationError(
            f"offer {offer_id} is not an offer of contact {contact_id}",
            field="offer_id",
            offer_id=offer_id,
        )


async def assign_contact(tx: Transaction, cmd: c.AssignContact) -> dict[str, Any]:
    tx.router.assign(cmd.contact_id, cmd.agent_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def hold_contact(tx: Transaction, cmd: c.HoldContact) -> dict[str, Any]:
    tx.router.hold(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def resume_contact(tx: Transaction, cmd: c.ResumeContact) -> dict[str, Any]:
    tx.router.resume(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def transfer_contact(tx: Transaction, cmd: c.TransferContact) -> dict[str, Any]:
    tx.router.transfer(
        cmd.contact_id, tx.now, to_queue=cmd.to_queue_id, to_agent=cmd.to_agent_id, note=cmd.note
    )
    return views.contact_view(tx.engine, cmd.contact_id)


async def complete_contact(tx: Transaction, cmd: c.CompleteContact) -> dict[str, Any]:
    tx.router.complete(cmd.contact_id, tx.now, cmd.disposition)
    return views.contact_view(tx.engine, cmd.contact_id)


async def end_wrapup(tx: Transaction, cmd: c.EndWrapup) -> dict[str, Any]:
    tx.router.end_wrapup(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def abandon_contact(tx: Transaction, cmd: c.AbandonContact) -> dict[str, Any]:
    tx.router.abandon(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def request_callback(tx: Transaction, cmd: c.RequestCallback) -> dict[str, Any]:
    tx.router.request_callback(cmd.contact_id, tx.now, cmd.number)
    return views.contact_view(tx.engine, cmd.contact_id)


async def record_call(tx: Transaction, cmd: c.RecordCall) -> dict[str, Any]:
    tx.router.record_call(cmd.contact_id, tx.now, cmd.recording)
    return views.contact_view(tx.engine, cmd.contact_id)


def _supervising(phones: PhoneBook | None) -> dict[type[c.Command], Any]:
    """The handlers of a supervisor joining a call: refused at once when *phones* says
    the supervisor has no registered phone to ring (None: not checked)."""

    def check(supervisor: str) -> None:
        if phones is not None:
            phones.require(supervisor)

    async def listen_to_call(tx: Transaction, cmd: c.ListenToCall) -> dict[str, Any]:
        check(cmd.supervisor)
        tx.router.listen_to_call(cmd.contact_id, tx.now, cmd.supervisor)
        return views.contact_view(tx.engine, cmd.contact_id)

    async def whisper_to_call(tx: Transaction, cmd: c.WhisperToCall) -> dict[str, Any]:
        check(cmd.supervisor)
        tx.router.whisper_to_call(cmd.contact_id, tx.now, cmd.supervisor)
        return views.contact_view(tx.engine, cmd.contact_id)

    async def barge_into_call(tx: Transaction, cmd: c.BargeIntoCall) -> dict[str, Any]:
        check(cmd.supervisor)
        tx.router.barge_into_call(cmd.contact_id, tx.now, cmd.supervisor)
        return views.contact_view(tx.engine, cmd.contact_id)

    return {
        c.ListenToCall: listen_to_call,
        c.WhisperToCall: whisper_to_call,
        c.BargeIntoCall: barge_into_call,
    }


def routing_handlers(phones: PhoneBook | None = None) -> HandlerTable:
    """The table of the routing commands (configuration and contacts); *phones* checks
    that a supervisor joining a call has a phone to ring."""
    return HandlerTable(
        {
            c.CreateSite: create_site,
            c.UpdateSite: update_site,
            c.DefineQueue: define_queue,
            c.DefineAgent: define_agent,
            c.UpdateQueue: update_queue,
            c.UpdateAgent: update_agent,
            c.SetAgentState: set_agent_state,
            c.CreateContact: create_contact,
            c.AcceptOffer: accept_offer,
            c.RejectOffer: reject_offer,
            c.AssignContact: assign_contact,
            c.HoldContact: hold_contact,
            c.ResumeContact: resume_contact,
            c.TransferContact: transfer_contact,
            c.CompleteContact: complete_contact,
            c.EndWrapup: end_wrapup,
            c.AbandonContact: abandon_contact,
            c.RequestCallback: request_callback,
            c.RecordCall: record_call,
            **_supervising(phones),
        },
        {
            c.CreateContact: probe_contact_key,
        },
    )
