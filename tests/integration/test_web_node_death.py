"""A web node dies (``kill -9`` of its process) in front of a router, on real PostgreSQL
and NATS: two ``kefu serve --role web`` processes; a client that created contacts and
watched the wallboard on the first reconnects to the second, sees the same wallboard
state, and its retry of a creation whose answer it lost is applied once.

The desktop and the chat do not run on web nodes yet, so their sockets (the chat
transcript, the desktop state) are not part of this test."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from server_helpers import CHEAP_HASHING_ENV, KEFU, free_port
from test_cluster_bus import NATS_URL, SECRET, _connect

from kefu.adapters.cluster.bus import CommandServer, EventPublisher, event_subject
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema(postgres_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    url, name = postgres_schema
    engine = make_engine(url, schema=name)
    upgrade(engine)
    engine.dispose()
    yield url, name


class WebNode:
    """``kefu serve --role web`` as a child process on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*KEFU, "serve", "--role", "web", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"the web node exited:\n{self.log.read_text()}")
                try:
                    if (await client.get(f"{self.base}/readyz", timeout=1)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        pytest.fail(f"the web node was not ready in {timeout_s} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10.0)


async def _until(ws: Any, shows: Any) -> dict[str, Any]:
    """The first wallboard frame for which ``shows(frame)`` holds."""
    for _ in range(400):  # a frame per broadcast round (50 ms): 20 s at most
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10.0))
        if shows(frame):
            return frame
    raise AssertionError("the wallboard never showed the state awaited")


def _waiting(count: int, presence: str | None = None) -> Any:
    """A frame with ``count`` contacts waiting in ``voice`` (and agent a1 ``presence``)."""

    def shows(frame: dict[str, Any]) -> bool:
        queues, agents = _board(frame)
        return ("voice", count) in queues and (presence is None or ("a1", presence) in agents)

    return shows


def _board(frame: dict[str, Any]) -> Any:
    """What the wallboard shows of the queues and agents (without its clock)."""
    queues = [(q["queue_id"], q["waiting"]) for q in frame["queues"]]
    agents = [(a["agent_id"], a.get("presence")) for a in frame["agents"]]
    return queues, agents


def test_given_two_web_nodes_when_one_is_killed_then_its_client_finds_the_same_state_on_the_other(
    schema: tuple[str, str], tmp_path: Path
) -> None:
    url, name = schema
    domain = f"d{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        **CHEAP_HASHING_ENV,
        "KEFU_ENV": "test",
        "KEFU_SECRET_KEY": SECRET,
        "KEFU_DATABASE_URL": url,
        "KEFU_DATABASE_SCHEMA": name,
        "KEFU_ROUTING_DOMAIN": domain,
        "KEFU_NATS_URL": NATS_URL,
        "KEFU_WALLBOARD_INTERVAL_S": "0.05",
    }
    env.pop("KEFU_DB_PATH", None)

    async def scenario() -> None:
        nc: Any = await _connect()
        database = make_engine(url, schema=name)
        uow_factory = SqlUnitOfWorkFactory(database)
        engine = routing_engine(uow_factory, ManualClock(time.time()))
        await engine.start()
        js = nc.jetstream()
        await js.add_stream(name=stream_name(domain), subjects=[event_subject(domain)])
        publisher = EventPublisher(js, engine, domain)
        server = CommandServer(nc, engine, domain, sealer=CommandSealer(SECRET, domain))
        await publisher.start()
        await server.start()
        nodes: list[WebNode] = []
        try:
            await engine.execute(c.CreateSite("sh", "上海中心"))
            await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
            await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
            settings = Settings(env="test", secret_key=SECRET, **_cheap())
            security = security_from_settings(settings, uow_factory, ManualClock(time.time()))
            security.users.create(
                username="sup-sh", password="a long password", role="supervisor", sites=["sh"]
            )
            scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
            _, token = security.credentials.issue_token("sup-sh", scopes)
            auth = {"Authorization": f"Bearer {token}"}
            nodes = [WebNode(env, tmp_path / f"web{i}.log") for i in (1, 2)]
            await asyncio.gather(*(node.ready() for node in nodes))  # started side by side
            first, second = nodes

            async with httpx.AsyncClient(headers=auth) as client:
                ws_url = f"ws://127.0.0.1:{first.port}/ws/wallboard"
                async with websockets.connect(ws_url, additional_headers=auth) as ws:
                    await _until(ws, _waiting(0))
                    for key in ("k-1", "k-2"):
                        made = await client.post(
                            f"{first.base}/api/v1/contacts",
                            json={"queue_id": "voice", "attributes": {"客户": key}},
                            headers={"Idempotency-Key": key},
                        )
                        assert made.status_code == 201, made.text
                    lost = made.json()["contact_id"]  # the answer the client did not get
                    ready = await client.post(
                        f"{first.base}/api/v1/agents/a1/state", json={"presence": "not_ready"}
                    )
                    assert ready.status_code == 200, ready.text
                    seen = _board(await _until(ws, _waiting(2, "not_ready")))
                    first.kill()
                    with pytest.raises(websockets.ConnectionClosed):
                        for _ in range(100):  # the socket ends with its node
                            await asyncio.wait_for(ws.recv(), 5.0)

                retry = await client.post(  # the same request, sent to the other node
                    f"{second.base}/api/v1/contacts",
                    json={"queue_id": "voice", "attributes": {"客户": "k-2"}},
                    headers={"Idempotency-Key": "k-2"},
                )
                assert retry.status_code == 201, retry.text
                assert retry.json()["contact_id"] == lost
                assert retry.headers["Idempotent-Replayed"] == "true"
                ws_url = f"ws://127.0.0.1:{second.port}/ws/wallboard"
                async with websockets.connect(ws_url, additional_headers=auth) as ws:
                    again = _board(await _until(ws, _waiting(2)))
                    assert again == seen, "the other node shows another state"
                    more = await client.post(
                        f"{second.base}/api/v1/contacts", json={"queue_id": "voice"}
                    )
                    assert more.status_code == 201, more.text
                    await _until(ws, _waiting(3))
            assert len(engine.router.contacts) == 3
        finally:
            for node in nodes:
                node.kill()
            await server.stop()
            await publisher.stop()
            await engine.stop()
            await js.delete_stream(stream_name(domain))
            await nc.close()
            database.dispose()

    asyncio.run(scenario())


def _cheap() -> dict[str, Any]:
    return {"password_time_cost": 1, "password_memory_kib": 64, "password_parallelism": 1}
