"""``/api/v1/queues``: queues, their configuration (admins), live status and waiting
contacts (of the caller's sites and shared queues)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from kefu.api.audit_reads import record_reads
from kefu.api.deps import EngineDep, Limit, Offset, SiteFilter
from kefu.api.routes._common import ERRORS, to_page
from kefu.api.schemas import ContactPublic, Page, QueueCreate, QueuePublic, QueueUpdate
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.domain.model import OverflowStep, QueueSpec
from kefu.service import routing, security

__all__ = ["router"]

router = APIRouter(prefix="/queues", tags=["queues"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_queue(
    body: QueueCreate, engine: EngineDep, admin: RequireAdmin, request: Request
) -> QueuePublic:
    """Create a queue of a site (``shared``: other sites see and serve it); admins only.
    创建队列（仅管理员）。"""
    spec = QueueSpec(
        body.queue_id,
        body.channel,
        body.skills,
        sl_target=body.sl_target,
        sl_threshold_s=body.sl_threshold_s,
        wrapup_s=body.wrapup_s,
        short_abandon_s=body.short_abandon_s,
        aht_s=body.aht_s,
        overflow=tuple(OverflowStep(**s.model_dump()) for s in body.overflow),
        name=body.name,
        site_id=body.site_id,
        priority=body.priority,
    )
    made = await engine.execute(
        routing.DefineQueue(spec, body.site_id, body.shared),
        actor=admin,
        client=client_address(request),
    )
    return QueuePublic.model_validate(made)


@router.get("", responses=ERRORS)
async def list_queues(
    engine: EngineDep,
    user: Reader,
    site_id: SiteFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[QueuePublic]:
    """Queues of a site and those shared with it (all the caller sees without
    ``site_id``)."""
    page = await engine.query(routing.list_queues, site_id, limit, offset, user.visibility)
    return to_page(QueuePublic, page)


@router.get("/{queue_id}", responses=ERRORS)
async def get_queue(queue_id: str, engine: EngineDep, user: Reader) -> QueuePublic:
    view = security.checked(
        lambda e: security.check_queue(e, user, queue_id), lambda e: routing.get_queue(e, queue_id)
    )
    return QueuePublic.model_validate(await engine.query(view))


@router.patch("/{queue_id}", responses=ERRORS)
async def update_queue(
    queue_id: str, body: QueueUpdate, engine: EngineDep, admin: RequireAdmin, request: Request
) -> QueuePublic:
    """Change a queue; refused (409) while contacts wait in it; admins only. 修改队列。"""
    changes = body.model_dump(exclude_unset=True)
    for key in [k for k, v in changes.items() if v is None]:
        del changes[key]
    made = await engine.execute(
        routing.UpdateQueue(queue_id, changes), actor=admin, client=client_address(request)
    )
    return QueuePublic.model_validate(made)


@router.get("/{queue_id}/waiting", responses=ERRORS)
async def waiting_contacts(
    queue_id: str,
    engine: EngineDep,
    user: Reader,
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ContactPublic]:
    """Contacts waiting in the queue, in the order they will be served (each read is
    audited). 排队中的联系。"""
    page = await engine.query(routing.waiting_contacts, queue_id, limit, offset, user.visibility)
    await record_reads(engine, user, page.items, request, action="contact.list")
    return to_page(ContactPublic, page)
