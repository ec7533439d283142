"""``/api/v1/customers``: one identity across channels — the customer panel (identities,
value tier, every channel's contacts in one timeline), merging two customers (the agent
chooses the survivor; audited, undoable) and undoing a merge.

A caller sees the customers of its sites (admins all; an agent only those of the contacts
it holds and the customers suggested on them), see :mod:`kefu.service.channels.customer_access`;
any other customer is answered 404 in every endpoint. Merging customers of different
sites needs an admin (403). Every read of a customer's record is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.security import Reader
from kefu.domain.errors import ValidationError
from kefu.service import Forbidden, RoutingEngine, routing
from kefu.service.cases import NeedPredictor, customer_overview
from kefu.service.channels import (
    SEARCH_LIMIT,
    ChannelService,
    ChannelState,
    check_merge,
    check_merge_record,
    customer_read,
    forgotten_contact_ids,
    read_customer_panel,
    search_customers,
)
from kefu.service.security import Role, Scope, require_scope

__all__ = ["router"]

router = APIRouter(prefix="/customers", tags=["customers"])


async def _channels(request: Request) -> ChannelService:
    channels: ChannelService = request.app.state.channels
    return channels


Channels = Annotated[ChannelService, Depends(_channels)]


class MergeRequest(BaseModel):
    merged_id: str = Field(
        min_length=1,
        max_length=300,
        description="the other customer: its id, or one of its identifiers as kind:value "
        "(phone:13800138000, email:li@example.cn)",
    )
    reason: str = Field(min_length=1, max_length=500)
    force: bool = Field(default=False, description="merge despite verified identifiers")
    survivor: Literal["this", "other"] = Field(
        default="this", description="which customer remains: this one (the path's) or the other"
    )


class UndoRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@router.get("", responses=ERRORS)
async def search(
    user: Reader,
    channels: Channels,
    q: Annotated[
        str, Query(min_length=1, max_length=100, description="name, phone, e-mail, account or id")
    ],
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT)] = 20,
) -> dict[str, Any]:
    """Customers of the caller's sites whose name, phone, e-mail or id contains ``q``,
    newest first. 按姓名、手机号、邮箱或编号查找客户。"""
    query = q.strip()
    if not query:
        raise ValidationError("the search text is empty", text_key="error.search_empty")
    found = await channels.read(lambda e, s: search_customers(e, s, user, query, limit))
    return {"query": query, "customers": [f.to_json() for f in found]}


@router.get("/{customer_id}", responses=ERRORS)
async def get_customer(
    customer_id: str, user: Reader, channels: Channels, request: Request
) -> dict[str, Any]:
    """The customer panel, with the customer's lifetime value (its method and inputs) and
    segment (the rule that named it) under ``value``. 客户全渠道视图（含客户价值与分群）。"""
    cases = getattr(request.app.state, "cases", None)
    surveys = getattr(request.app.state, "surveys", None)
    need: NeedPredictor | None = getattr(request.app.state, "need", None)
    store = None if cases is None else cases.store
    book = None if surveys is None else surveys.book
    # Contacts the router has forgotten come from the store, read outside the lock.
    ids = await channels.read(lambda e, s: forgotten_contact_ids(e, s, customer_id))
    archived = await routing.archived_contacts(channels.engine, ids)
    overview = await channels.read(
        lambda e, s: customer_overview(e, s, user, customer_id, store, book, need, archived)
    )  # 404 if unseen
    client = request.client.host if request.client else None
    read = customer_read(user, overview.customer_id, at=channels.engine.now(), client=client)
    await channels.engine.store([read])
    return overview.to_json()


@router.post("/{customer_id}/merge", responses=ERRORS)
async def merge(
    customer_id: str, body: MergeRequest, user: Reader, channels: Channels
) -> dict[str, Any]:
    """Merge the other customer (``merged_id``) into this one, or this one into the other
    (``survivor``). Two verified identifiers of one kind need ``force``. 合并客户。"""
    require_scope(user, Scope.CONTACTS_WRITE)

    def pair(engine: RoutingEngine, state: ChannelState) -> tuple[str, str]:
        mine, other = check_merge(engine, state, user, customer_id, body.merged_id)
        return (mine, other) if body.survivor == "this" else (other, mine)

    survivor_id, merged_id = await channels.read(pair)

    def allowed(engine: RoutingEngine) -> None:
        check_merge(engine, channels.state, user, survivor_id, merged_id)

    merge_id = await channels.merge(
        survivor_id,
        merged_id,
        by=user.username,
        reason=body.reason,
        force=body.force,
        actor=user,
        authorize=allowed,
    )
    panel = await channels.read(lambda e, s: read_customer_panel(s, e.router, survivor_id))
    return {"merge_id": merge_id, "customer": panel.to_json()}


@router.post("/merges/{merge_id}/undo", responses=ERRORS)
async def undo_merge(
    merge_id: str, body: UndoRequest, user: Reader, channels: Channels
) -> dict[str, str]:
    """Split a merge again: supervisors and admins any, an agent its own (its undo button
    right after merging). 撤销合并。"""
    require_scope(user, Scope.CONTACTS_WRITE)

    def allowed(engine: RoutingEngine) -> None:
        state = channels.state
        check_merge_record(engine, state, user, merge_id)  # 404 outside the caller's sites
        if user.role is Role.AGENT:
            record = next(m for m in state.directory.audit() if m.merge_id == merge_id)
            if record.agent_id != user.username:
                raise Forbidden(
                    "an agent undoes only its own merges",
                    text_key="error.undo_own_merges",
                    merge_id=merge_id,
                )

    await channels.undo_merge(
        merge_id, by=user.username, reason=body.reason, actor=user, authorize=allowed
    )
    return {"merge_id": merge_id, "status": "undone"}
