"""A chat handed from one routing domain to another with its conversation, on real
PostgreSQL and NATS: north and south each led by a router (its own store, a PostgreSQL
schema) with a web node in front (``kefu serve --role web``'s app). A customer chats on
north's web node with north's agent; the agent hands the chat to south's queue from the
desktop. North's leader had sent the hop once already and died before ending its side
(the hop is sent again under the same key), and the customer wrote in between (the copy
is taken again). South holds the contact once and the transcript once; north ends the
contact and tells the widget where the chat went; the message the widget sent meanwhile
is not stored in north, and reaches south once the widget reconnected to south's web node,
where it gets the whole transcript. South's agent sees the transcript, the customer and
the IVR's data, and the agent's reply and the customer's next message reach each other
through south's router."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import anyio
import pytest
from cluster_helpers import desktop_message_text
from fastapi.testclient import TestClient
from test_cluster_bus import NATS_URL, SECRET, _connect, leading_node
from test_cluster_handover import schemas
from test_web_node_events import _RouterLoop

from kefu.adapters.cluster.bus import CommandClient
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.handover import DomainHandover, handover_hop, router_principal
from kefu.adapters.cluster.handover_bus import HandoverServer
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine
from kefu.bootstrap import build_test
from kefu.cli.web_node import web_app
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels.state import ChannelState
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres
__all__ = ["schemas"]  # the fixture, imported

DESK = "/api/v1/desktop"
SOUTH_URL = "http://south.kefu.test"
WAIT_S = 15.0
"""The longest wait for one frame (a second or less on an idle machine)."""


def _frame(ws: Any, kind: str, where: Any = lambda _f: True) -> dict[str, Any]:
    """The next frame of type ``kind`` (``*``: any) that ``where`` accepts (others are
    passed over); fails after :data:`WAIT_S` seconds, naming the frames seen."""

    async def next_message() -> Any:
        with anyio.fail_after(max(0.01, deadline - time.monotonic())):
            return await ws._send_rx.receive()

    deadline = time.monotonic() + WAIT_S
    seen: list[Any] = []
    while True:
        try:
            message = ws.portal.call(next_message)
        except TimeoutError:
            raise AssertionError(f"no such {kind} frame in {WAIT_S} s; seen: {seen}") from None
        if message["type"] == "websocket.close":
            raise AssertionError(f"the socket closed ({message.get('code')}) before a {kind}")
        frame: dict[str, Any] = json.loads(message["text"])
        if kind in ("*", frame.get("type")) and where(frame):
            return frame
        seen.append(frame if frame.get("type") != "desktop" else "desktop")


def _settings(domain: str, cluster: str, **more: Any) -> Settings:
    return Settings(
        env="test",
        secret_key=SECRET,
        routing_domain=domain,
        routing_domains=cluster,
        nats_url=NATS_URL,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
        **more,
    )


def _agent_token(
    settings: Settings, uow: SqlUnitOfWorkFactory, user: str, site: str, agent: str
) -> str:
    """The bearer token of agent user ``user`` (agent ``agent`` of ``site``)."""
    security = security_from_settings(settings, uow, ManualClock(time.time()))
    security.users.create(
        username=user, password="a long password", role="agent", sites=[site], agent_id=agent
    )
    scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
    return security.credentials.issue_token(user, scopes)[1]


def test_given_a_chat_handed_to_another_domain_when_the_widget_follows_then_nothing_is_lost(
    schemas: tuple[str, str, str],
) -> None:
    url, schema_a, schema_b = schemas
    north, south = f"n{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    cluster = f"{north},{south}"
    north_settings = _settings(north, cluster, routing_domain_urls=f"{south}={SOUTH_URL}")
    south_settings = _settings(south, cluster)
    db_a, db_b = make_engine(url, schema=schema_a), make_engine(url, schema=schema_b)
    uow_a, uow_b = SqlUnitOfWorkFactory(db_a), SqlUnitOfWorkFactory(db_b)
    platforms = {
        north: build_test(north_settings, clock=ManualClock(time.time()), uow_factory=uow_a),
        south: build_test(south_settings, clock=ManualClock(time.time()), uow_factory=uow_b),
    }
    loop = _RouterLoop()
    state: dict[str, Any] = {"nodes": [], "servers": []}

    async def lead() -> None:
        nc: Any = await _connect()
        state["nc"] = nc
        for domain, database in ((north, db_a), (south, db_b)):
            platform = platforms[domain]
            node = await leading_node(
                platform.engine, database, domain, f"{domain}-1", nc, platform.channels
            )
            state["nodes"].append(node)
        handover = DomainHandover(
            nc,
            platforms[north].engine,
            north,
            secret_key=SECRET,
            channels=platforms[north].channels,
        )
        server = HandoverServer(nc, handover, sealer=CommandSealer(SECRET, north))
        await server.start()
        state["servers"].append(server)
        for domain, site, queue, agent in (
            (north, "bj", "web", "a1"),
            (south, "gz", "loans", "b1"),
        ):
            execute = platforms[domain].engine.execute
            await execute(c.CreateSite(site, site))
            await execute(c.DefineQueue(QueueSpec(queue, Channel.CHAT, name=f"{queue} 组"), site))
            await execute(c.DefineAgent(AgentSpec(agent, site_id=site, name=f"座席{agent}")))

    async def first_hop(contact_id: str, note: str) -> dict[str, Any]:
        """The hop as north's old leader sent it before it died (south takes it)."""
        platform = platforms[north]
        hop = await platform.engine.query(
            lambda engine: handover_hop(engine, platform.channels, contact_id, "loans", note, north)
        )
        client = CommandClient(state["nc"], south, sealer=CommandSealer(SECRET, south))
        answer: dict[str, Any] = await client.execute(hop, router_principal(north))
        return answer

    async def close() -> None:
        for server in state["servers"]:
            await server.stop()
        for node in state["nodes"]:
            await node.stop()
        if "nc" in state:
            try:
                for domain in (north, south):
                    await state["nc"].jetstream().delete_stream(stream_name(domain))
            finally:
                await state["nc"].close()

    try:
        started = time.monotonic()
        loop.run(lead())
        wang = {
            "Authorization": f"Bearer {_agent_token(north_settings, uow_a, 'wang', 'bj', 'a1')}"
        }
        li = {"Authorization": f"Bearer {_agent_token(south_settings, uow_b, 'li', 'gz', 'b1')}"}
        with (
            TestClient(web_app(north_settings, uow_a)) as node_n,
            TestClient(web_app(south_settings, uow_b)) as node_s,
            node_n.websocket_connect(
                "/ws/desktop", headers={**wang, "Origin": "http://testserver"}
            ) as desk_n,
            node_n.websocket_connect("/ws/chat") as chat_n,
        ):
            _frame(desk_n, "hello")
            assert node_n.post(f"{DESK}/state", json={"presence": "ready"}, headers=wang).is_success
            chat_n.send_json({"type": "hello", "site_id": "bj", "lang": "zh"})
            token = _frame(chat_n, "welcome")["token"]
            profile = {"name": "张三", "email": "zhang.san@example.com", "topic": "web"}
            chat_n.send_json({"type": "message", "cseq": 1, "text": "你好", "profile": profile})
            conv_n = _frame(chat_n, "ack")["conversation_id"]
            view = _frame(desk_n, "desktop", lambda f: bool(f["view"]["offers"]))["view"]
            (offer,) = view["offers"]
            contact_n = offer["contact_id"]
            accept = f"{DESK}/offers/{contact_n}/accept"
            taken = node_n.post(accept, json={"offer_id": offer["offer_id"]}, headers=wang)
            assert taken.status_code == 200, taken.text
            reply = f"{DESK}/conversations/{conv_n}/reply"
            assert node_n.post(reply, json={"text": "您好，请讲"}, headers=wang).is_success
            _frame(chat_n, "message", lambda f: f["seq"] == 2)

            # North's old leader sent the hop and died; the customer writes meanwhile.
            note = "转广州贷款组"
            first = loop.run(first_hop(contact_n, note))
            assert first["replayed"] is False
            chat_n.send_json(
                {"type": "message", "cseq": 2, "text": "我想办房贷", "profile": profile}
            )
            assert _frame(chat_n, "ack")["conversation_id"] == conv_n

            # The agent hands it over: south answers the same contact, with the message.
            body = {"to_domain": south, "to_queue_id": "loans", "note": note}
            moved = node_n.post(f"{DESK}/contacts/{contact_n}/handover", json=body, headers=wang)
            assert moved.status_code == 200, moved.text
            assert moved.json()["contacts"] == [], "north's agent is free"
            status = _frame(chat_n, "status", lambda f: f["state"] == "moved")
            assert status == {
                "type": "status",
                "state": "moved",
                "domain": south,
                "conversation_id": first["conversation_id"],
                "url": SOUTH_URL,
            }
            # A message sent before the widget follows is not stored in north.
            chat_n.send_json(
                {"type": "message", "cseq": 3, "text": "多久能批？", "profile": profile}
            )
            assert _frame(chat_n, "status")["state"] == "moved"
            again = loop.run(
                DomainHandover(
                    state["nc"], platforms[north].engine, north, secret_key=SECRET
                ).transfer(contact_n, south, "loans", note)
            )
            assert again["replayed"] is True, "asked again once done, nothing is sent"

            # The widget reconnects to south's web node with its token.
            with (
                node_s.websocket_connect("/ws/chat") as chat_s,
                node_s.websocket_connect(
                    "/ws/desktop", headers={**li, "Origin": "http://testserver"}
                ) as desk_s,
            ):
                _frame(desk_s, "hello")
                hello = {
                    "type": "hello",
                    "token": token,
                    "conversation_id": first["conversation_id"],
                    "last_seq": 0,
                    "site_id": "bj",
                    "lang": "zh",
                }
                chat_s.send_json(hello)
                welcome = _frame(chat_s, "welcome")
                assert welcome["conversation_id"] == first["conversation_id"]
                assert [(m["seq"], m["from"], m["text"]) for m in welcome["messages"]] == [
                    (1, "customer", "你好"),
                    (2, "agent", "您好，请讲"),
                    (3, "customer", "我想办房贷"),
                ]
                assert welcome["status"]["state"] == "queued"
                chat_s.send_json(
                    {"type": "message", "cseq": 3, "text": "多久能批？", "profile": profile}
                )
                assert _frame(chat_s, "ack")["conversation_id"] == first["conversation_id"]

                ready = node_s.post(f"{DESK}/state", json={"presence": "ready"}, headers=li)
                assert ready.is_success, ready.text
                view = _frame(desk_s, "desktop", lambda f: bool(f["view"]["offers"]))["view"]
                (offer,) = view["offers"]
                assert offer["contact_id"] == first["contact_id"]
                accept = f"{DESK}/offers/{first['contact_id']}/accept"
                taken = node_s.post(accept, json={"offer_id": offer["offer_id"]}, headers=li)
                assert taken.status_code == 200, taken.text
                (held,) = taken.json()["contacts"]
                assert held["customer"]["name"] == "张三"
                texts = [m["text"] for m in held["conversation"]["messages"]]
                assert texts == ["你好", "您好，请讲", "我想办房贷", "多久能批？"]
                assert held["attributes"]["handover.from_conversation"] == conv_n
                assert held["attributes"]["handover.note"] == note
                conv_s = first["conversation_id"]
                answer = node_s.post(
                    f"{DESK}/conversations/{conv_s}/reply", json={"text": "三天内"}, headers=li
                )
                assert answer.is_success, answer.text
                got = _frame(chat_s, "message", lambda f: f["from"] == "agent" and f["seq"] == 5)
                assert got["text"] == "三天内"
                chat_s.send_json(
                    {"type": "message", "cseq": 4, "text": "好的谢谢", "profile": profile}
                )
                assert _frame(chat_s, "ack")["conversation_id"] == conv_s
                # Alone as a message frame, or in a screen read after it was stored.
                shown = _frame(desk_s, "*", lambda f: desktop_message_text(f, 6) is not None)
                assert desktop_message_text(shown, 6) == "好的谢谢"

        # Each store holds its side once.
        out = [e for e in _events(db_a) if isinstance(e, ev.ContactTransferredOut)]
        assert [(e.contact_id, e.to_domain, e.remote_contact_id) for e in out] == [
            (contact_n, south, first["contact_id"])
        ]
        queued = [e for e in _events(db_b) if isinstance(e, ev.ContactQueued)]
        assert [e.attributes["handover.from_contact"] for e in queued] == [contact_n]
        there, here = _channels(uow_b), _channels(uow_a)
        transcript = [m.text for m in there.conversation(conv_s).messages]
        assert transcript == [
            "你好",
            "您好，请讲",
            "我想办房贷",
            "多久能批？",
            "三天内",
            "好的谢谢",
        ]
        assert [r.kind for r in there.records if r.kind in ("adopted", "carried")] == [
            "adopted",
            "carried",
        ], "the hop applied once, the message written in between carried once"
        assert [m.text for m in here.conversation(conv_n).messages] == [
            "你好",
            "您好，请讲",
            "我想办房贷",
        ], "north stored nothing after the hand-over"
        assert here.conversation(conv_n).outcome == "transferred_out"
        assert time.monotonic() - started < 60.0
    finally:
        loop.run(close())
        loop.close()
        db_a.dispose()
        db_b.dispose()


def _events(database: Any) -> list[ev.Event]:
    with SqlUnitOfWorkFactory(database)() as uow:
        return [stored.event for stored in uow.events.read(0)]


def _channels(uow_factory: SqlUnitOfWorkFactory) -> ChannelState:
    """The channel state rebuilt from the store's log alone."""
    state = ChannelState()
    with uow_factory() as uow:
        state.load(state.fetch(uow))
    return state
