"""``/api/v1/users``: users, their roles and sites, and their API tokens; admins only.
Every change is written to the audit log with its before and after."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, status

from kefu.api.deps import Limit, Offset
from kefu.api.routes._common import ERRORS
from kefu.api.schemas import (
    Page,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from kefu.api.security import RequireAdmin, client_address
from kefu.service.accounts import user_view
from kefu.service.credentials import token_view
from kefu.service.security import Security

__all__ = ["router"]

router = APIRouter(prefix="/users", tags=["users"])


def _security(request: Request) -> Security:
    security: Security = request.app.state.security
    return security


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_user(body: UserCreate, admin: RequireAdmin, request: Request) -> UserPublic:
    """Create a user: an agent (acting as ``agent_id``), a supervisor (of ``sites``) or an
    admin. 创建用户。"""
    user = await asyncio.to_thread(
        _security(request).users.create,
        username=body.username,
        password=body.password,
        role=body.role,
        sites=body.sites,
        agent_id=body.agent_id,
        display_name=body.display_name,
        actor=admin,
        client=client_address(request),
    )
    return UserPublic.model_validate(user_view(user))


@router.get("", responses=ERRORS)
async def list_users(
    admin: RequireAdmin, request: Request, limit: Limit = 50, offset: Offset = 0
) -> Page[UserPublic]:
    users = await asyncio.to_thread(_security(request).users.list)
    items = [UserPublic.model_validate(user_view(u)) for u in users[offset : offset + limit]]
    following = offset + len(items)
    return Page[UserPublic](
        items=items,
        total=len(users),
        limit=limit,
        offset=offset,
        next_offset=following if following < len(users) else None,
    )


@router.get("/{username}", responses=ERRORS)
async def get_user(username: str, admin: RequireAdmin, request: Request) -> UserPublic:
    user = await asyncio.to_thread(_security(request).users.get, username)
    return UserPublic.model_validate(user_view(user))


@router.patch("/{username}", responses=ERRORS)
async def update_user(
    username: str, body: UserUpdate, admin: RequireAdmin, request: Request
) -> UserPublic:
    """Change a user's role, sites, agent, name, password or activity. 修改用户。"""
    changes = body.model_dump(exclude_unset=True)
    for key in [k for k, v in changes.items() if v is None and k != "agent_id"]:
        del changes[key]
    user = await asyncio.to_thread(
        lambda: _security(request).users.update(
            username, changes, actor=admin, client=client_address(request)
        )
    )
    return UserPublic.model_validate(user_view(user))


@router.post("/{username}/unlock", responses=ERRORS)
async def unlock_user(username: str, admin: RequireAdmin, request: Request) -> UserPublic:
    """Lift the user's login back-off after failed logins (audited). 解除登录失败锁定。"""
    user = await asyncio.to_thread(
        lambda: _security(request).credentials.unlock(
            username, actor=admin, client=client_address(request)
        )
    )
    return UserPublic.model_validate(user_view(user))


@router.post("/{username}/tokens", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_token(
    username: str, body: TokenCreate, admin: RequireAdmin, request: Request
) -> TokenIssued:
    """An API token for the user with some of its role's scopes; the secret is shown
    once. 创建接口令牌。"""
    ttl = None if body.ttl_days is None else body.ttl_days * 86_400.0
    token, secret = await asyncio.to_thread(
        lambda: _security(request).credentials.issue_token(
            username,
            list(body.scopes),
            name=body.name,
            ttl_s=ttl,
            actor=admin,
            client=client_address(request),
        )
    )
    return TokenIssued.model_validate({**token_view(token), "token": secret})


@router.get("/{username}/tokens", responses=ERRORS)
async def list_tokens(username: str, admin: RequireAdmin, request: Request) -> list[TokenPublic]:
    tokens = await asyncio.to_thread(_security(request).credentials.tokens_of, username)
    return [TokenPublic.model_validate(token_view(t)) for t in tokens]


@router.delete("/{username}/tokens/{token_id}", responses=ERRORS)
async def revoke_token(
    username: str, token_id: str, admin: RequireAdmin, request: Request
) -> TokenPublic:
    """Revoke a token at once. 吊销令牌。"""
    token = await asyncio.to_thread(
        lambda: _security(request).credentials.revoke_token(
            username, token_id, actor=admin, client=client_address(request)
        )
    )
    return TokenPublic.model_validate(token_view(token))
