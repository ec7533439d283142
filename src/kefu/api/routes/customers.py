"""``/api/v1/customers``: one identity across channels — the customer panel (identities,
value tier, every channel's contacts in one timeline), merging two customers (the agent
chooses the survivor; audited, undoable) and undoing a merge.

Supervisors and admins see every customer; an agent sees (and merges) only the customers
of the contacts it holds. Every read of a customer's record is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.security import Reader
from kefu.domain.customer_errors import UnknownCustomer
from kefu.service.access import Principal, Role, Scope, require_scope
from kefu.service.audit import audit_write
from kefu.service.channel_state import ChannelState
from kefu.service.channel_views import customer_panel
from kefu.service.channels import ChannelService
from kefu.service.engine import RoutingEngine
from kefu.service.errors import Forbidden
from kefu.service.security_ports import AuditEntry

__all__ = ["router"]

router = APIRouter(prefix="/customers", tags=["customers"])


def _channels(request: Request) -> ChannelService:
    channels: ChannelService = request.app.state.channels
    return channels


Channels = Annotated[ChannelService, Depends(_channels)]


class MergeRequest(BaseModel):
    merged_id: str = Field(min_length=1, max_length=64, description="the customer merged away")
    reason: str = Field(min_length=1, max_length=500)
    force: bool = Field(default=False, description="merge despite verified identifiers")


class UndoRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


def _check(engine: RoutingEngine, state: ChannelState, user: Principal, customer_id: str) -> str:
    """The live customer id, if ``user`` may see that customer (else unknown: 404)."""
    live = state.directory.resolve(customer_id)  # raises UnknownCustomer
    if user.role is not Role.AGENT:
        return live
    mine = set(state.directory.identities(live))
    agent = engine.router.agents.get(user.agent_id or "")
    held = agent.held.values() if agent is not None else ()
    if not any(c.customer_id in mine for c in held):
        raise UnknownCustomer(f"unknown customer {customer_id!r}", customer_id=customer_id)
    return live


@router.get("/{customer_id}", responses=ERRORS)
async def get_customer(
    customer_id: str, user: Reader, channels: Channels, request: Request
) -> dict[str, Any]:
    """The customer panel. 客户全渠道视图。"""

    def look(engine: RoutingEngine, state: ChannelState) -> dict[str, Any]:
        live = _check(engine, state, user, customer_id)
        return customer_panel(state, engine.router, live)

    panel = await channels.read(look)
    entry = AuditEntry(
        at=channels.engine.now(),
        actor_id=user.user_id,
        actor=user.username,
        action="customer.read",
        target_type="customer",
        target_id=panel["customer_id"],
        site_id=None,
        details={"via": user.via},
        client=request.client.host if request.client else None,
    )
    await channels.engine.store([audit_write(entry)])
    return panel


@router.post("/{customer_id}/merge", responses=ERRORS)
async def merge(
    customer_id: str, body: MergeRequest, user: Reader, channels: Channels
) -> dict[str, Any]:
    """Merge ``merged_id`` into this customer (the survivor). Two verified identifiers of
    one kind need ``force``. 合并客户（保留当前客户）。"""
    require_scope(user, Scope.CONTACTS_WRITE)

    def allowed(engine: RoutingEngine) -> None:
        for cid in (customer_id, body.merged_id):
            _check(engine, channels.state, user, cid)

    merge_id = await channels.merge(
        customer_id,
        body.merged_id,
        by=user.username,
        reason=body.reason,
        force=body.force,
        actor=user,
        authorize=allowed,
    )
    panel = await channels.read(lambda e, s: customer_panel(s, e.router, customer_id))
    return {"merge_id": merge_id, "customer": panel}


@router.post("/merges/{merge_id}/undo", responses=ERRORS)
async def undo_merge(
    merge_id: str, body: UndoRequest, user: Reader, channels: Channels
) -> dict[str, str]:
    """Split a merge again (supervisors and admins). 撤销合并。"""
    require_scope(user, Scope.CONTACTS_WRITE)
    if user.role is Role.AGENT:
        raise Forbidden("only a supervisor or admin undoes a merge 仅主管或管理员可撤销合并")
    await channels.undo_merge(merge_id, by=user.username, reason=body.reason, actor=user)
    return {"merge_id": merge_id, "status": "undone"}
