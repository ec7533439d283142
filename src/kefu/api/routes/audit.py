"""``/api/v1/audit``: the audit log (configuration changes, reads of contacts, logins),
newest first; admins only."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request

from kefu.api.deps import Limit, Offset
from kefu.api.routes._common import ERRORS
from kefu.api.schemas import AuditPublic, Page
from kefu.api.security import RequireAdmin
from kefu.service.security import AuditFilter, Security, audit_view

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])

Text = Annotated[str | None, Query(min_length=1, max_length=128)]
Instant = Annotated[float | None, Query(ge=0, le=1e11, description="seconds since the epoch")]


@router.get("", responses=ERRORS)
async def list_audit(
    _admin: RequireAdmin,
    request: Request,
    actor: Text = None,
    action: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="prefix, e.g. queue. or contact.read"),
    ] = None,
    target_type: Text = None,
    target_id: Text = None,
    since: Instant = None,
    until: Instant = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditPublic]:
    """Who did what, when, with before and after values. 审计日志。"""
    security: Security = request.app.state.security
    where = AuditFilter(actor, action, target_type, target_id, since, until)
    entries, total = await asyncio.to_thread(security.audit_page, where, limit, offset)
    items = [AuditPublic.model_validate(audit_view(e)) for e in entries]
    following = offset + len(items)
    return Page[AuditPublic](
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=following if following < total else None,
    )
