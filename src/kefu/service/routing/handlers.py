"""Handlers of the routing commands: validate, act on the router, stage the projection
writes (their table: :func:`routing_handlers`).

A handler checks everything that can refuse the command before it changes the router, so
a refused command writes nothing. The events the router emitted are drained and stored by
the engine (:mod:`kefu.service.engine`) together with the writes staged here.
"""

from __future__ import annotations

from typing import Any

from kefu.domain.errors import UnknownContact, UnknownQueue
from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.model import ContactSpec
from kefu.service.engine_state import EngineState
from kefu.service.errors import IdempotencyKeyReused
from kefu.service.idempotency import UNSETTLED, KeyProbe
from kefu.service.ports import IdempotencyRecord
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.routing.archive import play_recording, prepare_play
from kefu.service.routing.config_handlers import (
    RoutingDomains,
    create_site,
    define_agent,
    queue_definer,
    update_agent,
    update_queue,
    update_site,
)
from kefu.service.routing.phones import PhoneBook
from kefu.service.transaction import HandlerTable, Transaction

__all__ = ["probe_contact_key", "recorded_creation", "routing_handlers"]


def _require_contact(tx: Transaction, contact_id: str) -> None:
    if contact_id not in tx.router.contacts:
        raise UnknownContact(f"unknown contact {contact_id!r}", contact_id=contact_id)


async def choose_endpoint(tx: Transaction, cmd: c.ChooseEndpoint) -> dict[str, Any]:
    changed = tx.router.choose_endpoint(cmd.agent_id, cmd.endpoint, tx.now)
    return {"agent_id": cmd.agent_id, "endpoint": cmd.endpoint, "changed": changed}


async def set_agent_state(tx: Transaction, cmd: c.SetAgentState) -> dict[str, Any]:
    actor = tx.actor
    by_other = actor is not None and actor.agent_id != cmd.agent_id
    before = views.agent_view(tx.engine, cmd.agent_id) if by_other else None
    tx.router.set_presence(cmd.agent_id, cmd.presence, tx.now, cmd.reason)
    after = views.agent_view(tx.engine, cmd.agent_id)
    if before is not None:
        tx.audit(
            "agent.state",
            "agent",
            cmd.agent_id,
            after.get("site_id"),
            _state_of(before),
            {**_state_of(after), "note": cmd.note},
        )
    return after


def _state_of(view: dict[str, Any]) -> dict[str, Any]:
    """The state fields of an agent's view (for the audit log)."""
    return {k: view.get(k) for k in ("presence", "reason", "pending")}


# -- contacts ---------------------------------------------------------------------------
async def probe_contact_key(engine: EngineState, cmd: c.CreateContact) -> KeyProbe | None:
    """The store's answer for the idempotency key, read before the lock: a database round
    trip under the lock would hold up every other command."""
    key = cmd.idempotency_key
    if key is None or engine.keys.known(key) is not None:
        return None
    return await engine.probe_key(key)


async def recorded_creation(
    tx: Transaction, key: str, request_hash: str
) -> IdempotencyRecord | None:
    """What an earlier creation under ``key`` answered (``tx.prepared``: the probe of
    :func:`probe_contact_key`, if any), or None; :class:`IdempotencyKeyReused` when it was
    another request."""
    probe: KeyProbe | None = tx.prepared
    found = tx.engine.keys.known(key) if probe is None else tx.engine.keys.settle(probe)
    if found is UNSETTLED or (found is None and probe is None):
        found = await tx.read(lambda uow: uow.idempotency.get(key))
    if not isinstance(found, IdempotencyRecord):
        return None
    if found.request_hash != request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request", key=key)
    return found


