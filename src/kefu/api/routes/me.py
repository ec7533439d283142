"""``/api/v1/me``: who the caller is, its scopes, and the CSRF token of its session."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kefu.api.schemas import MePublic
from kefu.api.security import CurrentUser
from kefu.config import Settings
from kefu.service.security import csrf_token

__all__ = ["router"]

router = APIRouter(prefix="/me", tags=["auth"])


@router.get("")
async def me(user: CurrentUser, request: Request) -> MePublic:
    """The authenticated caller. 当前用户。"""
    settings: Settings = request.app.state.settings
    return MePublic(
        user_id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        sites=sorted(user.sites),
        agent_id=user.agent_id,
        scopes=sorted(user.scopes),
        via="token" if user.via == "token" else "session",
        csrf_token=csrf_token(settings.secret_key, user),
    )
