"""A team as data, and the commands that change teams.

A team has an id (letters, digits, ``_ . -``), a name (any script: 卡务二组), the site it
belongs to, an optional leader (the username of a supervisor of that site) and its member
agents (an agent may be in several teams). Cases are owned by teams (``("team", id)``), and
an agent's "team cases" are those of the teams it is a member of.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.errors import ValidationError
from kefu.service.commands import Command

__all__ = [
    "MAX_MEMBERS",
    "MAX_NAME",
    "CreateTeam",
    "RemoveTeam",
    "SetTeamMembers",
    "Team",
    "UpdateTeam",
    "check_name",
    "check_team_id",
]

MAX_NAME = 64
"""The longest team name (characters)."""
MAX_MEMBERS = 1000
"""The most agents a team holds."""
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Team:
    """A team of ``site_id``: its ``name``, ``leader`` (a supervisor's username, or
    ``None``) and member agent ids, in the order they were given."""

    team_id: str
    name: str
    site_id: str
    leader: str | None = None
    members: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "name": self.name,
            "site_id": self.site_id,
            "leader": self.leader,
            "members": list(self.members),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Team:
        return cls(
            str(data["team_id"]),
            str(data["name"]),
            str(data["site_id"]),
            None if data.get("leader") is None else str(data["leader"]),
            tuple(str(m) for m in data.get("members", ())),
        )


def check_team_id(team_id: str) -> str:
    """``team_id`` if it is 1–64 letters, digits or ``_ . -`` (starting with a letter or
    digit), else a 422 naming the field."""
    if not isinstance(team_id, str) or not _ID.match(team_id):
        raise ValidationError(
            "a team id is 1–64 letters, digits or _ . - (starting with a letter or digit)",
            text_key="error.team_id",
            field="team_id",
        )
    return team_id


def check_name(name: str) -> str:
    """The trimmed name if it has 1 to :data:`MAX_NAME` characters, else a 422."""
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME:
        raise ValidationError(
            f"a team name has 1 to {MAX_NAME} characters",
            text_key="error.team_name",
            field="name",
            limit=MAX_NAME,
        )
    return text


@dataclass(frozen=True, slots=True)
class CreateTeam(Command):
    """A new team (refused with 409 when ``team_id`` is taken by a team or an agent)."""

    team_id: str
    name: str
    site_id: str
    leader: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateTeam(Command):
    """The team's new name, site and leader, and its members (``None``: kept; they must be
    of the new site)."""

    team_id: str
    name: str
    site_id: str
    leader: str | None = None
    members: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SetTeamMembers(Command):
    """The team's members from now on (the whole list; empty: none)."""

    team_id: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveTeam(Command):
    """The team no longer exists (refused with 409 while it owns cases not yet resolved)."""

    team_id: str
