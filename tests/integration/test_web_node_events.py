"""A web node (``kefu serve --role web``) follows the events its router commits, on real
PostgreSQL and NATS JetStream: a contact created on the router reaches a wallboard
socket on the web node; events committed while the router published nothing (a NATS
gap) reach it too, read from the store."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from test_cluster_bus import NATS_URL, SECRET, _connect

from kefu.adapters.cluster.bus import EventPublisher, event_subject
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.cli.web_node import web_app
from kefu.config import Settings
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres
T = TypeVar("T")


@pytest.fixture
def schema(postgres_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    url, name = postgres_schema
    engine = make_engine(url, schema=name)
    upgrade(engine)
    engine.dispose()
    yield url, name


class _RouterLoop:
    """The router's engine and publisher on a loop of their own (another process's, in
    a real cluster), driven from the test's thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20.0)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5.0)
        self.loop.close()


def _waiting(ws: WebSocketTestSession, queue_id: str, count: int) -> dict[str, Any]:
    for _ in range(200):  # a frame per broadcast round (50 ms): 10 s at most
        frame: dict[str, Any] = ws.receive_json()
        queue = next(q for q in frame["queues"] if q["queue_id"] == queue_id)
        if queue["waiting"] == count:
            return frame
    raise AssertionError(f"the wallboard never showed {count} waiting in {queue_id}")


def test_given_a_web_node_when_the_router_commits_then_its_wallboard_socket_shows_it(
    schema: tuple[str, str],
) -> None:
    url, name = schema
    domain = f"e{uuid.uuid4().hex[:10]}"
    settings = Settings(
        env="test",
        secret_key=SECRET,
        routing_domain=domain,
        nats_url=NATS_URL,
        wallboard_interval_s=0.05,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    database = make_engine(url, schema=name)
    uow_factory = SqlUnitOfWorkFactory(database)
    router = _RouterLoop()
    engine = routing_engine(uow_factory, ManualClock(time.time()))
    state: dict[str, Any] = {}

    async def lead() -> None:
        nc: Any = await _connect()
        state["nc"] = nc
        await engine.start()
        js = nc.jetstream()
        await js.add_stream(name=stream_name(domain), subjects=[event_subject(domain)])
        state["publisher"] = EventPublisher(js, engine, domain)
        await state["publisher"].start()
        await engine.execute(c.CreateSite("sh", "上海"))
        await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))

    async def publishing(on: bool) -> None:
        if on:
            js = state["nc"].jetstream()
            state["publisher"] = EventPublisher(js, engine, domain)
            await state["publisher"].start()
        else:
            await state["publisher"].stop()

    async def close() -> None:
        await state["publisher"].stop()
        await engine.stop()
        await state["nc"].jetstream().delete_stream(stream_name(domain))
        await state["nc"].close()

    try:
        router.run(lead())
        security = security_from_settings(settings, uow_factory, ManualClock(time.time()))
        security.users.create(
            username="sup-sh", password="a long password", role="supervisor", sites=["sh"]
        )
        _, token = security.credentials.issue_token("sup-sh", [Scope.READ])
        app = web_app(settings, uow_factory)
        with TestClient(app) as web:
            headers = {"Authorization": f"Bearer {token}"}
            for asset in ("/static/wallboard.js", "/i18n/zh.json"):  # what the page loads
                assert web.get(asset).status_code == 200, asset
            with web.websocket_connect("/ws/wallboard", headers=headers) as ws:
                _waiting(ws, "voice", 0)
                router.run(engine.execute(c.CreateContact("voice")))
                _waiting(ws, "voice", 1)  # over NATS
                follower = app.state.follower
                assert follower.from_store == 0

                router.run(publishing(False))  # a gap: committed, never published
                router.run(engine.execute(c.CreateContact("voice")))
                router.run(engine.execute(c.CreateContact("voice")))
                router.run(publishing(True))
                router.run(engine.execute(c.CreateContact("voice")))
                frame = _waiting(ws, "voice", 4)
                assert follower.from_store >= 2  # the missed two, read from PostgreSQL
                assert follower.position == engine.last_seq
                assert app.state.engine.router.contacts.keys() == engine.router.contacts.keys()
                assert frame["agents"][0]["agent_id"] == "a1"
    finally:
        router.run(close())
        router.close()
        database.dispose()
