"""``/api/v1/workforce``: agents' work rules (read and set: supervisors of the agent's
site, admins; an agent reads its own), published shifts (an agent its own only, 403 for
another's; supervisors their sites' agents, another site 404) and publishing a site's
schedule (:class:`~kefu.service.workforce.PublishSchedule`, the command the workforce page
builds). Times are seconds since the epoch. 排班。"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from kefu.api.deps import EngineDep
from kefu.api.routes._common import ERRORS
from kefu.api.schemas.common import Body
from kefu.api.security import CurrentUser, client_address
from kefu.service import RoutingEngine, security
from kefu.service.security import Principal, Role, Scope
from kefu.service.workforce import (
    PublishedShift,
    PublishSchedule,
    SetWorkRules,
    WorkforceBook,
    WorkRules,
)

__all__ = ["router"]

router = APIRouter(prefix="/workforce", tags=["workforce"])

Id = Annotated[str, Path(min_length=1, max_length=64)]
DAY_S = 86_400.0


class RulesBody(Body):
    contracted_hours: Annotated[float, Field(gt=0, le=168)] = 40.0
    days_off: Annotated[list[Annotated[int, Field(ge=0, le=6)]], Field(max_length=7)] = Field(
        default_factory=list, description="weekdays never worked, 0 = Monday"
    )
    max_days: Annotated[int, Field(ge=0, le=7)] = 5
    min_rest_hours: Annotated[float, Field(ge=0, le=48)] = 11.0
    preferred_start: tuple[int, int] | None = Field(
        None, description="(earliest, latest) preferred shift start, seconds after midnight"
    )


class RulesPublic(RulesBody):
    agent_id: str


class ShiftBody(Body):
    agent_id: Annotated[str, Field(min_length=1, max_length=64)]
    start: float
    end: float
    breaks: Annotated[list[tuple[float, float]], Field(max_length=10)] = Field(default_factory=list)
    name: Annotated[str, Field(max_length=64)] = ""


class ScheduleBody(Body):
    site_id: Annotated[str, Field(min_length=1, max_length=64)]
    since: float
    until: float
    shifts: Annotated[list[ShiftBody], Field(max_length=5000)]
    agents: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=5000)] | None = (
        Field(None, description="replace only these agents' shifts (default: every agent's)")
    )


class ShiftPublic(BaseModel):
    agent_id: str
    site_id: str
    timezone: str = Field(description="the site's time zone, to show the times in")
    name: str
    start: float
    end: float
    breaks: list[list[float]]


def _with_zone(e: RoutingEngine, shift: PublishedShift) -> dict[str, Any]:
    site = e.sites.get(shift.site_id)
    return {**shift.to_json(), "timezone": site.timezone if site is not None else "UTC"}


def _book(request: Request) -> WorkforceBook:
    book: WorkforceBook = request.app.state.workforce
    return book


def _supervisor(user: Principal) -> None:
    security.require_role(user, Role.SUPERVISOR, Role.ADMIN)
    security.require_scope(user, Scope.AGENTS_WRITE)


def _rules_public(agent_id: str, rules: WorkRules) -> RulesPublic:
    return RulesPublic(
        agent_id=agent_id,
        contracted_hours=rules.contracted_hours,
        days_off=sorted(rules.days_off),
        max_days=rules.max_days,
        min_rest_hours=rules.min_rest_hours,
        preferred_start=rules.preferred_start,
    )


@router.get("/agents/{agent_id}/rules", responses=ERRORS)
async def get_rules(
    agent_id: Id, engine: EngineDep, user: CurrentUser, request: Request
) -> RulesPublic:
    """An agent's work rules (the defaults when none were set). 工作规则。"""
    book = _book(request)

    def read(e: RoutingEngine) -> WorkRules:
        security.check_agent(e, user, agent_id)
        return book.rules_for(agent_id)

    return _rules_public(agent_id, await engine.query(read))


@router.put("/agents/{agent_id}/rules", responses=ERRORS)
async def put_rules(
    agent_id: Id, body: RulesBody, engine: EngineDep, user: CurrentUser, request: Request
) -> RulesPublic:
    """Set an agent's work rules, audited. 设置工作规则。"""
    start = body.preferred_start
    rules = WorkRules(
        body.contracted_hours, frozenset(body.days_off), body.max_days, body.min_rest_hours, start
    )

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_agent(e, user, agent_id)

    made: WorkRules = await engine.execute(
        SetWorkRules(agent_id, rules),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    return _rules_public(agent_id, made)


@router.get("/shifts", responses=ERRORS)
async def list_shifts(
    engine: EngineDep,
    user: CurrentUser,
    request: Request,
    agent_id: Annotated[str | None, Query(max_length=64)] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    since: float | None = None,
    until: float | None = None,
) -> list[ShiftPublic]:
    """Published shifts overlapping [since, until) (default: the next 14 days): one
    agent's, or a site's (supervisors, admins). An agent reads only its own. 已发布班次。"""
    book = _book(request)

    def read(e: RoutingEngine) -> list[dict[str, Any]]:
        start = e.now() if since is None else since
        end = start + 14 * DAY_S if until is None else until
        if agent_id is not None:
            security.check_agent(e, user, agent_id)
            found = book.shifts(start, end, agent_id=agent_id)
        elif site_id is not None:
            _supervisor(user)
            security.check_site(e, user, site_id)
            found = book.shifts(start, end, sites=[site_id])
        elif user.role is Role.AGENT and user.agent_id is not None:
            found = book.shifts(start, end, agent_id=user.agent_id)
        else:
            _supervisor(user)
            found = book.shifts(start, end, sites=None if user.is_admin else user.sites)
        return [_with_zone(e, s) for s in found]

    return [ShiftPublic.model_validate(r) for r in await engine.query(read)]


@router.post("/schedules", responses=ERRORS, status_code=201)
async def publish(
    body: ScheduleBody, engine: EngineDep, user: CurrentUser, request: Request
) -> list[ShiftPublic]:
    """Publish a site's shifts over [since, until), replacing those published before that
    start in it (only ``agents``' when given); agents see theirs on the desktop. 发布排班。"""
    shifts = tuple(
        PublishedShift(s.agent_id, s.start, s.end, tuple(s.breaks), body.site_id, s.name)
        for s in body.shifts
    )

    def authorize(e: RoutingEngine) -> None:
        _supervisor(user)
        security.check_site(e, user, body.site_id)

    def made_with_zones(e: RoutingEngine, made: list[PublishedShift]) -> list[dict[str, Any]]:
        return [_with_zone(e, s) for s in made]

    made: list[PublishedShift] = await engine.execute(
        PublishSchedule(
            body.site_id,
            body.since,
            body.until,
            shifts,
            None if body.agents is None else tuple(body.agents),
        ),
        actor=user,
        authorize=authorize,
        client=client_address(request),
    )
    rows = await engine.query(made_with_zones, made, stored=False)
    return [ShiftPublic.model_validate(r) for r in rows]
