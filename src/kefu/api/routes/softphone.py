"""``/api/v1/desktop/softphone``: the desktop's browser softphone, signalling only — the
call ringing in the agent's browser (kefu's SDP offer, PCMU audio), the browser's answer,
and hanging up. Agent users only, and only their own calls (another agent's call is not
found)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.routes.desktop import Agent
from kefu.service.routing import SoftphoneDesk

__all__ = ["router"]

router = APIRouter(prefix="/desktop/softphone", tags=["desktop"])
LegId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _desk(request: Request) -> SoftphoneDesk:
    desk: SoftphoneDesk = request.app.state.softphone
    return desk


Desk = Annotated[SoftphoneDesk, Depends(_desk)]


class AnswerBody(BaseModel):
    sdp: str = Field(min_length=3, max_length=20_000, description="the browser's SDP answer")


class EndpointBody(BaseModel):
    endpoint: Literal["sip", "browser"] = Field(
        description="where one answers calls: a registered SIP phone or this browser"
    )


@router.get("", responses=ERRORS)
async def ringing(user: Agent, desk: Desk) -> dict[str, Any]:
    """Where one answers calls (``sip``, ``browser``; null: kefu takes no calls here) and
    the call in one's browser (leg, caller, kefu's SDP offer, ``ringing`` or ``talking``;
    null: none, or kefu's offer not ready yet — the desktop's socket pushes it when it is).
    浏览器软电话：接听方式与来电。"""
    assert user.agent_id is not None
    call = desk.call(user.agent_id)
    return {
        "endpoint": desk.endpoint(user.agent_id),
        "call": None if call is None else call.to_json(),
    }


@router.put("/endpoint", status_code=204, responses=ERRORS)
async def choose(body: EndpointBody, user: Agent, desk: Desk) -> Response:
    """Answer one's next calls on one's SIP phone or in this browser (logged: kept across
    restarts). 选择接听方式。"""
    assert user.agent_id is not None
    await desk.choose(user.agent_id, body.endpoint, actor=user)
    return Response(status_code=204)


@router.post("/{leg_id}/answer", status_code=204, responses=ERRORS)
async def answer(leg_id: LegId, body: AnswerBody, user: Agent, desk: Desk) -> Response:
    """Answer one's ringing call with the browser's SDP answer. 接听。"""
    assert user.agent_id is not None
    await desk.answer(user.agent_id, leg_id, body.sdp)
    return Response(status_code=204)


@router.post("/{leg_id}/hangup", status_code=204, responses=ERRORS)
async def hang_up(leg_id: LegId, user: Agent, desk: Desk) -> Response:
    """Hang up (or decline) one's call. 挂断。"""
    assert user.agent_id is not None
    await desk.hang_up(user.agent_id, leg_id)
    return Response(status_code=204)
