"""``/api/v1/ivr/flows``: IVR flows as versioned data an admin changes: the list, one flow
with its versions and changes, a draft saved from YAML (or JSON) text, publication (refused
with the linter's reasons when the flow has errors: 422) and rollback. Admins only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kefu.adapters.ivr.files import parse_flow_text
from kefu.api.routes._common import ERRORS
from kefu.api.security import RequireAdmin, client_address
from kefu.domain.errors import NotFound
from kefu.domain.ivr.flow_io import MAX_FLOW_TEXT
from kefu.service.ivr import (
    DraftSaved,
    FlowDetail,
    FlowPublished,
    FlowSummary,
    IvrWing,
    PublishIvrFlow,
    RollbackIvrFlow,
    SaveIvrDraft,
    flow_detail,
    flow_list,
)

__all__ = ["DraftBody", "PublishBody", "router"]

router = APIRouter(prefix="/ivr/flows", tags=["ivr"])


class DraftBody(BaseModel):
    """The draft's text: a flow in YAML (or JSON, a subset of YAML)."""

    source: str = Field(min_length=1, max_length=MAX_FLOW_TEXT)


class PublishBody(BaseModel):
    """The version to publish; none: the draft."""

    version: int | None = Field(default=None, ge=1, le=1_000_000)


def _wing(request: Request) -> IvrWing:
    wing: IvrWing | None = getattr(request.app.state, "ivr", None)
    if wing is None:
        raise NotFound(
            "the IVR is not configured", text_key="error.ivr_not_configured", entity="ivr"
        )
    return wing


@router.get("", responses=ERRORS)
async def list_flows(request: Request, admin: RequireAdmin) -> list[dict[str, Any]]:
    """Every flow with its published and draft versions, and when the published one is due
    for re-derivation (``rederive_by``, s; ``rederivation_overdue_days`` once past).
    全部流程及其版本，以及已发布版本的重新推导提醒。"""
    del admin
    wing = _wing(request)
    period = request.app.state.settings.ivr_rederivation_days
    flows: list[FlowSummary] = await request.app.state.engine.query(
        lambda e: flow_list(wing.flows, e.now(), period), stored=False
    )
    return [f.to_json() for f in flows]


@router.get("/{flow_id}", responses=ERRORS)
async def get_flow(flow_id: str, request: Request, admin: RequireAdmin) -> dict[str, Any]:
    """A flow's versions (text, lint findings), publications and changes (who, when)."""
    del admin
    wing = _wing(request)
    detail: FlowDetail = await request.app.state.engine.query(
        lambda _e: flow_detail(wing.flows, flow_id), stored=False
    )
    return detail.to_json()


@router.put("/{flow_id}/draft", responses=ERRORS)
async def save_draft(
    flow_id: str, body: DraftBody, request: Request, admin: RequireAdmin
) -> dict[str, Any]:
    """Save the draft of a flow (a new flow, or the next version of one); answers its
    version and lint findings. 保存草稿。"""
    _wing(request)
    data = parse_flow_text(body.source)
    saved: DraftSaved = await request.app.state.engine.execute(
        SaveIvrDraft(flow_id, data, body.source), actor=admin, client=client_address(request)
    )
    return saved.to_json()


@router.post("/{flow_id}/publish", responses=ERRORS)
async def publish(
    flow_id: str, body: PublishBody, request: Request, admin: RequireAdmin
) -> dict[str, Any]:
    """Publish the draft (or a version) for new contacts; 422 with the lint errors. 发布。"""
    _wing(request)
    published: FlowPublished = await request.app.state.engine.execute(
        PublishIvrFlow(flow_id, body.version), actor=admin, client=client_address(request)
    )
    return published.to_json()


@router.post("/{flow_id}/rollback", responses=ERRORS)
async def rollback(flow_id: str, request: Request, admin: RequireAdmin) -> dict[str, Any]:
    """Publish again the version published before the current one. 回滚。"""
    _wing(request)
    published: FlowPublished = await request.app.state.engine.execute(
        RollbackIvrFlow(flow_id), actor=admin, client=client_address(request)
    )
    return published.to_json()