async def create_contact(tx: Transaction, cmd: c.CreateContact) -> dict[str, Any]:
    """Returns the contact's view with ``position`` and ``replayed`` (True when an earlier
    request with the same idempotency key already created it)."""
    key = cmd.idempotency_key
    if key is not None:
        found = await recorded_creation(tx, key, cmd.request_hash)
        if found is not None:
            return {**found.response, "replayed": True}
    queue = tx.router.queues.get(cmd.queue_id)
    if queue is None:
        raise UnknownQueue(f"unknown queue {cmd.queue_id!r}", queue_id=cmd.queue_id)
    # The tier's routing effect (kefu.domain.tiers), applied once here: the router is
    # given a rank and a priority, and never reads the configuration.
    rank, priority, attributes = tx.engine.contact_class(
        cmd.value_tier, cmd.priority, cmd.attributes
    )
    spec = ContactSpec(
        tx.engine.new_id(),
        cmd.queue_id,
        value_tier=rank,
        # The queue's priority shifts every contact of the queue against other queues.
        priority=priority + queue.spec.priority,
        customer_id=cmd.customer_id,
        attributes=attributes,
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


async def mute_call(tx: Transaction, cmd: c.MuteCall | c.UnmuteCall) -> dict[str, Any]:
    tx.router.mute(cmd.contact_id, tx.now, isinstance(cmd, c.MuteCall))
    return views.contact_view(tx.engine, cmd.contact_id)


async def send_digits(tx: Transaction, cmd: c.SendDigits) -> dict[str, Any]:
    tx.router.send_digits(cmd.contact_id, tx.now, cmd.digits)
    return views.contact_view(tx.engine, cmd.contact_id)


async def consult_contact(tx: Transaction, cmd: c.ConsultContact) -> dict[str, Any]:
    tx.router.start_consult(
        cmd.contact_id, tx.now, to_queue=cmd.to_queue_id, to_agent=cmd.to_agent_id
    )
    return views.contact_view(tx.engine, cmd.contact_id)


async def cancel_consult(tx: Transaction, cmd: c.CancelConsult) -> dict[str, Any]:
    if cmd.reason not in ("cancelled", "target_gone"):
        raise DomainValidationError("reason must be cancelled or target_gone", reason=cmd.reason)
    tx.router.cancel_consult(cmd.contact_id, tx.now, cmd.reason)
    return views.contact_view(tx.engine, cmd.contact_id)


async def complete_consult(tx: Transaction, cmd: c.CompleteConsult) -> dict[str, Any]:
    tx.router.complete_consult(cmd.contact_id, tx.now, cmd.note)
    return views.contact_view(tx.engine, cmd.contact_id)


async def start_conference(tx: Transaction, cmd: c.StartConference) -> dict[str, Any]:
    tx.router.start_conference(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def end_conference(tx: Transaction, cmd: c.EndConference) -> dict[str, Any]:
    tx.router.end_conference(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def transfer_contact(tx: Transaction, cmd: c.TransferContact) -> dict[str, Any]:
    tx.router.transfer(
        cmd.contact_id, tx.now, to_queue=cmd.to_queue_id, to_agent=cmd.to_agent_id, note=cmd.note
    )
    return views.contact_view(tx.engine, cmd.contact_id)


async def transfer_out(tx: Transaction, cmd: c.TransferOut) -> dict[str, Any]:
    tx.router.transfer_out(
        cmd.contact_id,
        tx.now,
        to_domain=cmd.to_domain,
        to_queue=cmd.to_queue_id,
        remote_contact_id=cmd.remote_contact_id,
        note=cmd.note,
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


async def pause_recording(tx: Transaction, cmd: c.PauseRecording) -> dict[str, Any]:
    tx.router.pause_recording(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def resume_recording(tx: Transaction, cmd: c.ResumeRecording) -> dict[str, Any]:
    tx.router.resume_recording(cmd.contact_id, tx.now)
    return views.contact_view(tx.engine, cmd.contact_id)


async def delete_recording(tx: Transaction, cmd: c.DeleteRecording) -> dict[str, Any]:
    tx.router.delete_recording(cmd.contact_id, tx.now, cmd.recording, cmd.reason)
    return {"contact_id": cmd.contact_id, "recording": cmd.recording, "reason": cmd.reason}


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


def routing_handlers(
    phones: PhoneBook | None = None, domains: RoutingDomains | None = None
) -> HandlerTable:
    """The table of the routing commands (configuration and contacts); *phones* checks
    that a supervisor joining a call has a phone to ring; *domains*: the cluster's routing
    domains an overflow step may name (``None``: none)."""
    return HandlerTable(
        {
            c.CreateSite: create_site,
            c.UpdateSite: update_site,
            c.DefineQueue: queue_definer(domains),
            c.DefineAgent: define_agent,
            c.UpdateQueue: update_queue,
            c.UpdateAgent: update_agent,
            c.SetAgentState: set_agent_state,
            c.ChooseEndpoint: choose_endpoint,
            c.CreateContact: create_contact,
            c.AcceptOffer: accept_offer,
            c.RejectOffer: reject_offer,
            c.AssignContact: assign_contact,
            c.HoldContact: hold_contact,
            c.ResumeContact: resume_contact,
            c.MuteCall: mute_call,
            c.UnmuteCall: mute_call,
            c.SendDigits: send_digits,
            c.TransferContact: transfer_contact,
            c.ConsultContact: consult_contact,
            c.CancelConsult: cancel_consult,
            c.CompleteConsult: complete_consult,
            c.StartConference: start_conference,
            c.EndConference: end_conference,
            c.TransferOut: transfer_out,
            c.CompleteContact: complete_contact,
            c.EndWrapup: end_wrapup,
            c.AbandonContact: abandon_contact,
            c.RequestCallback: request_callback,
            c.RecordCall: record_call,
            c.PauseRecording: pause_recording,
            c.ResumeRecording: resume_recording,
            c.PlayRecording: play_recording,
            c.DeleteRecording: delete_recording,
            **_supervising(phones),
        },
        {
            c.CreateContact: probe_contact_key,
            c.PlayRecording: prepare_play,
        },
    )
