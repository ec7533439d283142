"""NATS killed and restarted in the middle of a run, on real PostgreSQL and a private
nats-server with JetStream (its own port and store directory; the shared server is never
touched). A web node's client keeps sending contact creations, each retried with its
Idempotency-Key until acknowledged; the leader also commits while NATS is down. Then:
every acknowledged command is in the store exactly once, and the web node's copy of the
router (a replica fed by the stream, and by the store after the hole) holds them all, in
the leader's state, and follows the stream again once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import free_port
from test_cluster_bus import ADMIN, SECRET

from kefu.adapters.cluster.bus import CommandClient, CommandServer, EventPublisher, event_subject
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.follower import EventFollower
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.errors import ServiceUnavailable
from kefu.service.replica import ReplicaEngine
from kefu.service.routing import commands as c
from kefu.service.transaction import HandlerTable
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres

NATS_SERVER = shutil.which("nats-server")


class PrivateNats:
    """A nats-server with JetStream on a free port and its own store directory."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert NATS_SERVER is not None
        command = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
        self.process = subprocess.Popen(
            [*command, "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise AssertionError("the private nats-server did not start")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no flush of its store."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10.0)
            self.process = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    if NATS_SERVER is None:
        pytest.skip("nats-server is not installed")
    server = PrivateNats(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def schema(postgres_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    url, name = postgres_schema
    engine = make_engine(url, schema=name)
    upgrade(engine)
    engine.dispose()
    yield url, name


async def _connect(url: str) -> Any:
    import nats

    # Reconnect for ever, quickly: the server comes back on the same port.
    return await nats.connect(
        url, max_reconnect_attempts=-1, reconnect_time_wait=0.1, connect_timeout=2
    )


async def _acknowledged(client: CommandClient, key: str, retries: list[int]) -> str:
    """Send one creation until it is acknowledged (the same key each time)."""
    create = c.CreateContact(
        "voice", attributes={"客户": key}, idempotency_key=f"u-admin:{key}", request_hash=key
    )
    for _ in range(200):
        try:
            answer = await client.execute(create, ADMIN)
            return str(answer["contact_id"])
        except ServiceUnavailable:
            retries.append(1)
            await asyncio.sleep(0.1)
    raise AssertionError(f"{key} was never acknowledged")


def test_given_nats_killed_and_restarted_mid_run_when_commands_go_on_then_nothing_acked_is_lost(
    schema: tuple[str, str], private_nats: PrivateNats
) -> None:
    url, name = schema
    domain = f"r{uuid.uuid4().hex[:10]}"

    async def scenario() -> None:
        database = make_engine(url, schema=name)
        uow_factory = SqlUnitOfWorkFactory(database)
        leader = routing_engine(uow_factory, ManualClock(1_000.0))
        await leader.start()
        await leader.execute(c.CreateSite("sh", "上海中心"))
        await leader.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        await leader.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
        router_nc, web_nc = await _connect(private_nats.url), await _connect(private_nats.url)
        js = router_nc.jetstream()
        await js.add_stream(name=stream_name(domain), subjects=[event_subject(domain)])
        publisher = EventPublisher(js, leader, domain)
        server = CommandServer(router_nc, leader, domain, sealer=CommandSealer(SECRET, domain))
        await publisher.start()
        await server.start()
        replica = ReplicaEngine(uow_factory, ManualClock(1_000.0), handlers=HandlerTable())
        await replica.start()
        follower = EventFollower(
            web_nc.jetstream(),
            uow_factory,
            domain,
            replica.apply,
            position=replica.last_seq,
            poll_s=0.5,
        )
        await follower.start()
        client = CommandClient(web_nc, domain, sealer=CommandSealer(SECRET, domain), timeout_s=1.0)
        acked: list[str] = []
        retries: list[int] = []
        try:
            for i in range(15):
                acked.append(await _acknowledged(client, f"before-{i}", retries))
            streamed_before = follower.position - follower.from_store
            await asyncio.to_thread(private_nats.kill)
            sent = asyncio.create_task(_acknowledged(client, "during", retries))
            for i in range(5):  # acknowledged by the leader; their publish fails
                done = await leader.execute(c.CreateContact("voice", attributes={"本地": str(i)}))
                acked.append(done["contact_id"])
            await leader.execute(c.SetAgentState("a1", "ready"))
            await asyncio.sleep(1.0)
            await asyncio.to_thread(private_nats.start)
            acked.append(await sent)
            for i in range(15):
                acked.append(await _acknowledged(client, f"after-{i}", retries))
            assert retries, "no command met the outage: NATS was not down mid-run"

            for _ in range(300):
                if replica.last_seq >= leader.last_seq:
                    break
                await asyncio.sleep(0.05)
            assert replica.last_seq == leader.last_seq, "the web node never caught up"
            assert follower.from_store > 0, "the hole was not read from the store"
            with uow_factory() as uow:
                stored = [s.event for s in uow.events.read(0)]
            queued = Counter(e.contact_id for e in stored if isinstance(e, ev.ContactQueued))
            assert len(acked) == len(set(acked)) == 36
            assert all(queued[contact_id] == 1 for contact_id in acked), "lost or doubled"
            assert sum(queued.values()) == len(acked)
            for contact_id in acked:
                assert replica.router.contact(contact_id) == leader.router.contact(contact_id)
            assert replica.router.agent("a1") == leader.router.agent("a1")
            # The web node follows the stream again, not only the store's polls.
            assert follower.position - follower.from_store > streamed_before
        finally:
            await follower.stop()
            await server.stop()
            await publisher.stop()
            await leader.stop()
            await replica.stop()
            with contextlib.suppress(Exception):
                await js.delete_stream(stream_name(domain))
            await web_nc.close()
            await router_nc.close()
            database.dispose()

    asyncio.run(scenario())
