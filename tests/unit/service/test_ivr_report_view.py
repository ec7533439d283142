"""The supervisors' IVR report of the wing's stored records: the figures of the analytics,
the contacts of the window only, and the exits where contacts left the flow."""

from __future__ import annotations

import asyncio
from typing import Any

from ivr_world import account, chat_customer, open_center, simulation

from kefu.service.ivr import IvrHangup, ivr_report_view


def test_given_chats_through_the_bank_flow_when_reported_then_coverage_and_exits() -> None:
    acct = account()

    async def scenario() -> dict[str, Any]:
        async with simulation() as sim:
            await open_center(sim)
            served = chat_customer(sim, "tok-a")
            for text in ("hi", "1", acct.card, acct.pin, "3", "3"):  # balance, goodbye
                await served.say(text)
            agent = chat_customer(sim, "tok-b")
            for text in ("hi", "2", "0"):
                await agent.say(text)
            gone = chat_customer(sim, "tok-c")
            await gone.say("hi")
            await sim.engine.execute(IvrHangup(gone.conversation_id))
            now = sim.clock.now()
            records = list(sim.channels.state.records)
            assert ivr_report_view(records, now + 1, now + 2)["contacts"] == 0
            return ivr_report_view(records, now - 3600, now + 1)

    view = asyncio.run(scenario())
    assert (view["contacts"], view["contained"], view["handed_off"], view["abandoned"]) == (
        3,
        1,
        1,
        1,
    )
    assert view["coverage"] == 1 / 3 and view["coverage_target"] == 0.78
    exits = {(x["node_id"], x["exit"]): x["count"] for x in view["exits"]}
    assert exits == {
        ("goodbye", "self_service"): 1,
        ("agent", "agent"): 1,
        ("language", "abandoned"): 1,
    }
