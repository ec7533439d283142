"""Branch tickets: seed 001's mobile hall (7 counters, 5-minute service, 110 ahead → about
79 minutes), counters answering at once and calling the next number, the hall display,
visits on the customer's timeline, SMS instead of waiting, numbering after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from test_channels_service import Desk, Outbox

from kefu.bootstrap import branch_wing
from kefu.domain.errors import UnknownQueue, ValidationError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service import ServiceUnavailable
from kefu.service.branch import BranchDesk, IdleReason
from kefu.service.channels import read_customer_panel
from kefu.service.routing import commands as c

COUNTERS = [f"counter-{n}" for n in range(1, 8)]


async def hall(desk: Desk) -> BranchDesk:
    e = desk.engine.execute
    await e(c.CreateSite("hall", "营业厅"))
    await e(c.DefineQueue(QueueSpec("mobile", Channel.BRANCH, aht_s=300, name="移动业务"), "hall"))
    await e(c.DefineQueue(QueueSpec("bank", Channel.BRANCH, aht_s=360, name="银行业务"), "hall"))
    for n, agent_id in enumerate(COUNTERS, start=1):
        await e(c.DefineAgent(AgentSpec(agent_id, site_id="hall", name=f"{n}号窗口")))
    branch = branch_wing(desk.channels, timezone="Asia/Shanghai", notify_ahead=3)
    await branch.start()
    return branch


def run(scenario: Callable[[Desk, BranchDesk], Awaitable[None]]) -> None:
    async def main() -> None:
        desk = Desk()
        await desk.start(seed=False)
        branch = await hall(desk)
        try:
            await scenario(desk, branch)
        finally:
            await branch.stop()
            await desk.channels.stop()
            await desk.engine.stop()

    asyncio.run(main())


def test_given_seed_001_hall_when_ticket_111_is_drawn_then_about_79_minutes_110_ahead() -> None:
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        for agent_id in COUNTERS:
            view = await branch.call_next(agent_id)
            assert view.serving == () and view.presence == "ready"
        first = [await branch.issue("mobile") for _ in range(7)]
        # Seven counters were free: the first seven numbers are called at once.
        assert [t.state for t in first] == ["active"] * 7
        assert [t.ticket for t in first] == [f"B{n:03d}" for n in range(1, 8)]
        for _ in range(110):
            await branch.issue("mobile")
        mine = await branch.issue("mobile", phone="13800138000", name="王先生")
        assert mine.ticket == "B118" and mine.ahead == 110
        assert mine.estimated_wait_s == pytest.approx(111 * 300 / 7)
        assert round(mine.estimated_wait_s / 60) == 79
        assert desk.engine.router.queue_status("mobile")["waiting"] == 111

    run(scenario)


def test_given_counters_when_calling_next_then_numbers_go_in_order_and_show_on_display() -> None:
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        tickets = [await branch.issue("bank") for _ in range(3)]
        assert [t.ticket for t in tickets] == ["A001", "A002", "A003"]
        assert all(t.state == "queued" for t in tickets)
        view = await branch.call_next("counter-1")
        assert [s.ticket for s in view.serving] == ["A001"]
        view = await branch.call_next("counter-1")  # A001 served, A002 called
        assert [s.ticket for s in view.serving] == ["A002"]
        await branch.call_next("counter-2")
        await desk.settle()
        shown = branch.display(desk.engine.router)
        # Counters show by number (the order their agents were defined), not by name.
        assert [(x.ticket, x.number, x.counter) for x in shown.called] == [
            ("A003", 2, "2号窗口"),
            ("A002", 1, "1号窗口"),
            ("A001", 1, "1号窗口"),
        ]
        b001 = desk.engine.router.contacts[tickets[0].contact_id]
        assert b001.state.value == "completed"
        view = await branch.pause("counter-1")
        assert view.pending == "not_ready"
        with pytest.raises(UnknownQueue):
            await branch.issue("nonexistent")
        with pytest.raises(ValidationError):
            await branch.issue("bank", phone="not a phone")

    run(scenario)


def test_given_a_ready_counter_when_a_ticket_is_drawn_then_it_is_called_at_once() -> None:
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        await desk.engine.execute(c.SetAgentState("counter-3", "ready"))
        ticket = await branch.issue("mobile")
        assert ticket.state == "active" and ticket.counter == "3号窗口"

    run(scenario)


def test_given_a_visit_with_a_phone_then_it_is_on_the_customers_timeline() -> None:
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        ticket = await branch.issue("mobile", phone="+86 139 0000 1111", name="李女士")
        conv_id = desk.channels.state.conversation_of[ticket.contact_id]
        customer_id = desk.channels.state.conversation(conv_id).customer_id
        panel = read_customer_panel(desk.channels.state, desk.engine.router, customer_id).to_json()
        assert panel["name"] == "李女士"
        (visit,) = panel["timeline"]
        assert visit["channel"] == "branch" and visit["outcome"] == "queued"

    run(scenario)


def test_given_sms_instead_of_waiting_then_an_sms_goes_out_when_the_turn_nears() -> None:
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        sms = Outbox("sms")
        desk.channels.set_gateway(Channel.BRANCH, sms)
        for _ in range(5):
            await branch.issue("mobile")
        mine = await branch.issue("mobile", phone="13900001111")
        assert mine.ahead == 5
        await branch.sms_instead(mine.contact_id, "13900001111")
        await branch.call_next("counter-1")
        await desk.settle()
        assert sms.sent == []  # 4 ahead: not yet
        await branch.call_next("counter-1")
        await desk.settle()
        (sent,) = sms.sent
        assert "前面还有 3 位" in sent.text and sent.route.address == "+8613900001111"

    run(scenario)


def test_given_a_restart_then_numbering_continues_and_calls_come_back() -> None:
    async def scenario() -> None:
        desk = Desk()
        await desk.start(seed=False)
        branch = await hall(desk)
        await branch.issue("mobile")
        await branch.issue("mobile")
        await branch.call_next("counter-1")
        await branch.stop()
        await desk.channels.stop()
        await desk.engine.stop()

        again = Desk(desk.store, prefix="r")
        await again.start(seed=False)
        branch2 = branch_wing(again.channels)
        await branch2.start()
        assert (await branch2.issue("mobile")).ticket == "B003"
        assert [x.ticket for x in branch2.display(again.engine.router).called] == ["B001"]
        await branch2.stop()
        await again.channels.stop()
        await again.engine.stop()

    asyncio.run(scenario())


def test_given_an_sms_wish_whose_write_failed_then_no_sms_goes_out() -> None:
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        sms = Outbox("sms")
        desk.channels.set_gateway(Channel.BRANCH, sms)
        for _ in range(5):
            await branch.issue("mobile")
        mine = await branch.issue("mobile", phone="13900001111")
        desk.store.store.fail_next_commit = True
        with pytest.raises(ServiceUnavailable):
            await branch.sms_instead(mine.contact_id, "13900001111")
        # The wish was never stored: memory must not keep it and send an SMS later.
        for _ in range(4):
            await branch.call_next("counter-1")
            await desk.settle()
        assert (await branch.ticket(mine.contact_id)).ahead <= 3
        assert sms.sent == []

    run(scenario)


def test_given_two_waiting_at_a_service_the_counter_lacks_when_calling_next_then_it_says_why() -> (
    None
):
    async def scenario(desk: Desk, branch: BranchDesk) -> None:
        e = desk.engine.execute
        vip = QueueSpec("vip", Channel.BRANCH, {"vip": 1}, aht_s=300, name="贵宾 VIP")
        await e(c.DefineQueue(vip, "hall"))
        await branch.issue("vip")
        await branch.issue("vip")
        view = await branch.call_next("counter-1")
        assert view.serving == () and view.counter_no == 1
        # Two wait, but at a service whose skill counter 1 lacks: it says so.
        assert view.idle == IdleReason("nobody_waiting", 2, 0)
        await e(c.DefineAgent(AgentSpec("vip.desk", {"vip": 3}, site_id="hall")))
        await e(c.SetAgentState("vip.desk", "not_ready", "lunch"))
        paused = branch.counter_view(desk.engine.router, "vip.desk")
        assert paused.idle is not None and paused.idle.code == "paused"
        assert paused.counter_no == 8
        served = await branch.call_next("vip.desk")
        assert served.idle is None and served.serving[0].ticket == "C001"
        with pytest.raises(ValidationError, match="does not serve a counter"):
            await branch.call_next("nobody")

    run(scenario)
