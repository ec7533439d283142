"""``/api/v1/case-types`` and ``/api/v1/sites/{id}/calendar``: the case types and the sites'
business calendars an admin defines (data, in the log, audited). Everyone reads the types;
a site's calendar is read by the users of that site; only admins change either. Bad
definitions answer 422 naming the field; nothing is stored then."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.case_config import (
    CaseTypeBody,
    CaseTypePublic,
    SiteCalendarBody,
    SiteCalendarPublic,
)
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.service import RoutingEngine, security
from kefu.service.cases import (
    CaseConfigDesk,
    CaseWing,
    DefineCaseType,
    RetireCaseType,
    SetSiteCalendar,
    UpdateCaseType,
)

__all__ = ["router"]

router = APIRouter(tags=["cases"])

TypeId = Annotated[str, Path(max_length=50)]
SiteId = Annotated[str, Path(max_length=64)]


async def _wing(request: Request) -> CaseWing:
    wing: CaseWing = request.app.state.cases
    return wing


Wing = Annotated[CaseWing, Depends(_wing)]


def _type_view(desk: CaseConfigDesk, type_id: str) -> CaseTypePublic:
    data = desk.config(type_id).to_dict()
    return CaseTypePublic.model_validate({**data, "builtin": desk.builtin(type_id)})


def _calendar_view(desk: CaseConfigDesk, site_id: str) -> SiteCalendarPublic:
    data = desk.calendar_of(site_id).to_dict()
    own = site_id in desk.calendars
    return SiteCalendarPublic.model_validate({**data, "site_id": site_id, "own": own})


@router.get("/case-types")
async def list_case_types(user: Reader, wing: Wing) -> dict[str, list[CaseTypePublic]]:
    """Every case type (retired ones too, marked), the seeded defaults first.
    工单类型列表。"""
    del user

    def look(_engine: RoutingEngine) -> list[CaseTypePublic]:
        return [_type_view(wing.config, type_id) for type_id in wing.config.types]

    return {"case_types": await wing.engine.query(look)}


@router.get("/case-types/{type_id}", responses=ERRORS)
async def get_case_type(type_id: TypeId, user: Reader, wing: Wing) -> CaseTypePublic:
    """One case type with its fields, SLA targets and escalation steps. 工单类型详情。"""
    del user
    return await wing.engine.query(lambda _e: _type_view(wing.config, type_id))


@router.post("/case-types", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def define_case_type(
    body: CaseTypeBody, admin: RequireAdmin, wing: Wing, request: Request, response: Response
) -> CaseTypePublic:
    """Define a case type; admins only. 定义工单类型（仅管理员）。"""
    made = await wing.engine.execute(
        DefineCaseType(body.model_dump(exclude_none=True)),
        actor=admin,
        client=client_address(request),
    )
    response.headers["Location"] = f"/api/v1/case-types/{made.type_id}"
    return await wing.engine.query(lambda _e: _type_view(wing.config, made.type_id))


@router.put("/case-types/{type_id}", responses=ERRORS)
async def update_case_type(
    type_id: TypeId, body: CaseTypeBody, admin: RequireAdmin, wing: Wing, request: Request
) -> CaseTypePublic:
    """Replace a case type's definition (its cases keep their fields; SLA clocks follow the
    new targets); admins only. 修改工单类型。"""
    data: dict[str, Any] = body.model_dump(exclude_none=True)
    await wing.engine.execute(
        UpdateCaseType(type_id, data), actor=admin, client=client_address(request)
    )
    return await wing.engine.query(lambda _e: _type_view(wing.config, type_id))


@router.post("/case-types/{type_id}/retire", responses=ERRORS)
async def retire_case_type(
    type_id: TypeId, admin: RequireAdmin, wing: Wing, request: Request
) -> CaseTypePublic:
    """Retire a case type: no new cases of it; its cases keep it. 停用工单类型。"""
    await wing.engine.execute(RetireCaseType(type_id), actor=admin, client=client_address(request))
    return await wing.engine.query(lambda _e: _type_view(wing.config, type_id))


@router.get("/sites/{site_id}/calendar", tags=["sites"], responses=ERRORS)
async def get_calendar(site_id: SiteId, user: Reader, wing: Wing) -> SiteCalendarPublic:
    """The site's business calendar (working hours, holidays, time zone) that the SLA
    clocks of its cases count in; for the site's users. 站点工作日历。"""

    def look(engine: RoutingEngine) -> SiteCalendarPublic:
        security.check_site(engine, user, site_id)
        return _calendar_view(wing.config, site_id)

    return await wing.engine.query(look)


@router.put("/sites/{site_id}/calendar", tags=["sites"], responses=ERRORS)
async def set_calendar(
    site_id: SiteId, body: SiteCalendarBody, admin: RequireAdmin, wing: Wing, request: Request
) -> SiteCalendarPublic:
    """Set the site's business calendar; the SLA deadlines of its open cases move with it;
    admins only. 设置站点工作日历（仅管理员）。"""
    await wing.engine.execute(
        SetSiteCalendar(site_id, body.model_dump()), actor=admin, client=client_address(request)
    )
    return await wing.engine.query(lambda _e: _calendar_view(wing.config, site_id))
