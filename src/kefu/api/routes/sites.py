"""``/api/v1/sites``: the centers and regions on the platform (admins create them; others
see their own)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from kefu.api.deps import EngineDep, Limit, Offset
from kefu.api.routes._common import ERRORS, to_page
from kefu.api.schemas import Page, SiteCreate, SitePublic, SiteUpdate
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.service import routing, security

__all__ = ["router"]

router = APIRouter(prefix="/sites", tags=["sites"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
async def create_site(
    body: SiteCreate, engine: EngineDep, admin: RequireAdmin, request: Request
) -> SitePublic:
    """Create a site (a center or region); admins only. 创建站点（仅管理员）。"""
    made = await engine.execute(
        routing.CreateSite(body.site_id, body.name, body.timezone),
        actor=admin,
        client=client_address(request),
    )
    return SitePublic.model_validate(made)


@router.patch("/{site_id}", responses=ERRORS)
async def update_site(
    site_id: str, body: SiteUpdate, engine: EngineDep, admin: RequireAdmin, request: Request
) -> SitePublic:
    """Change a site's name or time zone; admins only. 修改站点。"""
    made = await engine.execute(
        routing.UpdateSite(site_id, body.name, body.timezone),
        actor=admin,
        client=client_address(request),
    )
    return SitePublic.model_validate(made)


@router.get("")
async def list_sites(
    engine: EngineDep, user: Reader, limit: Limit = 50, offset: Offset = 0
) -> Page[SitePublic]:
    """The sites the caller may see (all for an admin)."""
    page = await engine.query(routing.list_sites, limit, offset, user.visibility)
    return to_page(SitePublic, page)


@router.get("/{site_id}", responses=ERRORS)
async def get_site(site_id: str, engine: EngineDep, user: Reader) -> SitePublic:
    """A site; another site's id answers 404 like an unknown one."""
    view = security.checked(
        lambda e: security.check_site(e, user, site_id), lambda e: routing.get_site(e, site_id)
    )
    return SitePublic.model_validate(await engine.query(view))
