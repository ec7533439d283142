"""``GET /api/v1/cases``: the cases of the caller's sites, newest first, with filters (state,
type, customer, owner, site, open, breached), the agent's own and its teams' cases, a search
and pages. Read under the engine's lock like every view; other sites' cases are left out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.cases import CaseSummary
from kefu.api.security import Reader
from kefu.domain.errors import ValidationError
from kefu.service import RoutingEngine
from kefu.service.cases import LIST_LIMIT, CaseWing, list_cases, team_owners
from kefu.service.channels import ChannelState, check_customer

__all__ = ["router"]

router = APIRouter(tags=["cases"])


async def _wing(request: Request) -> CaseWing:
    wing: CaseWing = request.app.state.cases
    return wing


Wing = Annotated[CaseWing, Depends(_wing)]


@router.get("/cases", responses=ERRORS)
async def search_cases(
    user: Reader,
    wing: Wing,
    state: Annotated[str | None, Query(max_length=32)] = None,
    case_type: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=300)] = None,
    owner: Annotated[str | None, Query(max_length=64, description="agent or team id")] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    mine: Annotated[bool, Query(description="cases owned by the caller's agent")] = False,
    team: Annotated[
        bool,
        Query(
            description="cases owned by the caller's teams (an agent in no team: its skills "
            "and the queues it serves)"
        ),
    ] = False,
    breached: Annotated[bool | None, Query(description="resolution clock overdue")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="case id, title, customer id or name")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = 50,
) -> dict[str, Any]:
    """Cases of the caller's sites, newest first, with filters, search and pages
    (``next_offset`` is null on the last page; a search ``q`` with no owner, customer or
    state looks at the newest 20,000 cases); ``mine`` and ``team`` (together: both)
    need a user acting as an agent. 工单列表（我的工单、我所在团队的工单）。"""
    if (mine or team) and user.agent_id is None:
        raise ValidationError(
            "mine=true and team=true need a user acting as an agent",
            text_key="error.cases_need_agent",
        )
    chan: ChannelState = wing.state

    def look(engine: RoutingEngine) -> list[dict[str, Any]]:
        ids: tuple[str, ...] = ()
        live = customer_id
        if customer_id is not None:
            live = check_customer(engine, chan, user, customer_id)
            ids = chan.directory.identities(live)
        owners: set[str] | None = None
        if (mine or team) and user.agent_id is not None:
            owners = {user.agent_id} if mine else set()
            if team:
                owners |= team_owners(engine, wing.teams, user.agent_id)
        return list_cases(
            wing.store,
            user,
            engine.now(),
            state=state,
            case_type=case_type,
            customer_id=live,
            customer_ids=ids,
            owner=owner,
            owners=owners,
            site_id=site_id,
            open_only=open_only,
            breached=breached,
            query=q,
            names=chan.directory,
            limit=limit + 1,
            offset=offset,
        )

    found = await wing.engine.query(look)
    more = len(found) > limit
    return {
        "cases": [CaseSummary.model_validate(c).model_dump() for c in found[:limit]],
        "offset": offset,
        "next_offset": offset + limit if more else None,
    }
