"""A web node dies (``kill -9`` of its process) in front of a router, on real PostgreSQL
and NATS, each node a separate process in a network namespace of its own
(:mod:`netns_helpers`: a veth pair to the root namespace, where PostgreSQL and NATS are
reached through a relay on the veth): a router and two ``kefu serve --role web`` nodes.
The test's clients reach the web nodes at their namespaces' addresses. The clients of the
first reconnect to the second and lose nothing: the supervisor's wallboard shows the same
state, and its retry of a creation whose answer it lost is applied once; the agent's
desktop shows the same presence and contacts with their conversation; the customer's chat
widget gets the message it missed while away (and a fresh page the whole transcript), its
message sent again is stored once, and the messages after the reconnection reach the
other side; the store holds each contact and message once."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from cluster_helpers import NATS_URL, Node, cluster_security, desktop_message_text
from netns_helpers import ServerRelay, namespaces
from sqlalchemy.engine import make_url
from test_cluster_processes import START_BOUND_S, _drop_stream, _stored_queued

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels.state import ChannelState
from kefu.service.routing import commands as c
from kefu.service.security import Scope
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema(postgres_schema: tuple[str, str]) -> Iterator[tuple[str, str]]:
    url, name = postgres_schema
    engine = make_engine(url, schema=name)
    upgrade(engine)
    engine.dispose()
    yield url, name


async def _seed(url: str, schema: str, domain: str) -> tuple[dict[str, str], dict[str, str]]:
    """Site ``sh`` with a voice queue nobody has the skill for (its contacts wait) and a
    chat queue, agents a1 and a2, supervisor ``sup-sh`` and agent ``li`` (a2): the
    supervisor's and the agent's bearer-token headers."""
    database = make_engine(url, schema=schema)
    try:
        uow_factory = SqlUnitOfWorkFactory(database)
        engine = routing_engine(uow_factory, ManualClock(time.time()))
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海中心"))
        voice = QueueSpec("voice", Channel.VOICE, skills={"phone": 1})
        await engine.execute(c.DefineQueue(voice, "sh"))
        await engine.execute(c.DefineQueue(QueueSpec("chat-sh", Channel.CHAT), "sh"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
        await engine.execute(c.DefineAgent(AgentSpec("a2", site_id="sh", name="李华")))
        await engine.stop()
        security = cluster_security(uow_factory, domain)
        security.users.create(
            username="sup-sh", password="a long password", role="supervisor", sites=["sh"]
        )
        security.users.create(
            username="li", password="a long password", role="agent", sites=["sh"], agent_id="a2"
        )
        scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
        tokens = [security.credentials.issue_token(who, scopes)[1] for who in ("sup-sh", "li")]
    finally:
        database.dispose()
    auth, agent = ({"Authorization": f"Bearer {token}"} for token in tokens)
    return auth, agent


WAIT_S = 30.0
"""The longest wait for one awaited frame or a socket's end (seconds; a frame is due
every 50 ms on the wallboard and within seconds elsewhere, slower on a loaded machine)."""


async def _next(ws: Any, what: str, shows: Any, within_s: float) -> dict[str, Any]:
    """The first frame on ``ws`` for which ``shows(frame)`` holds, within ``within_s``
    seconds in all; else fails saying what was awaited and the last frame seen."""
    deadline = time.monotonic() + within_s
    last: dict[str, Any] | None = None
    count = 0
    while (left := deadline - time.monotonic()) > 0:
        try:
            raw = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        except websockets.ConnectionClosed as closed:
            raise AssertionError(
                f"the socket closed ({closed}) before {what}; {count} frames, the last: "
                f"{_short(last)}"
            ) from None
        frame: dict[str, Any] = json.loads(raw)
        if shows(frame):
            return frame
        last, count = frame, count + 1
    raise AssertionError(
        f"no {what} within {within_s} s: {count} other frames, the last: {_short(last)}"
    )


def _short(frame: dict[str, Any] | None) -> str:
    """A frame as a failure shows it: a desktop screen by what the test looks at."""
    if frame is not None and frame.get("type") == "desktop":
        view = frame["view"]
        seen = {
            "presence": view["agent"].get("presence"),
            "offers": len(view["offers"]),
            "messages": [
                [(m["seq"], m["text"]) for m in c["conversation"]["messages"]]
                for c in view["contacts"]
                if c.get("conversation")
            ],
        }
        frame = {"type": "desktop", **seen}
    elif frame is not None and "queues" in frame and "agents" in frame:
        queues, agents = _board(frame)
        frame = {"wallboard": {"queues": queues, "agents": agents}}
    text = json.dumps(frame, ensure_ascii=False)
    return text if len(text) <= 1500 else f"{text[:1500]}…"


async def _until(ws: Any, shows: Any, what: str) -> dict[str, Any]:
    """The first wallboard frame for which ``shows(frame)`` holds (``what`` it shows)."""
    return await _next(ws, f"wallboard showing {what}", shows, WAIT_S)


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


async def _frame(ws: Any, kind: str, where: Any = lambda _f: True) -> dict[str, Any]:
    """The next desktop or chat frame of type ``kind`` that ``where`` accepts (the desktop
    pushes its screen every few seconds, the chat its status: this ends)."""

    def shows(frame: dict[str, Any]) -> bool:
        return frame.get("type") == kind and bool(where(frame))

    return await _next(ws, f"{kind} frame awaited", shows, WAIT_S)


async def _ended(**sockets: Any) -> None:
    """Each socket ends with its node, within :data:`WAIT_S` seconds in all."""
    deadline = time.monotonic() + WAIT_S
    for name, ws in sockets.items():
        last: dict[str, Any] | None = None
        count = 0
        try:
            while (left := deadline - time.monotonic()) > 0:
                last, count = json.loads(await asyncio.wait_for(ws.recv(), left)), count + 1
        except websockets.ConnectionClosed:
            continue
        except TimeoutError:
            pass
        raise AssertionError(
            f"the {name} socket still open {WAIT_S} s after its node was killed: "
            f"{count} frames since, the last: {_short(last)}"
        )


async def _desk_shows(desk: Any, seq: int) -> str:
    """The text of message ``seq`` once the desktop shows it: a message goes out alone
    (a ``message`` frame) unless a screen read after it was stored showed it first."""

    def shows(frame: dict[str, Any]) -> bool:
        return desktop_message_text(frame, seq) is not None

    frame = await _next(desk, f"message {seq} on the desktop", shows, WAIT_S)
    text = desktop_message_text(frame, seq)
    assert text is not None
    return text


def _texts(frame: dict[str, Any]) -> list[tuple[str, ...]]:
    """The messages of each conversation a desktop screen holds."""
    contacts = frame["view"]["contacts"]
    return [tuple(m["text"] for m in c["conversation"]["messages"]) for c in contacts]


def _hello(token: str, conv_id: str, last_seq: int) -> str:
    """The widget's hello on a reconnection (or a fresh page: ``last_seq`` 0)."""
    hello = {"type": "hello", "token": token, "conversation_id": conv_id, "site_id": "sh"}
    return json.dumps({**hello, "last_seq": last_seq, "lang": "zh"})


