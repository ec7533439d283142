"""``/api/v1/contacts``: create (idempotent), read, list, and act on offers and
conversations.

Agents act on the contacts offered to them or held by them; supervisors on those of their
sites; creating, abandoning and assigning contacts is for supervisors and admins (and
their integration tokens). Every read of a contact is written to the audit log."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import FileResponse

from kefu.api.audit_reads import record_reads
from kefu.api.deps import EngineDep, Limit, Offset, SiteFilter
from kefu.api.routes._common import ERRORS, to_page
from kefu.api.schemas import (
    AssignRequest,
    CallbackRequest,
    CompleteRequest,
    ContactCreate,
    ContactPublic,
    OfferAction,
    Page,
    TransferRequest,
)
from kefu.api.security import CurrentUser, Reader
from kefu.domain.errors import NoRecording
from kefu.domain.model import ContactState
from kefu.service import RoutingEngine, routing, security
from kefu.service.security import Principal, Role, Scope

__all__ = ["router"]

router = APIRouter(prefix="/contacts", tags=["contacts"])
SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        description="a retried POST with the same key returns the first answer",
    ),
]


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_contact(
    body: ContactCreate,
    engine: EngineDep,
    user: CurrentUser,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ContactPublic:
    """A contact arrives in a queue of the caller's sites (or a shared one); answered with
    its state, predicted wait and place in line. 新联系进入队列。"""

    def authorize(e: RoutingEngine) -> None:
        security.require_scope(user, Scope.CONTACTS_WRITE)
        security.require_role(user, Role.SUPERVISOR, Role.ADMIN)
        security.check_queue(e, user, body.queue_id)

    fingerprint = hashlib.sha256(
        json.dumps(body.model_dump(), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    made = await engine.execute(
        routing.CreateContact(
            body.queue_id,
            value_tier=body.value_tier,
            priority=body.priority,
            customer_id=body.customer_id,
            attributes=body.attributes,
            idempotency_key=_scoped_key(user, idempotency_key),
            request_hash=fingerprint,
        ),
        authorize=authorize,
    )
    if made.pop("replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/contacts/{made['contact_id']}"
    return ContactPublic.model_validate(made)


def _scoped_key(user: Principal, key: str | None) -> str | None:
    """Idempotency keys are kept per user, so one caller cannot replay another's answer."""
    if key is None:
        return None
    scoped = f"{user.user_id}:{key}"
    if len(scoped) > 255:
        scoped = f"{user.user_id}:{hashlib.sha256(key.encode()).hexdigest()}"
    return scoped


@router.get("", responses=ERRORS)
async def list_contacts(
    engine: EngineDep,
    user: Reader,
    request: Request,
    site_id: SiteFilter = None,
    queue_id: str | None = None,
    state: ContactState | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ContactPublic]:
    """Contacts the caller sees in creation order, by site, current queue and state (an
    agent: its own)."""
    page = await engine.query(
        routing.list_contacts, site_id, queue_id, state, limit, offset, user.visibility
    )
    await record_reads(engine, user, page.items, request, action="contact.list")
    return to_page(ContactPublic, page)


@router.get("/{contact_id}", responses=ERRORS)
async def get_contact(
    contact_id: str, engine: EngineDep, user: Reader, request: Request
) -> ContactPublic:
    view = security.checked(
        lambda e: security.check_contact(e, user, contact_id, read=True),
        lambda e: routing.get_contact(e, contact_id),
    )
    found = await engine.query(view)
    await record_reads(engine, user, [found], request)
    return ContactPublic.model_validate(found)


async def _run(
    engine: RoutingEngine,
    user: Principal,
    command: routing.Command,
    contact_id: str,
    *,
    roles: tuple[Role, ...] = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN),
    on_behalf_of: str | None = None,
    to_queue: str | None = None,
    to_agent: str | None = None,
) -> ContactPublic:
    authorize = security.contact_action(
        user,
        contact_id,
        roles=roles,
        on_behalf_of=on_behalf_of,
        to_queue=to_queue,
        to_agent=to_agent,
    )
    return ContactPublic.model_validate(await engine.execute(command, authorize=authorize))


def _acting_agent(user: Principal, named: str | None) -> str | None:
    """The agent an offer is answered for: an agent user answers for itself."""
    if user.role is Role.AGENT:
        return named or user.agent_id
    return named


@router.post("/{contact_id}/accept", responses=ERRORS)
async def accept(
    contact_id: str, body: OfferAction, engine: EngineDep, user: CurrentUser
) -> ContactPublic:
    """The agent takes the offer (409 when it expired or went elsewhere). 接受。"""
    agent = _acting_agent(user, body.agent_id)
    command = routing.AcceptOffer(contact_id, body.offer_id, agent)
    return await _run(engine, user, command, contact_id, on_behalf_of=agent)


@router.post("/{contact_id}/reject", responses=ERRORS)
async def reject(
    contact_id: str, body: OfferAction, engine: EngineDep, user: CurrentUser
) -> ContactPublic:
    """The agent declines; the contact goes to the next agent. 拒绝。"""
    agent = _acting_agent(user, body.agent_id)
    command = routing.RejectOffer(contact_id, body.offer_id, agent)
    return await _run(engine, user, command, contact_id, on_behalf_of=agent)


