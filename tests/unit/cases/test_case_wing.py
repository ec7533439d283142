"""The case wing in the engine: lifecycle commands, bad input refused without changing
anything, SLA escalations on the engine's timers in business time, and back-office work
items routed like calls (seed 003's mortgage application)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kefu.bootstrap import Simulation, build_simulation
from kefu.domain.cases import CaseState
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.cases import (
    AddCaseNote,
    AssignCase,
    CaseWing,
    LinkToCase,
    MoveCase,
    Notice,
    OpenCase,
    RouteCaseTask,
    UpdateCase,
)
from kefu.service.routing import commands as c

H = 3600.0
SH = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> float:
    return datetime(*parts, tzinfo=SH).timestamp()  # type: ignore[arg-type,misc]


def run(start: float, body: Callable[[Simulation, CaseWing], Awaitable[None]]) -> None:
    async def main() -> None:
        async with build_simulation(start=start) as sim:
            wing = sim.platform.cases
            assert wing is not None
            await sim.engine.execute(c.CreateSite("sh", "上海"))
            await body(sim, wing)

    asyncio.run(main())


# Friday 2026-03-06 16:00 in Shanghai: the weekend falls inside every clock below.
FRIDAY_4PM = local(2026, 3, 6, 16, 0)


def test_given_a_complaint_when_worked_to_closure_then_every_step_is_in_the_case() -> None:
    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        case = await e(OpenCase("complaint", "信用卡被多扣年费", by="li", site_id="sh"))
        await e(AssignCase(case.case_id, by="li", owner=("agent", "a1"), department="card"))
        await e(MoveCase(case.case_id, "open", by="li"))
        await e(AddCaseNote(case.case_id, "已致电客户说明", by="li", internal=False))
        await e(UpdateCase(case.case_id, by="li", fields={"product": "金卡"}))
        await e(MoveCase(case.case_id, "waiting_on_department", by="li", reason="退费审批",
                         department="card"))  # fmt: skip
        with pytest.raises(KefuError) as refused:
            await e(MoveCase(case.case_id, "resolved", by="li", reason="已退费"))
        assert refused.value.error_id == "resolution_incomplete"
        await e(MoveCase(case.case_id, "resolved", by="li", reason="已退费",
                         root_cause="系统重复计费", resolution="退还年费"))  # fmt: skip
        await e(MoveCase(case.case_id, "closed", by="li", reason="客户确认"))
        done = wing.store.book.case(case.case_id)
        assert done.state is CaseState.CLOSED
        assert [s.value for _at, s in done.history] == [
            "new", "open", "waiting_on_department", "resolved", "closed",
        ]  # fmt: skip
        assert (done.owner_id, done.departments, done.fields["product"]) == (
            "a1",
            ("card",),
            "金卡",
        )
        assert done.first_response_at is not None and done.root_cause == "系统重复计费"

    run(FRIDAY_4PM, body)


def test_given_bad_commands_when_refused_then_nothing_is_logged() -> None:
    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        case = await e(OpenCase("inquiry", "账单疑问", by="li", site_id="sh"))
        logged = len(wing.store.book.log)
        bad: list[Any] = [
            OpenCase("nope", "x", by="li", site_id="sh"),
            OpenCase("inquiry", "  ", by="li", site_id="sh"),
            OpenCase("inquiry", "x", by="li", site_id="mars"),
            OpenCase("inquiry", "x", by="li", site_id="sh", customer_id="cus-404"),
            OpenCase("inquiry", "x", by="li", contact_id="c404"),
            MoveCase(case.case_id, "closed", by="li"),  # no reason
            MoveCase(case.case_id, "flying", by="li", reason="r"),
            MoveCase("999", "open", by="li"),
            AddCaseNote(case.case_id, "   ", by="li"),
            UpdateCase(case.case_id, by="li", fields={"no_such_field": 1}),
            UpdateCase(case.case_id, by="li"),
            LinkToCase(case.case_id, "contact", "c404", by="li"),
            RouteCaseTask(case.case_id, "no-queue", "审核", by="li"),
        ]
        for command in bad:
            with pytest.raises(KefuError):
                await e(command)
        assert len(wing.store.book.log) == logged
        assert len(wing.store.book.cases) == 1

    run(FRIDAY_4PM, body)


def test_given_a_contact_when_a_case_is_opened_from_it_then_it_takes_its_site_and_tier() -> None:
    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        await e(c.DefineQueue(QueueSpec("vip", Channel.VOICE), "sh"))
        view = await e(c.CreateContact("vip", value_tier=2, customer_id=None))
        case = await e(OpenCase("mortgage", "房贷申请", by="li", contact_id=view["contact_id"]))
        assert (case.site_id, case.value_tier) == ("sh", 2)
        assert wing.store.book.case(case.case_id) == case
        assert [(lk.kind, lk.target_id, lk.channel) for lk in case.links] == [
            ("contact", view["contact_id"], "voice")
        ]

    run(FRIDAY_4PM, body)


def test_given_a_vip_complaint_on_friday_when_business_time_runs_then_it_escalates_monday() -> None:
    """Tier 2 complaint: first response within 1 business hour (09:00-18:00 on weekdays).
    Opened Friday 16:00 with no answer: the owner is warned at 75 % (16:45), the supervisor
    at the deadline (17:00); the 9-hour resolution clock warns at 75 % (6.75 h: 2 h on
    Friday and 4.75 h on Monday, 13:45) — never over the weekend."""

    async def body(sim: Simulation, wing: CaseWing) -> None:
        told: list[tuple[float, Notice]] = []
        wing.listeners.append(lambda n: told.append((sim.clock.now(), n)))
        case = await sim.engine.execute(
            OpenCase("complaint", "投诉理财经理", by="li", site_id="sh", value_tier=2)
        )
        await sim.step(3 * 24 * H - H)  # to Monday 15:00, an hour before the deadline
        got = [(round(at), n[1], n[2], n[3]) for at, n in told]
        assert got == [
            (round(local(2026, 3, 6, 16, 45)), "first_response", "notify", "owner"),
            (round(local(2026, 3, 6, 17, 0)), "first_response", "notify", "supervisor"),
            (round(local(2026, 3, 9, 13, 45)), "resolution", "notify", "owner"),
        ]
        assert wing.store.book.case(case.case_id).escalations == {
            ("first_response", 0), ("first_response", 1), ("resolution", 2),
        }  # fmt: skip

    run(FRIDAY_4PM, body)


def test_given_a_case_waiting_on_the_customer_when_time_passes_then_nothing_escalates() -> None:
    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        case = await e(OpenCase("inquiry", "补充材料", by="li", site_id="sh", value_tier=2))
        await e(AddCaseNote(case.case_id, "请上传身份证", by="li", internal=False))
        await e(MoveCase(case.case_id, "waiting_on_customer", by="li", reason="等材料"))
        await sim.step(10 * 24 * H)
        assert wing.store.book.case(case.case_id).escalations == frozenset()
        assert sim.scheduler.due is None or sim.scheduler.due > sim.clock.now()

    run(FRIDAY_4PM, body)


async def _backoffice(sim: Simulation) -> None:
    e = sim.engine.execute
    await e(c.DefineQueue(QueueSpec("loans", Channel.WORKITEM, {"mortgage": 1},
                                    sl_threshold_s=8 * H, aht_s=1800), "sh"))  # fmt: skip
    await e(c.DefineAgent(AgentSpec("bo1", {"mortgage": 5}, {Channel.WORKITEM: 1}, site_id="sh")))


def test_given_older_routine_work_when_a_vip_mortgage_task_comes_then_it_is_offered_first() -> None:
    """Seed 003: the high-value customer's mortgage application must not sit behind older
    routine work. Three standard-tier tasks wait since Monday; the high-value one arrives on
    Wednesday; the back-office agent who becomes ready is pushed the high-value one."""

    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        await _backoffice(sim)
        old = []
        for n in range(3):
            case = await e(OpenCase("mortgage", f"普通房贷 {n}", by="li", site_id="sh"))
            old.append((await e(RouteCaseTask(case.case_id, "loans", "审核材料", by="li")))
                       ["contact_id"])  # fmt: skip
        await sim.step(2 * 24 * H)
        vip = await e(OpenCase("mortgage", "高端客户房贷", by="li", site_id="sh", value_tier=2,
                               fields={"amount": 3_000_000}))  # fmt: skip
        task = await e(RouteCaseTask(vip.case_id, "loans", "审核材料", by="li"))
        assert task["position"] == 1
        await e(c.SetAgentState("bo1", "ready"))
        offered = [k for k, ct in sim.engine.router.contacts.items() if ct.agent_id == "bo1"]
        assert offered == [task["contact_id"]]
        contact = sim.engine.router.contacts[task["contact_id"]]
        assert contact.attributes["case_id"] == vip.case_id
        assert float(contact.attributes["sla_due"]) > sim.clock.now()
        assert wing.store.work_items[task["contact_id"]] == vip.case_id
        assert all(sim.engine.router.contacts[k].state.value == "queued" for k in old)

    run(local(2026, 3, 2, 10, 0), body)


def test_given_a_waiting_task_at_its_sla_deadline_when_it_escalates_then_it_goes_ahead() -> None:
    """Two standard mortgage tasks; the first (Monday 10:00) reaches its resolution deadline
    (10 business days) while both still wait for want of an agent: the case's priority is
    raised and so is its work item's, which the next agent gets before the younger task
    although that one was queued first."""

    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        await _backoffice(sim)
        first = await e(OpenCase("mortgage", "房贷 A", by="li", site_id="sh"))
        await sim.step(2 * 24 * H)
        second = await e(OpenCase("mortgage", "房贷 B", by="li", site_id="sh"))
        # the younger task is queued first, so without the escalation it would go first
        t2 = await e(RouteCaseTask(second.case_id, "loans", "审核", by="li"))
        t1 = await e(RouteCaseTask(first.case_id, "loans", "审核", by="li"))
        await sim.step(12 * 24 * H)  # to A's deadline: ten working days on, Monday 16 March 10:00
        a = wing.store.book.case(first.case_id)
        assert ("resolution", 3) in a.escalations and a.priority == 1
        assert sim.engine.router.contacts[t1["contact_id"]].priority == 1
        assert sim.engine.router.contacts[t2["contact_id"]].priority == 0  # B has two days left
        await e(c.SetAgentState("bo1", "ready"))
        assert sim.engine.router.contacts[t1["contact_id"]].agent_id == "bo1"

    run(local(2026, 3, 2, 10, 0), body)


def test_given_a_task_for_a_voice_queue_when_routed_then_it_is_refused() -> None:
    async def body(sim: Simulation, wing: CaseWing) -> None:
        e = sim.engine.execute
        await e(c.DefineQueue(QueueSpec("calls", Channel.VOICE), "sh"))
        case = await e(OpenCase("fault", "宽带断线", by="li", site_id="sh"))
        with pytest.raises(KefuError, match="not work items"):
            await e(RouteCaseTask(case.case_id, "calls", "上门", by="li"))
        assert wing.store.work_items == {}

    run(FRIDAY_4PM, body)
