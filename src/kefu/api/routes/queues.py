"""``/api/v1/queues``: queues, their configuration, live status and waiting contacts."""

from __future__ import annotations

from fastapi import APIRouter, status

from kefu.api.deps import EngineDep, Limit, Offset, SiteFilter
from kefu.api.routes._common import ERRORS, to_page
from kefu.api.schemas import ContactPublic, Page, QueueCreate, QueuePublic, QueueUpdate
from kefu.domain.model import OverflowStep, QueueSpec
from kefu.service import commands as c
from kefu.service import views

__all__ = ["router"]

router = APIRouter(prefix="/queues", tags=["queues"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_queue(body: QueueCreate, engine: EngineDep) -> QueuePublic:
    """Create a queue of a site (``shared``: other sites see and serve it). 创建队列。"""
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
    )
    made = await engine.execute(c.DefineQueue(spec, body.site_id, body.shared))
    return QueuePublic.model_validate(made)


@router.get("")
async def list_queues(
    engine: EngineDep, site_id: SiteFilter = None, limit: Limit = 50, offset: Offset = 0
) -> Page[QueuePublic]:
    """Queues of a site and those shared with it (all without ``site_id``)."""
    return to_page(QueuePublic, await engine.query(views.list_queues, site_id, limit, offset))


@router.get("/{queue_id}", responses=ERRORS)
async def get_queue(queue_id: str, engine: EngineDep) -> QueuePublic:
    return QueuePublic.model_validate(await engine.query(views.get_queue, queue_id))


@router.patch("/{queue_id}", responses=ERRORS)
async def update_queue(queue_id: str, body: QueueUpdate, engine: EngineDep) -> QueuePublic:
    """Change a queue; refused (409) while contacts wait in it. 修改队列。"""
    changes = body.model_dump(exclude_unset=True)
    for key in [k for k, v in changes.items() if v is None]:
        del changes[key]
    made = await engine.execute(c.UpdateQueue(queue_id, changes))
    return QueuePublic.model_validate(made)


@router.get("/{queue_id}/waiting", responses=ERRORS)
async def waiting_contacts(
    queue_id: str, engine: EngineDep, limit: Limit = 50, offset: Offset = 0
) -> Page[ContactPublic]:
    """Contacts waiting in the queue, in the order they will be served. 排队中的联系。"""
    return to_page(
        ContactPublic, await engine.query(views.waiting_contacts, queue_id, limit, offset)
    )
