"""The agent desktop and the chat widget served by web nodes (``kefu serve --role web``)
in front of one router, on real PostgreSQL and NATS: an agent on web node A and a customer
chatting on web node B see each other's messages. The customer's message, the agent's
presence, accept and reply go to the router as commands; each node pushes what the store
holds once the router's update reaches it. A customer cannot act as an agent, nor an
agent for another agent."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_cluster_bus import NATS_URL, SECRET, _connect, leading_node
from test_web_node_events import _RouterLoop

from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import build_test
from kefu.cli.web_node import web_app
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


def _frame(ws: Any, kind: str, where: Any = lambda _f: True, limit: int = 60) -> dict[str, Any]:
    """The next frame of type ``kind`` that ``where`` accepts (others are passed over;
    the desktop pushes its screen every few seconds, so this ends)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame.get("type") == kind and where(frame):
            return frame
    raise AssertionError(f"no such {kind} frame in {limit} frames")


def test_given_two_web_nodes_when_an_agent_and_a_customer_chat_across_them_then_each_sees_the_other(
    schema: tuple[str, str],
) -> None:
    url, name = schema
    domain = f"chat{uuid.uuid4().hex[:8]}"
    settings = Settings(
        env="test",
        secret_key=SECRET,
        routing_domain=domain,
        nats_url=NATS_URL,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    database = make_engine(url, schema=name)
    uow_factory = SqlUnitOfWorkFactory(database)
    platform = build_test(settings, clock=ManualClock(time.time()), uow_factory=uow_factory)
    engine = platform.engine
    loop = _RouterLoop()
    state: dict[str, Any] = {}

    async def lead() -> None:
        nc: Any = await _connect()
        state["nc"] = nc
        node = await leading_node(engine, database, domain, "r1", nc, platform.channels)
        state["node"] = node
        await engine.execute(c.CreateSite("sh", "上海"))
        await engine.execute(
            c.DefineQueue(QueueSpec("chat-sh", Channel.CHAT, name="在线咨询"), "sh")
        )
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王小明")))
        await engine.execute(c.DefineAgent(AgentSpec("a2", site_id="sh", name="李华")))

    async def close() -> None:
        await state["node"].stop()
        await state["nc"].jetstream().delete_stream(stream_name(domain))
        await state["nc"].close()

    try:
        loop.run(lead())
        security = security_from_settings(settings, uow_factory, ManualClock(time.time()))
        security.users.create(
            username="wang", password="a long password", role="agent", sites=["sh"], agent_id="a1"
        )
        security.users.create(
            username="li", password="a long password", role="agent", sites=["sh"], agent_id="a2"
        )
        scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
        agent = {"Authorization": f"Bearer {security.credentials.issue_token('wang', scopes)[1]}"}
        other = {"Authorization": f"Bearer {security.credentials.issue_token('li', scopes)[1]}"}
        desk = {**agent, "Origin": "http://testserver"}
        with (
            TestClient(web_app(settings, uow_factory)) as node_a,
            TestClient(web_app(settings, uow_factory)) as node_b,
            node_a.websocket_connect("/ws/desktop", headers=desk) as desktop,
            node_b.websocket_connect("/ws/chat") as chat,
        ):
            assert _frame(desktop, "hello")["agent_id"] == "a1"
            ready = node_a.post("/api/v1/desktop/state", json={"presence": "ready"}, headers=agent)
            assert ready.status_code == 200, ready.text
            assert ready.json()["agent"]["presence"] == "ready"

            chat.send_json({"type": "hello", "site_id": "sh", "lang": "zh"})
            welcome = _frame(chat, "welcome")
            assert [t["id"] for t in welcome["topics"]] == ["chat-sh"]
            first = "你好，我的订单还没到"
            profile = {"name": "张三", "topic": "chat-sh"}
            chat.send_json({"type": "message", "cseq": 1, "text": first, "profile": profile})
            ack = _frame(chat, "ack")
            conv_id = ack["conversation_id"]

            # Node A's desktop is offered the chat node B took, with its message.
            frame = _frame(desktop, "desktop", lambda f: bool(f["view"]["offers"]))
            (offer,) = frame["view"]["offers"]
            assert offer["customer"]["name"] == "张三"
            body = {"offer_id": offer["offer_id"]}
            path = f"/api/v1/desktop/offers/{offer['contact_id']}/accept"
            taken = node_b.post(path, json=body, headers=other)  # not a2's offer
            assert taken.status_code == 403, taken.text
            accepted = node_a.post(path, json=body, headers=agent)
            assert accepted.status_code == 200, accepted.text
            (held,) = accepted.json()["contacts"]
            messages = held["conversation"]["messages"]
            assert [m["text"] for m in messages] == [first]
            active = _frame(chat, "status", lambda f: f["state"] == "active")
            assert active["agent"] == "王小明"

            # The agent's reply on node A reaches the customer on node B.
            answer = "您好，我来帮您查一下"
            reply_path = f"/api/v1/desktop/conversations/{conv_id}/reply"
            refused = node_b.post(reply_path, json={"text": "hi"}, headers=other)
            assert refused.status_code == 403, refused.text
            sent = node_a.post(reply_path, json={"text": answer}, headers=agent)
            assert sent.status_code == 200, sent.text
            message = _frame(chat, "message", lambda f: f["from"] == "agent")
            assert message["text"] == answer and message["seq"] == 2

            # The customer's next message on node B reaches the desktop on node A
            # alone (a message frame), and its typing before it.
            chat.send_json({"type": "typing"})
            typing = _frame(desktop, "typing")
            assert typing["conversation_id"] == conv_id
            again = "订单号是 20261207"
            chat.send_json({"type": "message", "cseq": 2, "text": again})
            assert _frame(chat, "ack")["conversation_id"] == conv_id
            delta = _frame(desktop, "message", lambda f: f["message"]["seq"] == 3)
            assert delta["conversation_id"] == conv_id
            assert delta["message"]["text"] == again
        # The router stored each message once, in order.
        conv = platform.channels.state.conversation(conv_id)
        assert [m.text for m in conv.messages] == [first, answer, again]
    finally:
        loop.run(close())
        loop.close()
        database.dispose()
