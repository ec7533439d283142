"""The teams of a center, kept in the log.

Every change is a command (:class:`~kefu.service.teams.records.CreateTeam`,
:class:`~kefu.service.teams.records.UpdateTeam`,
:class:`~kefu.service.teams.records.SetTeamMembers`,
:class:`~kefu.service.teams.records.RemoveTeam`) whose handler checks everything before
anything changes, then records the team in the ``team`` stream of the channel log (one
``seq`` with the rest) and in the audit log (who, when, before and after).
:class:`TeamBook` is a part of the engine's transaction: loading replays the stream, so a
restart serves the same teams. Teams are not in router snapshots: like the other admin
configuration (case types, phrases) they are few, and their stream is replayed whole.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from kefu.domain.errors import AlreadyExists, Conflict, KefuError, NotFound, ValidationError
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.routing.commands import DefineAgent
from kefu.service.security.accounts import canonical_username
from kefu.service.teams.records import (
    MAX_MEMBERS,
    CreateTeam,
    RemoveTeam,
    SetTeamMembers,
    Team,
    UpdateTeam,
    check_name,
    check_team_id,
)
from kefu.service.transaction import Handler, Transaction

__all__ = ["TEAM_STREAM", "TeamBook", "TeamExists", "TeamInUse", "UnknownTeam"]

TEAM_STREAM = "team"
Log = Callable[[float, str, str, str, dict[str, Any]], None]
Guard = Callable[[str], None]
"""Raises :class:`TeamInUse` when the team id is still needed (the case wing's: open cases
it owns, case types whose escalation reassigns to it)."""


class UnknownTeam(NotFound):
    error_id = "unknown_team"
    text_key = "error.unknown_team"


class TeamExists(AlreadyExists):
    error_id = "team_exists"
    text_key = "error.team_exists"


class TeamInUse(Conflict):
    error_id = "team_in_use"
    text_key = "error.team_in_use"


class TeamBook:
    """The teams, replayed from the ``team`` stream of the channel log (``log_record``)."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self._teams: dict[str, Team] = {}
        self._of_agent: dict[str, set[str]] = {}
        self.guards: list[Guard] = []
        """Asked before a team is removed: a team still needed stays (409)."""

    def handlers(self) -> dict[type[Command], Handler]:
        return {
            CreateTeam: self.create,
            UpdateTeam: self.update,
            SetTeamMembers: self.set_members,
            RemoveTeam: self.remove,
        }

    # -- views (under the engine's lock) -------------------------------------------------
    def get(self, team_id: str) -> Team | None:
        return self._teams.get(team_id)

    def team(self, team_id: str) -> Team:
        """The team, else :class:`UnknownTeam` (404)."""
        found = self._teams.get(team_id)
        if found is None:
            raise UnknownTeam(f"unknown team {team_id[:64]!r}", team_id=team_id[:64])
        return found

    def teams(self, sites: Collection[str] | None = None) -> list[Team]:
        """The teams of ``sites`` (``None``: every site), by id."""
        return sorted(
            (t for t in self._teams.values() if sites is None or t.site_id in sites),
            key=lambda t: t.team_id,
        )

    def of_agent(self, agent_id: str) -> frozenset[str]:
        """The ids of the teams ``agent_id`` is a member of."""
        return frozenset(self._of_agent.get(agent_id, ()))

    def __contains__(self, team_id: object) -> bool:
        return team_id in self._teams

    # -- watching the agents' commands ---------------------------------------------------
    def check_agent(self, tx: Transaction, cmd: DefineAgent) -> None:
        """A new agent may not take a team's id (case owners are listed by id)."""
        agent_id = cmd.spec.agent_id
        if agent_id in self._teams and agent_id not in tx.router.agents:
            raise TeamExists(
                f"agent id {agent_id} is taken by a team", field="agent_id", team_id=agent_id
            )

    def agent_defined(self, tx: Transaction, cmd: DefineAgent, result: object) -> None:
        """An agent moved to another site leaves its teams of other sites (each change
        recorded and audited like an admin's edit of the members)."""
        del result
        spec = cmd.spec
        if spec.site_id is None:
            return
        for team_id in sorted(self.of_agent(spec.agent_id)):
            team = self._teams[team_id]
            if team.site_id == spec.site_id:
                continue
            kept = tuple(m for m in team.members if m != spec.agent_id)
            self._change(
                tx, "members", Team(team_id, team.name, team.site_id, team.leader, kept), team
            )

    # -- handlers ------------------------------------------------------------------------
    async def create(self, tx: Transaction, cmd: CreateTeam) -> Team:
        team_id = check_team_id(cmd.team_id)
        if team_id in self._teams or team_id in tx.router.agents:
            # An agent's id too: case owners are listed by id, a team must not catch an
            # agent's own cases.
            raise TeamExists(f"team id {team_id} is taken", field="team_id", team_id=team_id)
        team = await self._checked(tx, team_id, cmd.name, cmd.site_id, cmd.leader, cmd.members)
        return self._change(tx, "created", team, None)

    async def update(self, tx: Transaction, cmd: UpdateTeam) -> Team:
        before = self.team(cmd.team_id)
        members = before.members if cmd.members is None else cmd.members
        team = await self._checked(tx, before.team_id, cmd.name, cmd.site_id, cmd.leader, members)
        return self._change(tx, "updated", team, before)

    async def set_members(self, tx: Transaction, cmd: SetTeamMembers) -> Team:
        before = self.team(cmd.team_id)
        members = _members(tx, before.site_id, cmd.members)
        team = Team(before.team_id, before.name, before.site_id, before.leader, members)
        return self._change(tx, "members", team, before)

    async def remove(self, tx: Transaction, cmd: RemoveTeam) -> None:
        before = self.team(cmd.team_id)
        for guard in self.guards:
            guard(before.team_id)
        self._log(tx.now, TEAM_STREAM, "removed", before.team_id, {"team_id": before.team_id})
        tx.audit("team.remove", "team", before.team_id, before.site_id, before.to_json(), None)
        self._drop(before.team_id)

    async def _checked(
        self,
        tx: Transaction,
        team_id: str,
        name: str,
        site_id: str,
        leader: str | None,
        members: Iterable[str],
    ) -> Team:
        """The team the fields define, or the first reason it is refused (422)."""
        text = check_name(name)
        if site_id not in tx.sites:
            raise ValidationError(
                f"unknown site {site_id[:64]!r}",
                text_key="error.team_site",
                field="site_id",
                site_id=site_id[:64],
            )
        kept = _members(tx, site_id, members)
        lead = None if leader is None or not leader.strip() else await _leader(tx, leader, site_id)
        return Team(team_id, text, site_id, lead, kept)

    def _change(self, tx: Transaction, kind: str, team: Team, before: Team | None) -> Team:
        data = team.to_json()
        self._log(tx.now, TEAM_STREAM, kind, team.team_id, data)
        action = "create" if before is None else ("members" if kind == "members" else "update")
        tx.audit(
            f"team.{action}",
            "team",
            team.team_id,
            team.site_id,
            None if before is None else before.to_json(),
            data,
        )
        self._put(team)
        return team

    def _put(self, team: Team) -> None:
        self._drop(team.team_id)
        self._teams[team.team_id] = team
        for agent_id in team.members:
            self._of_agent.setdefault(agent_id, set()).add(team.team_id)

    def _drop(self, team_id: str) -> None:
        old = self._teams.pop(team_id, None)
        if old is None:
            return
        for agent_id in old.members:
            teams = self._of_agent.get(agent_id)
            if teams is not None:
                teams.discard(team_id)
                if not teams:
                    del self._of_agent[agent_id]

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == TEAM_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Every recorded change in ``seq`` order."""
        self._teams, self._of_agent = {}, {}
        for record in records:
            if record.kind == "removed":
                self._drop(record.subject_id)
            else:
                self._put(Team.from_json(record.data))

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # members that left the router stay listed until an admin edits

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's


def _members(tx: Transaction, site_id: str, members: Iterable[str]) -> tuple[str, ...]:
    """The member ids without repeats, each an agent of ``site_id`` (or of no site)."""
    kept = tuple(dict.fromkeys(m.strip() for m in members if m and m.strip()))
    if len(kept) > MAX_MEMBERS:
        raise ValidationError(
            f"a team has at most {MAX_MEMBERS} members",
            text_key="error.team_members_many",
            field="members",
            limit=MAX_MEMBERS,
        )
    for agent_id in kept:
        record = tx.router.agents.get(agent_id)
        if record is None:
            raise ValidationError(
                f"unknown agent {agent_id[:64]!r}",
                text_key="error.team_member",
                field="members",
                agent_id=agent_id[:64],
            )
        home = record.spec.site_id
        if home is not None and home != site_id:
            raise ValidationError(
                f"agent {agent_id} works at site {home}, not {site_id}",
                text_key="error.team_member_site",
                field="members",
                agent_id=agent_id,
                site_id=site_id,
            )
    return kept


async def _leader(tx: Transaction, leader: str, site_id: str) -> str:
    """The leader's canonical username if it is an active supervisor of ``site_id``."""
    try:
        name = canonical_username(leader)
    except KefuError:
        name = ""
    user = await tx.read(lambda uow: uow.users.by_username(name)) if name else None
    if user is None or not user.active or user.role != "supervisor" or site_id not in user.sites:
        raise ValidationError(
            f"the leader must be an active supervisor of site {site_id}",
            text_key="error.team_leader",
            field="leader",
            site_id=site_id,
        )
    return name
