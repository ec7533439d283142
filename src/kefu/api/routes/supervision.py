"""``/api/v1/supervision``: what a supervisor (of the agent's or queue's site) or an admin
does from the wallboard: change an agent's state with a reason (the routing command
:class:`~kefu.service.routing.SetAgentState`, audited with the note), lend an agent a skill
for the day, send agents a message, set a queue's alert thresholds. Agents get 403, another
site's agents and queues 404. 班长操作。"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from kefu.api.deps import EngineDep
from kefu.api.routes._common import ERRORS
from kefu.api.schemas import AgentPublic
from kefu.api.schemas.common import Body
from kefu.api.security import CurrentUser, client_address
from kefu.domain.errors import NotFound, ValidationError
from kefu.service import RoutingEngine, routing, security
from kefu.service.desktop import Desktops
from kefu.service.security import Principal, Role, Scope
from kefu.service.wallboard import (
    MAX_NOTICE,
    LendSkill,
    MessageAgents,
    ReturnSkill,
    SetQueueAlert,
    SupervisionDesk,
)

__all__ = ["router"]

router = APIRouter(prefix="/supervision", tags=["supervision"])

Id = Annotated[str, Path(min_length=1, max_length=64)]


class SupervisedState(Body):
    presence: Literal["ready", "not_ready", "offline"]
    reason: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="not_ready: a not-ready reason code of the phrase book"
    )
    note: Annotated[str, Field(max_length=200)] = Field(
        "", description="why the supervisor changes it (kept in the audit log)"
    )


class SkillLoan(Body):
    skill: Annotated[str, Field(min_length=1, max_length=64)]
    level: Annotated[int, Field(ge=1, le=10)]
    until: float | None = Field(
        None, description="epoch seconds; default: the end of the day in the site's time zone"
    )


class Notice(Body):
    site_id: Annotated[str, Field(min_length=1, max_length=64)]
    text: Annotated[str, Field(min_length=1, max_length=MAX_NOTICE)]
    agent_id: Annotated[str, Field(max_length=64)] | None = None
    queue_id: Annotated[str, Field(max_length=64)] | None = None


class AlertThresholds(Body):
    sl_below: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="alert when today's service level is below this fraction"
    )
    waiting_above: Annotated[int, Field(ge=0, le=100_000)] | None = None
    longest_wait_above_s: Annotated[float, Field(ge=0, le=86_400)] | None = None


class AlertPublic(BaseModel):
    queue_id: str
    sl_below: float | None
    waiting_above: int | None
    longest_wait_above_s: float | None


class LoanPublic(BaseModel):
    agent_id: str
    skill: str
    level: int
    until: float
    had: int | None


def _desk(request: Request) -> SupervisionDesk:
    desk: SupervisionDesk = request.app.state.supervision
    return desk


def _supervisor(user: Principal) -> None:
    security.require_role(user, Role.SUPERVISOR, Role.ADMIN)
    security.require_scope(user, Scope.AGENTS_WRITE)


@router.post("/agents/{agent_id}/state", responses=ERRORS)
async def set_state(
    agent_id: Id, body: SupervisedState, engine: EngineDep, user: CurrentUser, request: Request
) -> AgentPublic:
    """Change an agent's state with a reason, audited (who, when, before/after, the note).
    改变座席状态。"""
    desktops: Desktops = request.app.state.desktops

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_agent(e, user, agent_id)
        if body.presence == "not_ready" and body.reason not in desktops.phrases.codes("reason"):
            raise ValidationError(
                "not_ready needs a reason code of the phrase book",
                text_key="error.state_reason",
                field="reason",
            )

    command = routing.SetAgentState(agent_id, body.presence, body.reason, body.note.strip())
    made = await engine.execute(
        command, actor=user, authorize=authorize, client=client_address(request)
    )
    return AgentPublic.model_validate(made)


@router.post("/agents/{agent_id}/skills", responses=ERRORS)
async def lend_skill(
    agent_id: Id, body: SkillLoan, engine: EngineDep, user: CurrentUser, request: Request
) -> LoanPublic:
    """Give an agent a skill until the end of its site's day (or ``until``); the level it had
    comes back then. 临时技能。"""

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_agent(e, user, agent_id)

    made = await engine.execute(
        LendSkill(agent_id, body.skill, body.level, body.until),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    return LoanPublic.model_validate(made)


@router.delete("/agents/{agent_id}/skills/{skill}", responses=ERRORS)
async def return_skill(
    agent_id: Id, skill: Id, engine: EngineDep, user: CurrentUser, request: Request
) -> dict[str, Any]:
    """End a loan now. 提前收回临时技能。"""

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_agent(e, user, agent_id)

    made: dict[str, Any] = await engine.execute(
        ReturnSkill(agent_id, skill),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    return made


@router.get("/loans", responses=ERRORS)
async def list_loans(engine: EngineDep, user: CurrentUser, request: Request) -> list[LoanPublic]:
    """The skills lent now to the caller's sites' agents, soonest ending first."""
    desk = _desk(request)

    def read(e: RoutingEngine) -> list[dict[str, Any]]:
        _supervisor(user)
        agents = e.router.agents
        return [
            loan.to_record()
            for loan in desk.loans()
            if loan.agent_id in agents
            and security.sees_site(user, agents[loan.agent_id].spec.site_id)
        ]

    return [LoanPublic.model_validate(r) for r in await engine.query(read)]


@router.post("/messages", responses=ERRORS)
async def send_message(
    body: Notice, engine: EngineDep, user: CurrentUser, request: Request
) -> dict[str, Any]:
    """Send a short message to one agent, a queue's agents or every agent of a site; shown on
    their desktops and kept in the log. 给座席发消息。"""

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_site(e, user, body.site_id)
        if body.agent_id is not None:
            security.check_agent(e, user, body.agent_id)
        if body.queue_id is not None:
            security.check_queue(e, user, body.queue_id)

    made: dict[str, Any] = await engine.execute(
        MessageAgents(body.site_id, body.text, body.agent_id, body.queue_id),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    return made


@router.put("/queues/{queue_id}/alert", responses=ERRORS)
async def set_alert(
    queue_id: Id, body: AlertThresholds, engine: EngineDep, user: CurrentUser, request: Request
) -> AlertPublic:
    """Set a queue's alert thresholds (none given: no alert); effective at once. 告警阈值。"""

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_queue(e, user, queue_id)

    made = await engine.execute(
        SetQueueAlert(queue_id, body.sl_below, body.waiting_above, body.longest_wait_above_s),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    return AlertPublic.model_validate(made)


@router.get("/alerts", responses=ERRORS)
async def list_alerts(engine: EngineDep, user: CurrentUser, request: Request) -> list[AlertPublic]:
    """The alert thresholds of the caller's sites' queues."""
    desk = _desk(request)

    def read(e: RoutingEngine) -> list[dict[str, Any]]:
        _supervisor(user)
        out = []
        for queue_id, alert in sorted(desk.alerts.items()):
            try:
                security.check_queue(e, user, queue_id)
            except NotFound:
                continue
            out.append(alert.to_record())
        return out

    return [AlertPublic.model_validate(r) for r in await engine.query(read)]
