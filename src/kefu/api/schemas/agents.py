"""Agent schemas: skills, capacity per channel, state changes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.api.schemas.common import Body, Identifier, Skills
from kefu.domain.model import Channel

__all__ = [
    "AgentCreate",
    "AgentPublic",
    "AgentStateChange",
    "AgentUpdate",
    "StateIntervalPublic",
]

Capacity = dict[Channel, Annotated[int, Field(ge=0, le=100)]]


class AgentCreate(Body):
    agent_id: Identifier
    site_id: Identifier
    name: Annotated[str, Field(max_length=200, examples=["张敏 Zhang Min"])] = ""
    skills: Skills = Field(default_factory=dict)
    capacity: Capacity | None = Field(
        None, description="contacts held at once per channel (default: 1 call, 3 chats, 5 mails)"
    )
    exclusive: list[Channel] | None = Field(
        None, description="channels whose contact blocks all others (default: voice-like)"
    )


class AgentUpdate(Body):
    site_id: Identifier | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    skills: Skills | None = None
    capacity: Capacity | None = None
    exclusive: list[Channel] | None = None


class AgentStateChange(Body):
    """Ready, not ready (with a reason code) or offline. While busy, not-ready and offline
    become *pending* and take effect when the agent's last contact ends."""

    presence: Literal["ready", "not_ready", "offline"]
    reason: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class AgentPublic(BaseModel):
    agent_id: str
    site_id: str | None
    name: str
    skills: dict[str, int]
    capacity: dict[str, int]
    exclusive: list[str]
    presence: str
    reason: str | None
    pending: str | None
    activity: str = Field(description="offline, ready, not_ready, offered, busy or wrapup")
    contacts: list[str]
    state_since: float = Field(description="when the presence last changed (s)")
    activity_since: float = Field(description="when the current activity began (s)")
    time_in_state_s: float = Field(description="seconds in the current activity")


class StateIntervalPublic(BaseModel):
    agent_id: str
    site_id: str | None
    presence: str
    activity: str
    reason: str | None
    start_at: float
    end_at: float | None