def _message(cseq: int, text: str, **more: Any) -> str:
    """A customer's chat message frame."""
    return json.dumps({"type": "message", "cseq": cseq, "text": text, **more})


def test_given_two_web_nodes_when_one_is_killed_then_its_clients_find_the_same_state_on_the_other(
    schema: tuple[str, str], tmp_path: Path
) -> None:
    url, name = schema
    domain = f"d{uuid.uuid4().hex[:10]}"
    ports = [make_url(url).port or 5432, int(NATS_URL.rsplit(":", 1)[1])]
    with namespaces(3) as hosts:
        auth, agent = asyncio.run(_seed(url, name, domain))
        relays = [ServerRelay(ns.gateway, ports) for ns in hosts]
        router = Node("router", "r1", url, name, domain, tmp_path, hosts[0])
        first, second = (
            Node("web", f"w{i}", url, name, domain, tmp_path, hosts[i]) for i in (1, 2)
        )
        for web in (first, second):
            web.env["KEFU_WALLBOARD_INTERVAL_S"] = "0.05"
        try:
            for node in (router, first, second):  # started side by side
                node.start()
            for node in (router, first, second):  # a router is ready when it leads
                node.wait("ready", START_BOUND_S)
            conv_id = asyncio.run(_web_node_dies(first, second, auth, agent))
        finally:
            for node in (router, first, second):
                node.stop()
            for relay in relays:
                relay.close()
            asyncio.run(_drop_stream(domain))
    queued, _ = _stored_queued(url, name)
    assert len({q.contact_id for q in queued}) == 4  # three voice contacts and the chat
    assert _transcript(url, name, conv_id) == SAID  # each message stored once


