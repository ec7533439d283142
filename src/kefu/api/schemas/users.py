"""User, token, audit and ``me`` schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from kefu.api.schemas.common import Body, Identifier
from kefu.service.security import Scope

__all__ = [
    "AuditPublic",
    "MePublic",
    "TokenCreate",
    "TokenIssued",
    "TokenPublic",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
]

Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\w][\w.@-]{0,63}$",
        description="letters (any script), digits or _ . @ -; compared case-insensitively",
        examples=["zhang.min"],
    ),
]
Password = Annotated[str, Field(min_length=10, max_length=256, description="10–256 characters")]
RoleName = Literal["agent", "supervisor", "admin"]
Sites = Annotated[list[Identifier], Field(max_length=100)]


class UserCreate(Body):
    username: Username
    password: Password
    role: RoleName
    display_name: Annotated[str, Field(max_length=200, examples=["张敏"])] = ""
    sites: Sites = Field(default_factory=list, description="a supervisor's sites")
    agent_id: Identifier | None = Field(None, description="the agent an agent user acts as")


class UserUpdate(Body):
    """Fields to change; a new password, a new role or deactivation ends its sessions."""

    password: Password | None = None
    role: RoleName | None = None
    display_name: Annotated[str, Field(max_length=200)] | None = None
    sites: Sites | None = None
    agent_id: Identifier | None = None
    active: bool | None = None


class UserPublic(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: RoleName
    sites: list[str]
    agent_id: str | None
    active: bool
    created_at: float
    updated_at: float


class TokenCreate(Body):
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=4)] = Field(
        default_factory=lambda: [Scope.READ],
        description="read, contacts:write, agents:write, admin (no more than the role)",
    )
    name: Annotated[str, Field(max_length=200, examples=["CRM integration 集成"])] = ""
    ttl_days: Annotated[float, Field(gt=0, le=3650)] | None = Field(
        90, description="lifetime in days (null: until revoked)"
    )


class TokenPublic(BaseModel):
    token_id: str
    name: str
    scopes: list[str]
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None


class TokenIssued(TokenPublic):
    token: str = Field(description="the secret, shown once: send it as Authorization: Bearer")


class AuditPublic(BaseModel):
    seq: int | None
    at: float
    actor: str
    actor_id: str | None
    action: str
    target_type: str
    target_id: str
    site_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    details: dict[str, Any]
    client: str | None


class MePublic(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: RoleName
    sites: list[str] = Field(description="empty for an admin: every site")
    agent_id: str | None
    scopes: list[str]
    via: Literal["session", "token"]
    csrf_token: str = Field(
        description="send as X-CSRF-Token on changes made with the session cookie"
    )
