"""The demo's simulated agents step aside for a person working as that agent at a desktop:
offers made to a taken agent are left for the person; the others go on as before."""

from __future__ import annotations

import asyncio

from kefu.adapters.clock import SystemClock
from kefu.adapters.demo import TrafficGenerator, seed
from kefu.adapters.demo.seed import QueueTraffic
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.service import RoutingEngine
from kefu.service.desktop import HumanAgents
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory


async def _until_accepted(
    engine: RoutingEngine, contact_id: str, agent_id: str, within_s: float
) -> None:
    """Wait (at most ``within_s`` s) until ``agent_id`` accepts ``contact_id``: a simulated
    agent accepts 1–4 s after its offer, so waiting on the event beats a fixed sleep."""
    store = engine.uow_factory
    assert isinstance(store, InMemoryUnitOfWorkFactory)
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if any(
            isinstance(s.event, ev.OfferAccepted)
            and s.event.contact_id == contact_id
            and s.event.agent_id == agent_id
            for s in store.store.events
        ):
            return
        await asyncio.sleep(0.05)


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


def test_given_a_persons_chat_when_simulated_agents_are_offered_it_then_it_waits_for_a_person() -> (
    None
):
    async def scenario() -> tuple[list[ev.Event], str, str]:
        engine = routing_engine(InMemoryUnitOfWorkFactory(), SystemClock())
        await engine.start()
        await seed(engine)
        traffic = TrafficGenerator(
            engine,
            seed=3,
            traffic={"chat": QueueTraffic(per_hour=3600, handle_s=1.0, patience_s=600)},
            agents=("emma", "noah", "chen.jing"),
            break_chance=0.0,
        )
        await traffic.start()
        person = await engine.execute(c.CreateContact("chat", attributes={"customer": "周杰"}))
        await asyncio.sleep(5.5)  # simulated agents accept within 1–4 s
        waiting = await engine.query(lambda e: e.router.contacts[person["contact_id"]].state)
        await engine.execute(c.SetAgentState("wang.lei", "ready"))  # a person logs in
        await asyncio.sleep(0.2)
        await traffic.stop()
        await engine.stop()
        store = engine.uow_factory
        assert isinstance(store, InMemoryUnitOfWorkFactory)
        return [s.event for s in store.store.events], person["contact_id"], waiting.value

    events, person, waiting = asyncio.run(scenario())
    assert waiting == "queued"
    rejected = {e.agent_id for e in events if isinstance(e, ev.OfferRejected)}
    assert rejected == {"emma", "noah", "chen.jing"}  # each handed it back, once
    mine = [e for e in events if getattr(e, "contact_id", None) == person]
    offers = [e.agent_id for e in mine if isinstance(e, ev.OfferCreated)]
    assert offers[-1] == "wang.lei" and offers.count("wang.lei") == 1
    assert not any(isinstance(e, ev.OfferAccepted) for e in mine)
    synthetic = [e for e in events if isinstance(e, ev.OfferAccepted)]
    assert synthetic, "the simulated agents stopped serving synthetic customers"


def test_given_a_person_ready_when_a_synthetic_customer_is_offered_to_them_then_it_goes_back() -> (
    None
):
    async def scenario() -> tuple[list[ev.Event], str]:
        engine = routing_engine(InMemoryUnitOfWorkFactory(), SystemClock())
        await engine.start()
        await seed(engine)
        traffic = TrafficGenerator(engine, seed=3, traffic={}, agents=("emma",))
        await traffic.start()
        await engine.execute(c.SetAgentState("emma", "not_ready", "break"))
        await engine.execute(c.SetAgentState("wang.lei", "ready"))  # a person at the desktop
        synthetic = {"customer": "Alice Smith", "synthetic": "demo"}
        made = await engine.execute(c.CreateContact("chat", attributes=synthetic))
        await asyncio.sleep(0.3)
        await engine.execute(c.SetAgentState("emma", "ready"))
        await _until_accepted(engine, made["contact_id"], "emma", within_s=10.0)
        await traffic.stop()
        await engine.stop()
        store = engine.uow_factory
        assert isinstance(store, InMemoryUnitOfWorkFactory)
        return [s.event for s in store.store.events], made["contact_id"]

    events, contact_id = asyncio.run(scenario())
    mine = [e for e in events if getattr(e, "contact_id", None) == contact_id]
    assert [(type(e).__name__, e.agent_id) for e in mine if hasattr(e, "agent_id")][:3] == [
        ("OfferCreated", "wang.lei"),
        ("OfferRejected", "wang.lei"),
        ("OfferCreated", "emma"),
    ]
    assert any(isinstance(e, ev.OfferAccepted) and e.agent_id == "emma" for e in mine)
