"""A node's projection following a routing domain on real NATS JetStream and PostgreSQL:
stopped while events are committed, restarted from the position it had reached, and
fed a stream with a hole (events committed while the publisher was down), it sees every
event exactly once, in log order, the missed ones read from the store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence

import pytest
from test_cluster_bus import _connect

from kefu.adapters.cluster.bus import EventPublisher, event_subject
from kefu.adapters.cluster.follower import EventFollower
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.engine import RoutingEngine
from kefu.service.ports import StoredEvent
from kefu.service.routing import commands as c
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema(postgres_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    url, name = postgres_schema
    engine = make_engine(url, schema=name)
    upgrade(engine)
    engine.dispose()
    yield url, name


async def _reach(follower: EventFollower, seq: int) -> None:
    for _ in range(400):
        if follower.position >= seq:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the follower is at {follower.position}, not {seq}")


async def _contacts(engine: RoutingEngine, count: int) -> None:
    for i in range(count):
        await engine.execute(c.CreateContact("voice", attributes={"客户": f"客户{i}"}))


def test_given_a_stopped_follower_and_a_hole_in_the_stream_when_it_runs_again_then_each_event_once(
    schema: tuple[str, str],
) -> None:
    url, name = schema
    domain = f"f{uuid.uuid4().hex[:10]}"

    async def scenario() -> None:
        nc = await _connect()
        js = nc.jetstream()  # type: ignore[attr-defined]
        await js.add_stream(name=stream_name(domain), subjects=[event_subject(domain)])
        database = make_engine(url, schema=name)
        uow_factory = SqlUnitOfWorkFactory(database)
        engine = routing_engine(uow_factory, ManualClock(1_000.0))
        await engine.start()
        publisher = EventPublisher(js, engine, domain)
        seen: list[int] = []

        def project(events: Sequence[StoredEvent]) -> None:
            seen.extend(stored.seq for stored in events)

        followers: list[EventFollower] = []
        try:
            await publisher.start()
            await engine.execute(c.CreateSite("sh", "上海中心"))
            await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
            await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
            first = EventFollower(js, uow_factory, domain, project)
            followers.append(first)
            await first.start()  # the events before it: from the store
            assert first.from_store == engine.last_seq
            await _contacts(engine, 3)  # from the stream
            await _reach(first, engine.last_seq)
            assert first.from_store < first.position

            await first.stop()  # the node goes away while events are committed
            await _contacts(engine, 4)
            second = EventFollower(js, uow_factory, domain, project, position=first.position)
            followers.append(second)
            await second.start()
            missed = engine.last_seq - first.position
            assert missed > 0 and second.from_store == missed

            before_hole = engine.last_seq
            await publisher.stop()  # committed but never published: a hole in the stream
            await _contacts(engine, 3)
            publisher = EventPublisher(js, engine, domain)
            await publisher.start()
            hole_end = engine.last_seq
            await engine.execute(c.SetAgentState("a1", "ready"))  # the next one published
            await _reach(second, engine.last_seq)
            assert second.position == engine.last_seq
            assert seen == list(range(1, engine.last_seq + 1)), "an event missed or repeated"
            assert second.from_store >= missed + (hole_end - before_hole)
        finally:
            for follower in followers:
                await follower.stop()
            await publisher.stop()
            await engine.stop()
            await js.delete_stream(stream_name(domain))
            await nc.close()  # type: ignore[attr-defined]
            database.dispose()

    asyncio.run(scenario())
