"""The demo's synthetic chat customers answer the bank flow: those asking for an agent reach
the chat queue marked synthetic (only simulated agents take them), verified by the IVR."""

from __future__ import annotations

import asyncio
import random

from ivr_world import open_center, simulation

from kefu.adapters.demo.ivr_chats import IvrChatCustomers
from kefu.adapters.demo.seed import SYNTHETIC


def test_given_synthetic_chat_customers_when_they_go_through_the_bank_flow_then_agents_see_ivr_data() -> (  # noqa: E501
    None
):
    async def scenario() -> None:
        async with simulation() as sim:
            await open_center(sim)
            crowd = IvrChatCustomers(
                sim.channels, "bank", random.Random(5), pause_s=(0.0, 0.0), agent_share=1.0
            )
            made = [await crowd.arrive(f"客户{i}", chinese=i % 2 == 0) for i in range(12)]
            queued = [m for m in made if m is not None]
            assert len(queued) == 12  # every one asked for an agent in the end

            def attributes() -> list[dict[str, str]]:
                return [dict(sim.engine.router.contacts[m].attributes) for m in queued]

            seen = await sim.engine.query(lambda _e: attributes())
            assert all(a[SYNTHETIC[0]] == SYNTHETIC[1] and a["ivr.flow"] == "bank@1" for a in seen)
            assert all("ivr_flow" not in a for a in seen)
            verified = [a for a in seen if a.get("ivr.verified.method") == "account_pin"]
            assert verified and all("ivr.self_service" in a for a in verified)
            languages = {a["ivr.language"] for a in seen}
            assert languages == {"zh", "en"}

    asyncio.run(scenario())
