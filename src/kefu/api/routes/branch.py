"""``/api/v1/branch``: the hall's kiosk (services, tickets with their predicted wait, an SMS
instead of waiting), the hall display (numbers called) and the counters (call the next
number, pause).

The kiosk and the display are public devices in the hall: they need no login, so taking a
number and asking for an SMS are rate limited per client address (429 with Retry-After).
A counter is an agent user acting as itself (session cookie with the CSRF header, or a
bearer token).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.schemas import ErrorBody
from kefu.api.security import CurrentUser
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel
from kefu.service import Forbidden
from kefu.service.branch import BranchDesk, TicketView
from kefu.service.ivr import IvrWing, KioskTicket, flow_outline
from kefu.service.security import AddressRateLimiter, Principal, Role, Scope, require_scope

__all__ = ["router"]

router = APIRouter(prefix="/branch", tags=["branch"])


async def _branch(request: Request) -> BranchDesk:
    branch: BranchDesk = request.app.state.branch
    return branch


Branch = Annotated[BranchDesk, Depends(_branch)]


async def _counter(user: CurrentUser) -> Principal:
    if user.role is not Role.AGENT or not user.agent_id:
        raise Forbidden(
            "counters are agent users",
            text_key="error.counter_agents_only",
            role=user.role.value,
        )
    require_scope(user, Scope.AGENTS_WRITE)
    return user


Counter = Annotated[Principal, Depends(_counter)]


async def _kiosk_limit(request: Request) -> None:
    """The kiosk needs no login, so each client address may make only so many requests
    that store something (checked before anything is stored)."""
    limiter: AddressRateLimiter = request.app.state.kiosk_limiter
    limiter.check(request.client.host if request.client else "unknown", time.monotonic())


KioskLimit = Depends(_kiosk_limit)
LIMITED: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    429: {"model": ErrorBody, "description": "too many requests from this address (Retry-After)"},
}


class TicketRequest(BaseModel):
    """A service (``queue_id``), or the answers tapped in the kiosk's flow menu (``flow``
    and ``answers``: the options' digits in order)."""

    queue_id: str = Field(default="", max_length=64)
    phone: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=100)
    flow: str | None = Field(default=None, min_length=1, max_length=64)
    answers: list[Annotated[str, Field(max_length=100)]] = Field(default=[], max_length=10)


class SmsRequest(BaseModel):
    phone: str = Field(min_length=3, max_length=40)


@router.get("/services")
async def services(branch: Branch) -> list[dict[str, Any]]:
    """The services of the hall with their waiting count and predicted wait (s). 业务列表。"""
    shown = await branch.channels.read(lambda engine, _state: branch.services(engine.router))
    return [service.to_json() for service in shown]


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    responses=LIMITED,
    dependencies=[KioskLimit],
)
async def issue(body: TicketRequest, branch: Branch) -> dict[str, Any]:
    """Take a number: its place in line and predicted wait. 取号。"""
    if body.flow is not None:
        if body.phone.strip():
            Identifier(IdentifierKind.PHONE, body.phone)  # refuses a malformed number first
        command = KioskTicket(body.flow, tuple(body.answers), body.phone, body.name)
        view: TicketView = await branch.engine.execute(command)
        return view.to_json()
    if not body.queue_id:
        raise ValidationError(
            "a ticket needs a service or a flow",
            text_key="error.ticket_needs_service",
            field="queue_id",
        )
    return (await branch.issue(body.queue_id, phone=body.phone, name=body.name)).to_json()


@router.get("/menu")
async def menu(request: Request) -> dict[str, Any]:
    """The kiosk's flow menu (``flow`` null: the kiosk lists the services). 取号菜单。"""
    ivr: IvrWing | None = getattr(request.app.state, "ivr", None)
    flow_id = None if ivr is None else ivr.flow_for(Channel.BRANCH)
    if ivr is None or flow_id is None or not ivr.published(flow_id):
        return {"flow": None}
    return flow_outline(ivr.catalog.published(flow_id))


@router.get("/tickets/{contact_id}", responses=ERRORS)
async def ticket(contact_id: str, branch: Branch) -> dict[str, Any]:
    return (await branch.ticket(contact_id)).to_json()


@router.post("/tickets/{contact_id}/sms", responses=LIMITED, dependencies=[KioskLimit])
async def sms_instead(contact_id: str, body: SmsRequest, branch: Branch) -> dict[str, Any]:
    """Keep the place and get an SMS when the turn nears. 短信提醒，不必现场等候。"""
    return (await branch.sms_instead(contact_id, body.phone)).to_json()


@router.get("/display")
async def display(branch: Branch) -> dict[str, Any]:
    """Numbers called, newest first. 叫号显示。"""
    shown = await branch.channels.read(lambda engine, _state: branch.display(engine.router))
    return shown.to_json()


@router.get("/counter", responses=ERRORS)
async def counter(user: Counter, branch: Branch) -> dict[str, Any]:
    agent_id = user.agent_id or ""
    shown = await branch.channels.read(
        lambda engine, _state: branch.counter_view(engine.router, agent_id)
    )
    return shown.to_json()


@router.post("/counter/next", responses=ERRORS)
async def call_next(user: Counter, branch: Branch) -> dict[str, Any]:
    """Finish the current number and call the next. 叫下一位。"""
    return (await branch.call_next(user.agent_id or "", actor=user)).to_json()


@router.post("/counter/pause", responses=ERRORS)
async def pause(user: Counter, branch: Branch) -> dict[str, Any]:
    """Take no more numbers after this one. 暂停叫号。"""
    return (await branch.pause(user.agent_id or "", actor=user)).to_json()
