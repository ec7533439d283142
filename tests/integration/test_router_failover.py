"""Two router nodes of one routing domain on real PostgreSQL and NATS: the first leads,
the second waits as a standby; when the leader's session dies, the standby takes over
within seconds, with the state the leader stored, and a web node's retried create (same
Idempotency-Key) is applied once across the failover."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from test_cluster_bus import ADMIN, _connect, sealer

from kefu.adapters.cluster import LeaderLease
from kefu.adapters.cluster.bus import CommandClient
from kefu.adapters.cluster.node import RouterNode, stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
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


def test_given_a_leader_and_a_standby_when_the_leader_dies_then_the_standby_serves_at_once(
    schema: tuple[str, str],
) -> None:
    url, name = schema
    domain = f"east{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        nc = await _connect()
        databases: list[Engine] = [make_engine(url, schema=name) for _ in range(2)]
        lost: list[str] = []
        nodes = []
        for i, database in enumerate(databases):
            engine = routing_engine(SqlUnitOfWorkFactory(database), ManualClock(1_000.0))
            lease = LeaderLease(database, domain, f"r{i + 1}")
            node = RouterNode(
                engine,
                lease,
                nc,
                sealer=sealer(domain),
                on_lost=lambda i=i: lost.append(f"r{i + 1}"),  # type: ignore[arg-type]
                poll_s=0.1,
                check_s=0.2,
            )
            nodes.append(node)
        first, second = nodes
        try:
            await first.start()
            await asyncio.wait_for(first.leading.wait(), 20.0)
            await second.start()
            await first.engine.execute(c.CreateSite("sh", "上海中心"))
            await first.engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
            await first.engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
            web = CommandClient(nc, domain, sealer=sealer(domain), timeout_s=2.0)  # type: ignore[arg-type]
            create = c.CreateContact("voice", idempotency_key="u-admin:web-7", request_hash="h7")
            made = await web.execute(create, ADMIN)
            assert not second.leading.is_set() and second.epoch == 0

            pid = first.lease.backend_pid
            assert pid is not None
            died = time.monotonic()
            admin = create_engine(url)
            with admin.begin() as connection:  # the leader's host dies: its session ends
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.dispose()
            await asyncio.wait_for(second.leading.wait(), 20.0)
            failover_s = time.monotonic() - died
            # The old leader finds its lock gone at its next check, which may come after the
            # standby took over on a loaded machine.
            for _ in range(200):
                if lost:
                    break
                await asyncio.sleep(0.05)
            assert second.epoch == 2 and lost == ["r1"]
            assert failover_s < 10.0, f"failover took {failover_s:.1f} s"

            again = await web.execute(create, ADMIN)  # the web node's retry lands on the new leader
            assert again["contact_id"] == made["contact_id"] and again["replayed"] is True
            other = await web.execute(c.CreateContact("voice", attributes={"客户": "李四"}), ADMIN)
            assert set(second.engine.router.contacts) == {made["contact_id"], other["contact_id"]}
        finally:
            for node in nodes:
                await node.stop()
            js = nc.jetstream()  # type: ignore[attr-defined]
            await js.delete_stream(stream_name(domain))
            await nc.close()  # type: ignore[attr-defined]
            for database in databases:
                database.dispose()

    asyncio.run(scenario())
