"""``/api/v1/agents``: agents, their skills and capacity (admins), state changes (the
agent itself, or a supervisor of its site) and intervals."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from kefu.api.deps import EngineDep, Limit, Offset, SiteFilter
from kefu.api.routes._common import ERRORS, to_page
from kefu.api.schemas import (
    AgentCreate,
    AgentPublic,
    AgentStateChange,
    AgentUpdate,
    Page,
    StateIntervalPublic,
)
from kefu.api.security import CurrentUser, Reader, RequireAdmin, client_address
from kefu.domain.model import DEFAULT_CAPACITY, DEFAULT_EXCLUSIVE, AgentSpec
from kefu.service import RoutingEngine, routing, security
from kefu.service.security import Scope

__all__ = ["router"]

router = APIRouter(prefix="/agents", tags=["agents"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_agent(
    body: AgentCreate, engine: EngineDep, admin: RequireAdmin, request: Request
) -> AgentPublic:
    """Create an agent (offline until it sets itself ready); admins only. 创建座席。"""
    spec = AgentSpec(
        body.agent_id,
        body.skills,
        capacity=dict(DEFAULT_CAPACITY) if body.capacity is None else dict(body.capacity),
        exclusive=DEFAULT_EXCLUSIVE if body.exclusive is None else frozenset(body.exclusive),
        name=body.name,
        site_id=body.site_id,
    )
    made = await engine.execute(
        routing.DefineAgent(spec), actor=admin, client=client_address(request)
    )
    return AgentPublic.model_validate(made)


@router.get("", responses=ERRORS)
async def list_agents(
    engine: EngineDep,
    user: Reader,
    site_id: SiteFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AgentPublic]:
    """The agents the caller sees: of its sites (an agent user: itself only)."""
    page = await engine.query(routing.list_agents, site_id, limit, offset, user.visibility)
    return to_page(AgentPublic, page)


@router.get("/{agent_id}", responses=ERRORS)
async def get_agent(agent_id: str, engine: EngineDep, user: Reader) -> AgentPublic:
    view = security.checked(
        lambda e: security.check_agent(e, user, agent_id), lambda e: routing.get_agent(e, agent_id)
    )
    return AgentPublic.model_validate(await engine.query(view))


@router.patch("/{agent_id}", responses=ERRORS)
async def update_agent(
    agent_id: str, body: AgentUpdate, engine: EngineDep, admin: RequireAdmin, request: Request
) -> AgentPublic:
    """Change an agent's site, name, skills or capacity; admins only. 修改座席。"""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    made = await engine.execute(
        routing.UpdateAgent(agent_id, changes), actor=admin, client=client_address(request)
    )
    return AgentPublic.model_validate(made)


@router.post("/{agent_id}/state", responses=ERRORS)
async def change_state(
    agent_id: str, body: AgentStateChange, engine: EngineDep, user: CurrentUser, request: Request
) -> AgentPublic:
    """Ready, not ready (reason) or offline; while busy the change is pending until the last
    contact ends (``pending`` shows it). An agent changes only its own state; a supervisor
    those of its sites' agents (audited, before and after). 切换座席状态。"""

    def authorize(e: RoutingEngine) -> None:
        security.require_scope(user, Scope.AGENTS_WRITE)
        security.check_agent(e, user, agent_id)

    made = await engine.execute(
        routing.SetAgentState(agent_id, body.presence, body.reason),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    return AgentPublic.model_validate(made)


@router.get("/{agent_id}/intervals", responses=ERRORS)
async def state_intervals(
    agent_id: str, engine: EngineDep, user: Reader, limit: Limit = 100, offset: Offset = 0
) -> Page[StateIntervalPublic]:
    """The agent's state intervals in time order (for activity and occupancy reports)."""
    await engine.query(
        security.checked(lambda e: security.check_agent(e, user, agent_id), lambda _e: None)
    )
    rows = await engine.read_store(lambda uow: uow.intervals.for_agent(agent_id))
    items = [
        StateIntervalPublic.model_validate(r, from_attributes=True)
        for r in rows[offset : offset + limit]
    ]
    following = offset + len(items)
    return Page[StateIntervalPublic](
        items=items,
        total=len(rows),
        limit=limit,
        offset=offset,
        next_offset=following if following < len(rows) else None,
    )
