"""``/api/v1/agents``: agents, their skills and capacity, state changes and intervals."""

from __future__ import annotations

from fastapi import APIRouter, status

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
from kefu.domain.model import DEFAULT_CAPACITY, DEFAULT_EXCLUSIVE, AgentSpec
from kefu.service import commands as c
from kefu.service import views

__all__ = ["router"]

router = APIRouter(prefix="/agents", tags=["agents"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_agent(body: AgentCreate, engine: EngineDep) -> AgentPublic:
    """Create an agent (offline until it sets itself ready). 创建座席。"""
    spec = AgentSpec(
        body.agent_id,
        body.skills,
        capacity=dict(DEFAULT_CAPACITY) if body.capacity is None else dict(body.capacity),
        exclusive=DEFAULT_EXCLUSIVE if body.exclusive is None else frozenset(body.exclusive),
        name=body.name,
        site_id=body.site_id,
    )
    return AgentPublic.model_validate(await engine.execute(c.DefineAgent(spec)))


@router.get("")
async def list_agents(
    engine: EngineDep, site_id: SiteFilter = None, limit: Limit = 50, offset: Offset = 0
) -> Page[AgentPublic]:
    return to_page(AgentPublic, await engine.query(views.list_agents, site_id, limit, offset))


@router.get("/{agent_id}", responses=ERRORS)
async def get_agent(agent_id: str, engine: EngineDep) -> AgentPublic:
    return AgentPublic.model_validate(await engine.query(views.get_agent, agent_id))


@router.patch("/{agent_id}", responses=ERRORS)
async def update_agent(agent_id: str, body: AgentUpdate, engine: EngineDep) -> AgentPublic:
    """Change an agent's site, name, skills or capacity. 修改座席。"""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return AgentPublic.model_validate(await engine.execute(c.UpdateAgent(agent_id, changes)))


@router.post("/{agent_id}/state", responses=ERRORS)
async def change_state(agent_id: str, body: AgentStateChange, engine: EngineDep) -> AgentPublic:
    """Ready, not ready (reason) or offline; while busy the change is pending until the last
    contact ends (``pending`` shows it). 切换座席状态。"""
    made = await engine.execute(c.SetAgentState(agent_id, body.presence, body.reason))
    return AgentPublic.model_validate(made)


@router.get("/{agent_id}/intervals", responses=ERRORS)
async def state_intervals(
    agent_id: str, engine: EngineDep, limit: Limit = 100, offset: Offset = 0
) -> Page[StateIntervalPublic]:
    """The agent's state intervals in time order (for activity and occupancy reports)."""
    await engine.query(views.get_agent, agent_id)
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
