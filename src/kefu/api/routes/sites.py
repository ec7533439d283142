"""``/api/v1/sites``: the centers and regions on the platform."""

from __future__ import annotations

from fastapi import APIRouter, status

from kefu.api.deps import EngineDep, Limit, Offset
from kefu.api.routes._common import ERRORS, to_page
from kefu.api.schemas import Page, SiteCreate, SitePublic
from kefu.service import commands as c
from kefu.service import views

__all__ = ["router"]

router = APIRouter(prefix="/sites", tags=["sites"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
async def create_site(body: SiteCreate, engine: EngineDep) -> SitePublic:
    """Create a site (a center or region). 创建站点。"""
    made = await engine.execute(c.CreateSite(body.site_id, body.name, body.timezone))
    return SitePublic.model_validate(made)


@router.get("")
async def list_sites(engine: EngineDep, limit: Limit = 50, offset: Offset = 0) -> Page[SitePublic]:
    return to_page(SitePublic, await engine.query(views.list_sites, limit, offset))


@router.get("/{site_id}", responses=ERRORS)
async def get_site(site_id: str, engine: EngineDep) -> SitePublic:
    return SitePublic.model_validate(await engine.query(views.get_site, site_id))
