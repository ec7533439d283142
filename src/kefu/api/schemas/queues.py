"""Queue schemas: skills, service-level target, short-abandon threshold, overflow."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from kefu.api.schemas.common import Body, Identifier, Skills
from kefu.domain.model import Channel

__all__ = ["OverflowStepSchema", "QueueCreate", "QueuePublic", "QueueStatus", "QueueUpdate"]

Seconds = Annotated[float, Field(ge=0, le=86_400 * 30)]


class OverflowStepSchema(Body):
    """After ``after_s`` seconds: relax the skills (``skills``) and/or move to ``queue_id``
    (with ``domain``: a queue of that other routing domain of the cluster, which the
    contact is handed over to)."""

    after_s: Seconds
    skills: Skills | None = None
    queue_id: Identifier | None = None
    domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        None, description="another routing domain of the cluster (KEFU_ROUTING_DOMAINS)"
    )


class QueueCreate(Body):
    queue_id: Identifier
    site_id: Identifier
    shared: bool = Field(False, description="other sites may see and serve it")
    name: Annotated[str, Field(max_length=200)] = ""
    channel: Channel = Channel.VOICE
    skills: Skills = Field(default_factory=dict)
    sl_target: Annotated[float, Field(gt=0, le=1)] = 0.8
    sl_threshold_s: Seconds = 20.0
    wrapup_s: Seconds = 0.0
    short_abandon_s: Seconds = 5.0
    aht_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    priority: Annotated[int, Field(ge=-100, le=100)] = Field(
        0, description="added to each contact's priority; larger first across queues"
    )
    overflow: Annotated[list[OverflowStepSchema], Field(max_length=20)] = Field(
        default_factory=list
    )


class QueueUpdate(Body):
    """Fields to change; those left out keep their value."""

    site_id: Identifier | None = None
    shared: bool | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    channel: Channel | None = None
    skills: Skills | None = None
    sl_target: Annotated[float, Field(gt=0, le=1)] | None = None
    sl_threshold_s: Seconds | None = None
    wrapup_s: Seconds | None = None
    short_abandon_s: Seconds | None = None
    aht_s: Annotated[float, Field(gt=0, le=86_400)] | None = None
    priority: Annotated[int, Field(ge=-100, le=100)] | None = None
    overflow: Annotated[list[OverflowStepSchema], Field(max_length=20)] | None = None


class QueueStatus(BaseModel):
    queue_id: str
    waiting: int
    longest_wait_s: float
    staffed: int
    aht_estimate_s: float
    estimated_wait_s: float | None


class QueuePublic(BaseModel):
    queue_id: str
    site_id: str | None
    shared: bool
    name: str
    channel: Channel
    skills: dict[str, int]
    sl_target: float
    sl_threshold_s: float
    wrapup_s: float
    short_abandon_s: float
    aht_s: float
    priority: int = 0
    overflow: list[dict[str, object]]
    status: QueueStatus
