"""The demo's simulated agents step aside for a person working as that agent at a desktop:
offers made to a taken agent are left for the person; the others go on as before."""

from __future__ import annotations

import asyncio

from kefu.adapters.clock import SystemClock
from kefu.adapters.demo import TrafficGenerator, seed
from kefu.adapters.demo.seed import QueueTraffic
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.service.desktop import HumanAgents
from kefu.testing import InMemoryUnitOfWorkFactory


def test_given_a_human_at_emmas_desktop_then_the_simulation_leaves_her_offers_alone() -> None:
    async def scenario() -> list[ev.Event]:
        engine = routing_engine(InMemoryUnitOfWorkFactory(), SystemClock())
        await engine.start()
        await seed(engine)
        humans = HumanAgents()
        humans.enter("emma")
        traffic = TrafficGenerator(
            engine,
            seed=5,
            traffic={"chat": QueueTraffic(per_hour=7200, handle_s=1.0, patience_s=600)},
            agents=("emma", "wang.lei"),
            break_chance=0.0,
            taken=humans.taken,
        )
        await traffic.start()
        await asyncio.sleep(5.5)
        await traffic.stop()
        await engine.stop()
        store = engine.uow_factory
        assert isinstance(store, InMemoryUnitOfWorkFactory)
        return [s.event for s in store.store.events]

    events = asyncio.run(scenario())
    offered = {e.agent_id for e in events if isinstance(e, ev.OfferCreated)}
    accepted = [e.agent_id for e in events if isinstance(e, ev.OfferAccepted)]
    assert offered == {"emma", "wang.lei"}
    assert "wang.lei" in accepted and "emma" not in accepted
