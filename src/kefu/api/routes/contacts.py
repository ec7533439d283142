"""``/api/v1/contacts``: create (idempotent), read, list, and act on offers and
conversations."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

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
from kefu.domain.model import ContactState
from kefu.service import commands as c
from kefu.service import views

__all__ = ["router"]

router = APIRouter(prefix="/contacts", tags=["contacts"])
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
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ContactPublic:
    """A contact arrives in a queue; answered with its state, predicted wait and place in
    line. 新联系进入队列。"""
    fingerprint = hashlib.sha256(
        json.dumps(body.model_dump(), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    made = await engine.execute(
        c.CreateContact(
            body.queue_id,
            value_tier=body.value_tier,
            priority=body.priority,
            customer_id=body.customer_id,
            attributes=body.attributes,
            idempotency_key=idempotency_key,
            request_hash=fingerprint,
        )
    )
    if made.pop("replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/contacts/{made['contact_id']}"
    return ContactPublic.model_validate(made)


@router.get("")
async def list_contacts(
    engine: EngineDep,
    site_id: SiteFilter = None,
    queue_id: str | None = None,
    state: ContactState | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ContactPublic]:
    """Contacts in creation order, by site, current queue and state."""
    page = await engine.query(views.list_contacts, site_id, queue_id, state, limit, offset)
    return to_page(ContactPublic, page)


@router.get("/{contact_id}", responses=ERRORS)
async def get_contact(contact_id: str, engine: EngineDep) -> ContactPublic:
    return ContactPublic.model_validate(await engine.query(views.get_contact, contact_id))


async def _run(engine: EngineDep, command: c.Command) -> ContactPublic:
    return ContactPublic.model_validate(await engine.execute(command))


@router.post("/{contact_id}/accept", responses=ERRORS)
async def accept(contact_id: str, body: OfferAction, engine: EngineDep) -> ContactPublic:
    """The agent takes the offer (409 when it expired or went elsewhere). 接受。"""
    return await _run(engine, c.AcceptOffer(contact_id, body.offer_id, body.agent_id))


@router.post("/{contact_id}/reject", responses=ERRORS)
async def reject(contact_id: str, body: OfferAction, engine: EngineDep) -> ContactPublic:
    """The agent declines; the contact goes to the next agent. 拒绝。"""
    return await _run(engine, c.RejectOffer(contact_id, body.offer_id, body.agent_id))


@router.post("/{contact_id}/assign", responses=ERRORS)
async def assign(contact_id: str, body: AssignRequest, engine: EngineDep) -> ContactPublic:
    """Offer a waiting contact to a named agent (409 at full capacity). 手动分配。"""
    return await _run(engine, c.AssignContact(contact_id, body.agent_id))


@router.post("/{contact_id}/hold", responses=ERRORS)
async def hold(contact_id: str, engine: EngineDep) -> ContactPublic:
    return await _run(engine, c.HoldContact(contact_id))


@router.post("/{contact_id}/resume", responses=ERRORS)
async def resume(contact_id: str, engine: EngineDep) -> ContactPublic:
    return await _run(engine, c.ResumeContact(contact_id))


@router.post("/{contact_id}/transfer", responses=ERRORS)
async def transfer(contact_id: str, body: TransferRequest, engine: EngineDep) -> ContactPublic:
    """Send to a queue or a named agent with a hand-off note; attributes travel along."""
    return await _run(
        engine, c.TransferContact(contact_id, body.to_queue_id, body.to_agent_id, body.note)
    )


@router.post("/{contact_id}/complete", responses=ERRORS)
async def complete(
    contact_id: str, engine: EngineDep, body: CompleteRequest | None = None
) -> ContactPublic:
    """End the conversation; wrap-up follows. 结束通话。"""
    disposition = body.disposition if body is not None else None
    return await _run(engine, c.CompleteContact(contact_id, disposition))


@router.post("/{contact_id}/end-wrapup", responses=ERRORS)
async def end_wrapup(contact_id: str, engine: EngineDep) -> ContactPublic:
    return await _run(engine, c.EndWrapup(contact_id))


@router.post("/{contact_id}/abandon", responses=ERRORS)
async def abandon(contact_id: str, engine: EngineDep) -> ContactPublic:
    """The customer left before being answered. 客户放弃。"""
    return await _run(engine, c.AbandonContact(contact_id))


@router.post("/{contact_id}/callback", responses=ERRORS)
async def callback(
    contact_id: str, engine: EngineDep, body: CallbackRequest | None = None
) -> ContactPublic:
    """Virtual hold: keep the place in line and be called back. 预约回拨。"""
    return await _run(engine, c.RequestCallback(contact_id, body.number if body else None))