@router.post("/{contact_id}/assign", responses=ERRORS)
async def assign(
    contact_id: str, body: AssignRequest, engine: EngineDep, user: CurrentUser
) -> ContactPublic:
    """Offer a waiting contact to a named agent (409 at full capacity); supervisors and
    admins. 手动分配。"""
    command = routing.AssignContact(contact_id, body.agent_id)
    return await _run(engine, user, command, contact_id, roles=SUPERVISING, to_agent=body.agent_id)


@router.post("/{contact_id}/hold", responses=ERRORS)
async def hold(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    return await _run(engine, user, routing.HoldContact(contact_id), contact_id)


@router.post("/{contact_id}/resume", responses=ERRORS)
async def resume(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    return await _run(engine, user, routing.ResumeContact(contact_id), contact_id)


@router.post("/{contact_id}/transfer", responses=ERRORS)
async def transfer(
    contact_id: str, body: TransferRequest, engine: EngineDep, user: CurrentUser
) -> ContactPublic:
    """Send to a queue or a named agent with a hand-off note; attributes travel along."""
    command = routing.TransferContact(contact_id, body.to_queue_id, body.to_agent_id, body.note)
    return await _run(
        engine, user, command, contact_id, to_queue=body.to_queue_id, to_agent=body.to_agent_id
    )


@router.post("/{contact_id}/complete", responses=ERRORS)
async def complete(
    contact_id: str, engine: EngineDep, user: CurrentUser, body: CompleteRequest | None = None
) -> ContactPublic:
    """End the conversation; wrap-up follows. 结束通话。"""
    disposition = body.disposition if body is not None else None
    return await _run(engine, user, routing.CompleteContact(contact_id, disposition), contact_id)


@router.post("/{contact_id}/end-wrapup", responses=ERRORS)
async def end_wrapup(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    return await _run(engine, user, routing.EndWrapup(contact_id), contact_id)


@router.post("/{contact_id}/abandon", responses=ERRORS)
async def abandon(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    """The customer left before being answered (a channel integration tells it);
    supervisors and admins. 客户放弃。"""
    return await _run(
        engine, user, routing.AbandonContact(contact_id), contact_id, roles=SUPERVISING
    )


@router.post("/{contact_id}/listen", responses=ERRORS)
async def listen(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    """Listen silently to the contact's call on one's registered phone (the SIP user is
    the login); supervisors and admins. 监听通话。"""
    command = routing.ListenToCall(contact_id, user.username)
    return await _run(engine, user, command, contact_id, roles=SUPERVISING)


@router.post("/{contact_id}/whisper", responses=ERRORS)
async def whisper(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    """Speak to the agent of the contact's call on one's registered phone, unheard by the
    customer; supervisors and admins. 耳语（仅坐席可听到）。"""
    command = routing.WhisperToCall(contact_id, user.username)
    return await _run(engine, user, command, contact_id, roles=SUPERVISING)


@router.post("/{contact_id}/barge", responses=ERRORS)
async def barge(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    """Join the contact's call on one's registered phone, heard by the customer and the
    agent; supervisors and admins. 强插通话。"""
    command = routing.BargeIntoCall(contact_id, user.username)
    return await _run(engine, user, command, contact_id, roles=SUPERVISING)


@router.post("/{contact_id}/callback", responses=ERRORS)
async def callback(
    contact_id: str, engine: EngineDep, user: CurrentUser, body: CallbackRequest | None = None
) -> ContactPublic:
    """Virtual hold: keep the place in line and be called back. 预约回拨。"""
    command = routing.RequestCallback(contact_id, body.number if body else None)
    return await _run(engine, user, command, contact_id)


@router.post("/{contact_id}/recording/pause", responses=ERRORS)
async def pause_recording(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    """Pause the call's recording while the customer says a card number (silence is
    recorded; logged). 暂停录音。"""
    return await _run(engine, user, routing.PauseRecording(contact_id), contact_id)


@router.post("/{contact_id}/recording/resume", responses=ERRORS)
async def resume_recording(contact_id: str, engine: EngineDep, user: CurrentUser) -> ContactPublic:
    """Resume the call's paused recording (logged). 恢复录音。"""
    return await _run(engine, user, routing.ResumeRecording(contact_id), contact_id)


@router.get("/{contact_id}/recording", responses=ERRORS, response_class=FileResponse)
async def play_recording(
    contact_id: str, engine: EngineDep, user: Reader, request: Request
) -> FileResponse:
    """The contact's call recording, a stereo WAV (caller left, agent right): an agent its
    own contacts', a supervisor its sites', an admin any. Every access is logged
    (``RecordingPlayed``). 播放通话录音。"""
    directory = request.app.state.settings.sip_call_recordings_dir
    command = routing.PlayRecording(contact_id, user.username)
    # A contact the router has forgotten is checked on the store's record of it.
    archived = await routing.forgotten_contact(engine, contact_id)
    authorize = security.play_rights(user, command, archived)
    played = await engine.execute(command, authorize=authorize)
    name = str(played["recording"])
    path = Path(directory or ".") / name
    if not directory or Path(name).name != name or not path.is_file():
        raise NoRecording(
            f"the recording of contact {contact_id} is not on this server",
            text_key="error.no_recording",
            contact_id=contact_id,
        )
    return FileResponse(path, media_type="audio/wav", filename=name)
