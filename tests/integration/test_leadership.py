"""Leadership of a routing domain on a real PostgreSQL: one holder of the advisory lock at
a time, an epoch bumped at each new leader, and the fence: a paused old leader that comes
back is refused its first append after a new leader took over, and stores nothing."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from kefu.adapters.cluster import LeaderLease
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.errors import NotLeader
from kefu.service.routing import commands as c
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_schema: tuple[str, str]) -> Iterator[Engine]:
    url, schema = postgres_schema
    engine = make_engine(url, schema=schema)
    upgrade(engine)
    yield engine
    engine.dispose()


def _terminate(url: str, pid: int) -> None:
    """What a partition or a long pause does to the old leader's session, at once."""
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_given_a_leader_when_a_standby_tries_then_it_waits_and_takes_over_with_a_new_epoch(
    database: Engine, postgres_schema: tuple[str, str]
) -> None:
    domain = f"east-{uuid.uuid4().hex[:8]}"
    first, second = LeaderLease(database, domain, "r1"), LeaderLease(database, domain, "r2")
    try:
        assert first.try_acquire() == 1
        assert second.try_acquire() is None and second.epoch == 0
        assert first.holds()
        pid = first.backend_pid
        assert pid is not None
        _terminate(postgres_schema[0], pid)
        assert not first.holds()
        assert second.acquire(timeout_s=10.0) == 2
        assert first.try_acquire() is None  # the old leader comes back as a standby
    finally:
        first.release()
        second.release()


def test_given_a_new_leader_when_the_paused_old_one_appends_then_it_is_refused_and_stores_nothing(
    database: Engine, postgres_schema: tuple[str, str]
) -> None:
    domain = f"east-{uuid.uuid4().hex[:8]}"
    old, new = LeaderLease(database, domain, "r1"), LeaderLease(database, domain, "r2")
    uow_factory = SqlUnitOfWorkFactory(database)
    clock = ManualClock(1_000.0)

    async def scenario() -> None:
        assert old.try_acquire() == 1
        leader = routing_engine(uow_factory, clock, fence=old.fence)
        await leader.start()
        await leader.execute(c.CreateSite("sh", "上海中心"))
        await leader.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        await leader.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
        await leader.execute(c.CreateContact("voice", attributes={"客户": "张三"}))
        # The old leader pauses; its session is gone; the standby takes over.
        pid = old.backend_pid
        assert pid is not None
        _terminate(postgres_schema[0], pid)
        assert new.acquire(timeout_s=10.0) == 2
        standby = routing_engine(uow_factory, clock, fence=new.fence)
        await standby.start()
        assert len(standby.router.contacts) == 1
        before = standby.last_seq

        # The old leader wakes up believing it leads, and acts.
        clock.advance(1.0)
        with pytest.raises(NotLeader):
            await leader.execute(c.CreateContact("voice", attributes={"客户": "李四"}))
        with pytest.raises(NotLeader):  # and it refuses everything from now on
            await leader.execute(c.SetAgentState("a1", "ready"))
        assert leader.fenced and not leader.ready
        with uow_factory() as uow:
            assert uow.events.count() == before  # nothing of the old leader's was stored

        made = await standby.execute(c.CreateContact("voice", attributes={"客户": "王五"}))
        assert made["state"] == "queued" and standby.last_seq > before
        await standby.stop()
        await leader.stop()

    try:
        asyncio.run(scenario())
    finally:
        old.release()
        new.release()


def test_given_a_batch_in_flight_when_a_new_leader_bumps_the_epoch_then_the_bump_waits_for_it(
    database: Engine,
) -> None:
    domain = f"east-{uuid.uuid4().hex[:8]}"
    old, new = LeaderLease(database, domain, "r1"), LeaderLease(database, domain, "r2")
    uow_factory = SqlUnitOfWorkFactory(database)
    try:
        assert old.try_acquire() == 1
        bumped = threading.Event()
        with uow_factory() as uow:
            old.fence(uow)  # the batch has passed its fence and holds the row
            old.release()  # the lock goes (a pause); the batch is still in flight

            def take_over() -> None:
                new.acquire(timeout_s=30.0)
                bumped.set()

            thread = threading.Thread(target=take_over)
            thread.start()
            assert not bumped.wait(0.5), "the new epoch must wait for the batch in flight"
            uow.commit()
        thread.join(30.0)
        assert bumped.is_set() and new.epoch == 2
        with uow_factory() as uow, pytest.raises(NotLeader):
            old.fence(uow)
    finally:
        old.release()
        new.release()