async def _web_node_dies(
    first: Node, second: Node, auth: dict[str, str], agent: dict[str, str]
) -> str:
    """The scenario of the module's doc against the web nodes ``first`` (killed) and
    ``second``: the chat's conversation id."""
    ws_of = {node.name: node.base.replace("http://", "ws://", 1) for node in (first, second)}
    ws_first, ws_second = ws_of[first.name], ws_of[second.name]
    async with httpx.AsyncClient(headers=auth) as client:
        async with (
            websockets.connect(f"{ws_first}/ws/wallboard", additional_headers=auth) as ws,
            websockets.connect(f"{ws_first}/ws/desktop", additional_headers=agent) as desk,
            websockets.connect(f"{ws_first}/ws/chat") as chat,
        ):
            await _until(ws, _waiting(0), "no voice contact waiting")
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

            # A chat on the same node: the agent takes it and answers.
            assert (await _frame(desk, "hello"))["agent_id"] == "a2"
            ready = await client.post(
                f"{first.base}/api/v1/desktop/state",
                json={"presence": "ready"},
                headers=agent,
            )
            assert ready.status_code == 200, ready.text
            await chat.send(json.dumps({"type": "hello", "site_id": "sh", "lang": "zh"}))
            token = (await _frame(chat, "welcome"))["token"]
            profile = {"name": "张三", "topic": "chat-sh"}
            await chat.send(_message(1, SAID[0], profile=profile))
            conv_id: str = (await _frame(chat, "ack"))["conversation_id"]
            offered = await _frame(desk, "desktop", lambda f: bool(f["view"]["offers"]))
            (offer,) = offered["view"]["offers"]
            accepted = await client.post(
                f"{first.base}/api/v1/desktop/offers/{offer['contact_id']}/accept",
                json={"offer_id": offer["offer_id"]},
                headers=agent,
            )
            assert accepted.status_code == 200, accepted.text
            reply_path = f"/api/v1/desktop/conversations/{conv_id}/reply"
            sent = await client.post(
                f"{first.base}{reply_path}",
                json={"text": SAID[1]},
                headers=agent,
            )
            assert sent.status_code == 200, sent.text
            answer = await _frame(chat, "message", lambda f: f["from"] == "agent")
            assert (answer["seq"], answer["text"]) == (2, SAID[1])
            shown = await _frame(desk, "desktop", lambda f: _texts(f) == [SAID[:2]])
            desk_before = shown["view"]

            # the frame of the state now: the socket holds older ones
            now = ([("voice", 2), ("chat-sh", 0)], [("a1", "not_ready"), ("a2", "ready")])
            seen = _board(await _until(ws, lambda f: _board(f) == now, f"{now}"))
            first.kill()
            await _ended(wallboard=ws, desktop=desk, chat=chat)

        retry = await client.post(  # the same request, sent to the other node
            f"{second.base}/api/v1/contacts",
            json={"queue_id": "voice", "attributes": {"客户": "k-2"}},
            headers={"Idempotency-Key": "k-2"},
        )
        assert retry.status_code == 201, retry.text
        assert retry.json()["contact_id"] == lost
        assert retry.headers["Idempotent-Replayed"] == "true"
        async with (
            websockets.connect(f"{ws_second}/ws/wallboard", additional_headers=auth) as ws,
            websockets.connect(f"{ws_second}/ws/desktop", additional_headers=agent) as desk,
        ):
            again = _board(await _until(ws, _waiting(2), "2 voice contacts waiting"))
            assert again == seen, "the other node shows another state"
            more = await client.post(f"{second.base}/api/v1/contacts", json={"queue_id": "voice"})
            assert more.status_code == 201, more.text
            await _until(ws, _waiting(3), "3 voice contacts waiting")

            # The agent's desktop: the same contacts and conversation, the same
            # presence; it answers while the customer's widget is still away.
            assert (await _frame(desk, "hello"))["agent_id"] == "a2"
            screen = await _frame(desk, "desktop")
            assert screen["view"]["agent"] == desk_before["agent"]
            assert screen["view"]["agent"]["presence"] == "ready"
            assert screen["view"]["contacts"] == desk_before["contacts"]
            assert _texts(screen) == [SAID[:2]]
            sent = await client.post(
                f"{second.base}{reply_path}", json={"text": SAID[2]}, headers=agent
            )
            assert sent.status_code == 200, sent.text

            # The widget comes back with its token and the last message it showed:
            # it gets the one it missed; its first message sent again (an ack it
            # never saw) is acknowledged, not stored twice.
            async with websockets.connect(f"{ws_second}/ws/chat") as chat:
                await chat.send(_hello(token, conv_id, last_seq=2))
                welcome = await _frame(chat, "welcome")
                assert welcome["conversation_id"] == conv_id
                assert [(m["seq"], m["text"]) for m in welcome["messages"]] == [(3, SAID[2])]
                assert welcome["status"]["state"] == "active"
                await chat.send(_message(1, SAID[0], profile=profile))
                assert (await _frame(chat, "ack"))["cseq"] == 1
                await chat.send(_message(2, SAID[3]))
                assert (await _frame(chat, "ack"))["conversation_id"] == conv_id
                assert await _desk_shows(desk, 4) == SAID[3]
                sent = await client.post(
                    f"{second.base}{reply_path}", json={"text": SAID[4]}, headers=agent
                )
                assert sent.status_code == 200, sent.text
                answer = await _frame(chat, "message", lambda f: f["seq"] == 5)
                assert (answer["from"], answer["text"]) == ("agent", SAID[4])
            # A fresh page of the same customer shows the whole transcript.
            async with websockets.connect(f"{ws_second}/ws/chat") as page:
                await page.send(_hello(token, conv_id, last_seq=0))
                welcome = await _frame(page, "welcome")
                assert tuple(m["text"] for m in welcome["messages"]) == SAID
    return conv_id


def _transcript(url: str, schema: str, conv_id: str) -> tuple[str, ...]:
    """The texts of ``conv_id``'s messages as the store's channel log rebuilds them."""
    database = make_engine(url, schema=schema)
    try:
        state = ChannelState()
        with SqlUnitOfWorkFactory(database)() as uow:
            state.load(state.fetch(uow))
    finally:
        database.dispose()
    return tuple(m.text for m in state.conversation(conv_id).messages)


SAID = ("你好，我的订单还没到", "您好，我来查一下", "稍等，正在查询", "订单号 20261207", "已找到")
"""The chat's messages in order: the customer's and the agent's on the first node; the
agent's on the other while the widget is away; the customer's and the agent's after the
widget's reconnection."""
