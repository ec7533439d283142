"""The kiosk's ticket menu as a flow: the options tapped are the flow's answers, its transfer
picks the service, and the ticket's contact carries the path; a choice reaching no service is
refused without taking a number."""

from __future__ import annotations

import asyncio

import pytest

from kefu.bootstrap import build_simulation
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.ivr import KioskTicket
from kefu.service.ivr.kiosk import NoServiceChosen
from kefu.service.routing import commands as c


def test_given_the_hall_flow_when_the_customer_taps_accounts_then_lost_card_then_a_ticket_with_the_path() -> (  # noqa: E501
    None
):
    async def scenario() -> None:
        async with build_simulation(Settings(env="test", ivr_flows="branch=hall")) as sim:
            e = sim.engine.execute
            await e(c.CreateSite("hall", "营业厅"))
            for queue_id in ("hall-cash", "hall-account"):
                await e(c.DefineQueue(QueueSpec(queue_id, Channel.BRANCH, aht_s=300), "hall"))
            await e(c.DefineAgent(AgentSpec("counter-1", site_id="hall")))
            cash = await e(KioskTicket("hall", ("1",)))
            assert cash.service == "hall-cash" and cash.ticket.endswith("001")
            ticket = await e(KioskTicket("hall", ("2", "2"), name="李女士"))
            assert ticket.service == "hall-account"

            def attributes() -> dict[str, str]:
                return dict(sim.engine.router.contacts[ticket.contact_id].attributes)

            a = await sim.engine.query(lambda _e: attributes())
            assert a["ivr.flow"] == "hall@1" and a["ivr.path"] == "service:2>account:2"
            assert a["ivr.path.text"] == "账户业务 > 挂失补卡"
            with pytest.raises(NoServiceChosen):
                await e(KioskTicket("hall", ("2",)))  # a sub-menu, not a service yet
            again = await e(KioskTicket("hall", ("2", "1")))
            assert again.ticket.endswith("002")  # the refusal took no number

    asyncio.run(scenario())
