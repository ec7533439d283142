"""Schemas of the teams: the shape is checked here, the meaning (a known site, member
agents of that site, a leader who supervises it) by the teams' handlers, which answer 422
naming the field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from kefu.api.schemas.common import Body, Identifier

__all__ = ["TeamBody", "TeamMembersBody", "TeamPublic", "TeamUpdateBody"]

Name = Annotated[str, Field(min_length=1, max_length=64, examples=["卡务二组 Cards 2"])]
Member = Annotated[str, Field(min_length=1, max_length=64)]
Members = Annotated[list[Member], Field(max_length=1000)]
Leader = Annotated[
    str | None,
    Field(max_length=64, description="the username of a supervisor of the team's site"),
]


class TeamUpdateBody(Body):
    """A team's name, site and leader (``null``: none)."""

    name: Name
    site_id: Identifier
    leader: Leader = None


class TeamBody(TeamUpdateBody):
    """A new team: its id, name, site, leader and member agents."""

    team_id: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
            description="1–64 letters, digits or _ . - (starting with a letter or digit)",
            examples=["cards-2"],
        ),
    ]
    members: Members = Field(default_factory=list)


class TeamMembersBody(Body):
    """The team's member agents from now on (the whole list)."""

    members: Members


class TeamPublic(BaseModel):
    """A team: id, name, site, leader's username (or null) and member agent ids."""

    team_id: str
    name: str
    site_id: str
    leader: str | None
    members: list[str]
