"""``/api/v1/tiers``: the value tiers' routing effects (``first``: served before the lower
tiers; ``boost``: the standard class with a higher priority; ``none``: as a standard
customer); anyone logged in reads them, admins change them with the command the admin
console builds (:class:`~kefu.service.desktop.SetTierEffect`, audited with before and
after). A change routes the contacts created from then on."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.common import Body
from kefu.api.security import Reader, RequireAdmin, client_address
from kefu.service.desktop import Desktops, SetTierEffect

__all__ = ["router"]

router = APIRouter(prefix="/tiers", tags=["tiers"])

Tier = Annotated[int, Path(ge=1, le=99, description="the value tier (0 is the standard class)")]


class TierPut(Body):
    effect: Literal["first", "boost", "none"] = Field(
        description="first: served before lower tiers; boost: priority + boost; none: standard"
    )
    boost: Annotated[int, Field(ge=0, le=100, description="1–100 with boost, else 0")] = 0


class TierPublic(BaseModel):
    tier: int
    effect: str
    boost: int
    texts: dict[str, str] = Field(default_factory=dict, description="the tier's label")


def _desktops(request: Request) -> Desktops:
    desktops: Desktops = request.app.state.desktops
    return desktops


def _public(desktops: Desktops, data: dict[str, Any]) -> TierPublic:
    label = desktops.phrases.get("tier", str(data["tier"]))
    texts = {} if label is None else dict(label.texts)
    return TierPublic.model_validate({**data, "texts": texts})


@router.get("", responses=ERRORS)
async def list_tiers(_user: Reader, request: Request) -> list[TierPublic]:
    """Every tier with a label or an effect, and its effect (tier 0 left out: it is the
    standard class). 客户等级的路由效果。"""
    desktops = _desktops(request)

    def read(_engine: Any) -> list[TierPublic]:
        labelled = {int(p.code) for p in desktops.phrases.phrases("tier")}
        tiers = sorted(labelled | set(desktops.tiers.rules.effects))
        return [_public(desktops, e.to_record()) for e in desktops.tiers.effects(tiers)]

    return await desktops.channels.engine.query(read)


@router.put("/{tier}", responses=ERRORS)
async def put_tier(tier: Tier, body: TierPut, admin: RequireAdmin, request: Request) -> TierPublic:
    """Set a tier's routing effect; admins only. 设置客户等级的路由效果。"""
    desktops = _desktops(request)
    command = SetTierEffect(tier, body.effect, body.boost)
    made = await desktops.channels.engine.execute(
        command, actor=admin, client=client_address(request)
    )
    return _public(desktops, made)
