"""``/api/v1/teams``: the center's teams (a name, a site, a leader, member agents). Admins
create, change and remove them (audited); supervisors read the teams of their sites (a team
of another site: 404); agents are refused (403). Bad input answers 422 naming the field and
stores nothing; a taken id 409; a team that owns open cases cannot be removed (409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.teams import TeamBody, TeamMembersBody, TeamPublic, TeamUpdateBody
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.service import RoutingEngine
from kefu.service.security import Principal, Role, require_role
from kefu.service.teams import (
    CreateTeam,
    RemoveTeam,
    SetTeamMembers,
    Team,
    TeamBook,
    UnknownTeam,
    UpdateTeam,
)

__all__ = ["router"]

router = APIRouter(prefix="/teams", tags=["teams"])

TeamId = Annotated[str, Path(min_length=1, max_length=64)]


async def _book(request: Request) -> TeamBook:
    book: TeamBook = request.app.state.teams
    return book


Book = Annotated[TeamBook, Depends(_book)]


async def _lead(user: Reader) -> Principal:
    require_role(user, Role.ADMIN, Role.SUPERVISOR)
    return user


Lead = Annotated[Principal, Depends(_lead)]


def _public(team: Team) -> TeamPublic:
    return TeamPublic.model_validate(team.to_json())


def _seen(book: TeamBook, user: Principal, team_id: str) -> TeamPublic:
    """The team if ``user`` sees its site, else 404."""
    team = book.team(team_id)
    if not user.visibility.site(team.site_id):
        raise UnknownTeam(f"unknown team {team_id!r}", team_id=team_id)
    return _public(team)


@router.get("", responses=ERRORS)
async def list_teams(
    user: Lead,
    book: Book,
    request: Request,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, list[TeamPublic]]:
    """The teams of the caller's sites (admins: all), by id; ``site_id`` narrows.
    团队列表（主管：本站点）。"""
    sites = user.visibility.sites
    engine: RoutingEngine = request.app.state.engine

    def look(_engine: RoutingEngine) -> list[TeamPublic]:
        wanted = sites if site_id is None else {site_id} & (sites or {site_id})
        return [_public(t) for t in book.teams(wanted)]

    return {"teams": await engine.query(look)}


@router.get("/{team_id}", responses=ERRORS)
async def get_team(team_id: TeamId, user: Lead, book: Book, request: Request) -> TeamPublic:
    """One team of the caller's sites. 团队详情。"""
    engine: RoutingEngine = request.app.state.engine
    return await engine.query(lambda _e: _seen(book, user, team_id))


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_team(
    body: TeamBody, admin: RequireAdmin, request: Request, response: Response
) -> TeamPublic:
    """Create a team; admins only. 新建团队（仅管理员）。"""
    engine: RoutingEngine = request.app.state.engine
    made: Team = await engine.execute(
        CreateTeam(body.team_id, body.name, body.site_id, body.leader, tuple(body.members)),
        actor=admin,
        client=client_address(request),
    )
    response.headers["Location"] = f"/api/v1/teams/{made.team_id}"
    return _public(made)


@router.put("/{team_id}", responses=ERRORS)
async def update_team(
    team_id: TeamId, body: TeamUpdateBody, admin: RequireAdmin, request: Request
) -> TeamPublic:
    """Change a team's name, site and leader (its members stay); admins only. 修改团队。"""
    engine: RoutingEngine = request.app.state.engine
    made: Team = await engine.execute(
        UpdateTeam(team_id, body.name, body.site_id, body.leader),
        actor=admin,
        client=client_address(request),
    )
    return _public(made)


@router.put("/{team_id}/members", responses=ERRORS)
async def set_members(
    team_id: TeamId, body: TeamMembersBody, admin: RequireAdmin, request: Request
) -> TeamPublic:
    """Set a team's member agents (the whole list); admins only. 设置团队成员。"""
    engine: RoutingEngine = request.app.state.engine
    made: Team = await engine.execute(
        SetTeamMembers(team_id, tuple(body.members)),
        actor=admin,
        client=client_address(request),
    )
    return _public(made)


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
async def remove_team(team_id: TeamId, admin: RequireAdmin, request: Request) -> None:
    """Remove a team that owns no open case; admins only. 删除团队。"""
    engine: RoutingEngine = request.app.state.engine
    await engine.execute(RemoveTeam(team_id), actor=admin, client=client_address(request))
