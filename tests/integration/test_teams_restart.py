"""Teams across a restart on the same database (SQLite and PostgreSQL): the team stream of
the channel log restores every team (Chinese name, leader, members), removals stay removed,
and a member's team cases are still its team's."""

from __future__ import annotations

import asyncio

from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.model import AgentSpec
from kefu.service.cases import OpenCase, team_owners
from kefu.service.routing import commands as c
from kefu.service.teams import CreateTeam, RemoveTeam, SetTeamMembers, TeamBook
from kefu.testing import ManualClock, ManualScheduler


def test_given_teams_when_the_platform_restarts_then_they_come_back(database: Database) -> None:
    clock = ManualClock(1_772_762_400.0)

    def platform() -> Platform:
        return build_platform(
            Settings(env="test", password_time_cost=1, password_memory_kib=64),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
        )

    async def scenario() -> None:
        first = platform()
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            for agent in ("a1", "a2"):
                await e(c.DefineAgent(AgentSpec(agent, site_id="sh")))
            await asyncio.to_thread(
                first.security.users.create,
                username="lead",
                password="correct horse 正确",
                role="supervisor",
                sites=("sh",),
            )
            await e(CreateTeam("cards", "卡务组", "sh", "lead", ("a1", "a2")))
            await e(CreateTeam("loans", "房贷组", "sh"))
            await e(SetTeamMembers("cards", ("a2",)))
            await e(RemoveTeam("loans"))
            case = await e(OpenCase("inquiry", "补卡", by="lead", site_id="sh",
                                    owner=("team", "cards")))  # fmt: skip
            book: TeamBook = first.app.state.teams
            before = book.teams()
        second = platform()
        async with second.app.router.lifespan_context(second.app):
            again: TeamBook = second.app.state.teams
            assert again.teams() == before
            assert [(t.name, t.leader, t.members) for t in before] == [("卡务组", "lead", ("a2",))]
            assert team_owners(second.engine, again, "a2") == {"cards"}
            index = second.app.state.cases.store.index
            assert {index.ids[rank] for rank in index.owner.of("cards")} == {case.case_id}

    asyncio.run(scenario())
