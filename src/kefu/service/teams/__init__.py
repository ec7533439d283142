"""The teams wing of the service: teams as data (a name, a site, a leader, member agents),
changed by commands, recorded in the log and audited (:mod:`~kefu.service.teams.book`).
Cases are owned by teams, an agent's team cases are its teams' cases, and scorecards show
a team's agents."""

from __future__ import annotations

from kefu.service.teams.book import TEAM_STREAM, TeamBook, TeamExists, TeamInUse, UnknownTeam
from kefu.service.teams.records import (
    MAX_MEMBERS,
    MAX_NAME,
    CreateTeam,
    RemoveTeam,
    SetTeamMembers,
    Team,
    UpdateTeam,
)

__all__ = [
    "MAX_MEMBERS",
    "MAX_NAME",
    "TEAM_STREAM",
    "CreateTeam",
    "RemoveTeam",
    "SetTeamMembers",
    "Team",
    "TeamBook",
    "TeamExists",
    "TeamInUse",
    "UnknownTeam",
    "UpdateTeam",
]
