"""Cases across a restart of the platform on the same database (SQLite and PostgreSQL):
the case log restores every case, its notes, links and escalations, and the SLA timer is
armed again at the same instant."""

from __future__ import annotations

import asyncio

import pytest
from db_helpers import Database

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.cases import (
    AddCaseNote,
    DefineCaseType,
    MoveCase,
    OpenCase,
    RetireCaseType,
    RouteCaseTask,
    SetSiteCalendar,
)
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler

H = 3600.0


def test_given_cases_when_the_platform_restarts_then_they_and_their_timers_come_back(
    database: Database,
) -> None:
    clock = ManualClock(1_772_762_400.0)  # Friday 2026-03-06 10:00 in Shanghai

    def platform(prefix: str) -> tuple[Platform, ManualScheduler]:
        counter = iter(range(1, 10_000))
        scheduler = ManualScheduler()
        made = build_platform(
            Settings(env="test"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=scheduler,
            new_id=lambda: f"{prefix}{next(counter)}",
        )
        return made, scheduler

    async def scenario() -> None:
        first, scheduler = platform("a")
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("loans", Channel.WORKITEM), "sh"))
            await e(c.DefineAgent(AgentSpec("bo1", site_id="sh")))
            case = await e(OpenCase("mortgage", "房贷申请", by="li", site_id="sh", value_tier=2))
            await e(AddCaseNote(case.case_id, "客户已提交收入证明", by="li"))
            task = await e(RouteCaseTask(case.case_id, "loans", "审核材料", by="li"))
            other = await e(OpenCase("inquiry", "账单", by="li", site_id="sh"))
            await e(MoveCase(other.case_id, "resolved", by="li", reason="已解答"))
            clock.set(clock.now() + 2 * H)  # the first-response warning (1.5 h) falls due
            await first.engine.tick()
            assert first.cases is not None
            before = dict(first.cases.store.book.cases)
            due = scheduler.due
        assert ("first_response", 0) in before[case.case_id].escalations
        second, scheduler2 = platform("b")
        async with second.app.router.lifespan_context(second.app):
            assert second.cases is not None
            store = second.cases.store
            assert store.book.cases == before
            assert store.work_items == {task["contact_id"]: case.case_id}
            assert scheduler2.due == due
            again = await second.engine.execute(OpenCase("fault", "断网", by="li", site_id="sh"))
            assert again.case_id == "3"

    asyncio.run(scenario())


def test_given_case_types_and_a_calendar_when_the_platform_restarts_then_both_come_back(
    database: Database,
) -> None:
    clock = ManualClock(1_772_762_400.0)  # Friday 2026-03-06 10:00 in Shanghai
    dispute = {
        "type_id": "card_dispute",
        "kind": "complaint",
        "label_en": "Card dispute",
        "label_zh": "银行卡争议",
        "fields": [{"name": "amount", "kind": "number", "label_en": "Amount",
                    "label_zh": "金额", "required": True}],
        "targets": [{"tier": 0, "first_response_h": 2, "resolution_h": 9}],
    }  # fmt: skip
    calendar = {
        "time_zone": "Asia/Shanghai",
        "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-18:00"),
        "holidays": [{"date": "2026-03-09", "name": "调休"}],
    }

    def platform() -> Platform:
        return build_platform(
            Settings(env="test"),
            uow_factory=SqlUnitOfWorkFactory(database.engine),
            clock=clock,
            scheduler=ManualScheduler(),
        )

    async def scenario() -> None:
        first = platform()
        async with first.app.router.lifespan_context(first.app):
            e = first.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(DefineCaseType(dispute))
            await e(RetireCaseType("fault"))
            await e(SetSiteCalendar("sh", calendar))
            case = await e(OpenCase("card_dispute", "盗刷", by="li", site_id="sh",
                                    fields={"amount": 200}))  # fmt: skip
            assert first.cases is not None
            due = first.cases.store.resolution_due(case)
        second = platform()
        async with second.app.router.lifespan_context(second.app):
            assert second.cases is not None
            desk = second.cases.config
            assert desk.types["card_dispute"].to_dict()["targets"][0]["resolution_h"] == 9
            assert desk.types["fault"].case_type.retired
            assert desk.calendar_of("sh").to_dict()["holidays"][0]["name"] == "调休"
            store = second.cases.store
            # Friday 10:00 + 9 business hours, Monday a holiday: Tuesday 10:00.
            assert store.resolution_due(store.book.case(case.case_id)) == due
            assert due[0] == 1_772_762_400.0 + 4 * 86_400.0
            with pytest.raises(KefuError) as retired:
                await second.engine.execute(OpenCase("fault", "断网", by="li", site_id="sh"))
            assert retired.value.error_id == "case_type_retired"

    asyncio.run(scenario())
