"""A read-only copy of the router (a web node's): rebuilt from the store, kept in step by
the leader's committed events (each once, duplicates skipped), publishing them to its
subscribers; it runs no command and fires no timer of its own."""

from __future__ import annotations

import asyncio

import pytest

from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.errors import ServiceUnavailable
from kefu.service.ports import StoredEvent
from kefu.service.replica import ReplicaEngine
from kefu.service.routing import commands as c
from kefu.service.transaction import HandlerTable
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock


def test_given_a_leader_and_a_replica_when_events_follow_then_both_routers_agree() -> None:
    async def scenario() -> None:
        store = InMemoryUnitOfWorkFactory()
        clock = ManualClock(1_000.0)
        leader = routing_engine(store, clock)
        await leader.start()
        await leader.execute(c.CreateSite("sh", "上海"))
        await leader.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        await leader.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
        await leader.execute(c.CreateContact("voice"))

        replica = ReplicaEngine(store, clock, handlers=HandlerTable())
        await replica.start()
        assert replica.last_seq == leader.last_seq
        assert replica.queue_rows.keys() == {"voice"} and replica.sites.keys() == {"sh"}
        seen: list[int] = []
        replica.subscribe(lambda batch: seen.extend(s.seq for s in batch))
        followed: list[StoredEvent] = []
        leader.subscribe(lambda batch: followed.extend(batch))

        await leader.execute(c.SetAgentState("a1", "ready"))  # offers the waiting contact
        clock.advance(60.0)  # past the offer's timeout: the leader's timer fires
        await leader.tick()
        await leader.execute(c.CreateContact("voice"))
        replica.apply(followed[:2])
        replica.apply(followed)  # the first two again: skipped
        assert seen == [s.seq for s in followed]
        assert replica.last_seq == leader.last_seq

        def state(router: object) -> object:
            contacts = getattr(router, "contacts")  # noqa: B009
            return {k: (v.state, v.offer_id) for k, v in contacts.items()}

        assert state(replica.router) == state(leader.router)
        clock.advance(3_600.0)  # the replica fires nothing of its own
        before = replica.last_seq
        await replica.query(lambda _e: None)
        assert replica.router.drain() == [] and replica.last_seq == before
        with pytest.raises(ServiceUnavailable):
            await replica.execute(c.CreateContact("voice"))
        await leader.stop()
        await replica.stop()

    asyncio.run(scenario())
