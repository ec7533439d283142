"""The agent desktop on a web node of a cluster offers the other routing domains' queues
and hands a call over to one, on real PostgreSQL and NATS: north's router and web node,
south's leader answering its queue list. The agent's screen lists south's queues; the
hand-over leaves north (transferred out, the agent free) and arrives in south once; a
queue south does not have is refused with its reason and the call stays; an e-mail is
refused (its conversation stays in north: the customer's next mail comes to north's
mailbox) and stays with the agent. A chat moves with its conversation
(``test_cluster_chat_handover.py``)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_cluster_bus import NATS_URL, SECRET, _connect, leading_node
from test_cluster_handover import schemas
from test_web_node_events import _RouterLoop

from kefu.adapters.cluster.bus import CommandServer
from kefu.adapters.cluster.directory import QueueDirectoryServer
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.handover import DomainHandover
from kefu.adapters.cluster.handover_bus import HandoverServer
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine
from kefu.bootstrap import build_test, routing_engine
from kefu.cli.web_node import web_app
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import Inbound
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres
__all__ = ["schemas"]  # the fixture, imported

DESK = "/api/v1/desktop"


def _until(check: Any, what: str, timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"not in {timeout_s} s: {what}")


def test_given_a_clustered_web_node_when_an_agent_hands_a_call_over_then_it_moves_to_the_domain(
    schemas: tuple[str, str, str],
) -> None:
    url, schema_a, schema_b = schemas
    north, south = f"n{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    settings = Settings(
        env="test",
        secret_key=SECRET,
        routing_domain=north,
        routing_domains=f"{north},{south}",
        nats_url=NATS_URL,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    db_a, db_b = make_engine(url, schema=schema_a), make_engine(url, schema=schema_b)
    uow_a = SqlUnitOfWorkFactory(db_a)
    platform = build_test(settings, clock=ManualClock(time.time()), uow_factory=uow_a)
    north_engine = platform.engine
    south_engine = routing_engine(SqlUnitOfWorkFactory(db_b), ManualClock(time.time()))
    loop = _RouterLoop()
    state: dict[str, Any] = {}

    async def lead() -> None:
        nc: Any = await _connect()
        state["nc"] = nc
        node = await leading_node(north_engine, db_a, north, "north-1", nc, platform.channels)
        state["node"] = node
        handover = DomainHandover(
            nc, north_engine, north, secret_key=SECRET, channels=platform.channels
        )
        await south_engine.start()
        servers = [
            HandoverServer(nc, handover, sealer=CommandSealer(SECRET, north)),
            CommandServer(nc, south_engine, south, sealer=CommandSealer(SECRET, south)),
            QueueDirectoryServer(nc, south_engine, south),
        ]
        for server in servers:
            await server.start()
        state["servers"] = servers
        await north_engine.execute(c.CreateSite("bj", "北京中心"))
        await north_engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "bj"))
        await north_engine.execute(c.DefineQueue(QueueSpec("mail", Channel.EMAIL), "bj"))
        await north_engine.execute(c.DefineAgent(AgentSpec("a1", site_id="bj", name="王磊")))
        await south_engine.execute(c.CreateSite("gz", "广州中心"))
        loans = QueueSpec("loans", Channel.VOICE, name="贷款组")
        await south_engine.execute(c.DefineQueue(loans, "gz"))

    async def call() -> str:
        made = await north_engine.execute(c.CreateContact("voice", customer_id="客户丙"))
        return str(made["contact_id"])

    async def mail() -> str:
        sender = Identifier(IdentifierKind.EMAIL, "zhang.san@example.com")
        inbound = Inbound(
            Channel.EMAIL, (sender,), "贷款利率是多少", time.time(), "<m1@example.com>"
        )
        assert platform.channels is not None
        made = await platform.channels.receive(inbound)
        return str(made.contact_id)

    async def close() -> None:
        for server in state.get("servers", []):
            await server.stop()
        if "node" in state:
            await state["node"].stop()
        await south_engine.stop()
        if "nc" in state:
            try:
                await state["nc"].jetstream().delete_stream(stream_name(north))
            finally:
                await state["nc"].close()

    try:
        loop.run(lead())
        security = security_from_settings(settings, uow_a, ManualClock(time.time()))
        security.users.create(
            username="wang", password="a long password", role="agent", sites=["bj"], agent_id="a1"
        )
        scopes = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
        agent = {"Authorization": f"Bearer {security.credentials.issue_token('wang', scopes)[1]}"}
        with TestClient(web_app(settings, uow_a)) as web:

            def domains() -> list[dict[str, Any]]:
                return list(web.get(DESK, headers=agent).json().get("domains", []))

            listed = _until(domains, "south's queues on the screen")
            assert listed == [
                {"domain": south, "queue_id": "loans", "name": "贷款组", "channel": "voice"}
            ]
            ready = web.post(f"{DESK}/state", json={"presence": "ready"}, headers=agent)
            assert ready.status_code == 200, ready.text
            contact_id = loop.run(call())

            def offered() -> list[dict[str, Any]]:
                return list(web.get(DESK, headers=agent).json()["offers"])

            (offer,) = _until(offered, "the call offered to a1")
            accept = f"{DESK}/offers/{contact_id}/accept"
            taken = web.post(accept, json={"offer_id": offer["offer_id"]}, headers=agent)
            assert taken.status_code == 200, taken.text

            path = f"{DESK}/contacts/{contact_id}/handover"
            wrong = {"to_domain": south, "to_queue_id": "nope", "note": ""}
            refused = web.post(path, json=wrong, headers=agent)
            assert refused.status_code == 409, refused.text
            assert refused.json()["error_id"] == "handover_refused"
            (held,) = web.get(DESK, headers=agent).json()["contacts"]
            assert held["contact_id"] == contact_id, "a refused hand-over leaves the call here"
            body = {"to_domain": south, "to_queue_id": "loans", "note": "客户要办房贷"}
            moved = web.post(path, json=body, headers=agent)
            assert moved.status_code == 200, moved.text
            assert moved.json()["contacts"] == [], "the agent is free at once"

            # An e-mail: the customer's next mail comes to north's mailbox, so the
            # hand-over is refused and it stays.
            mail_id = loop.run(mail())
            (offer,) = _until(offered, "the e-mail offered to a1")
            accept = f"{DESK}/offers/{mail_id}/accept"
            taken = web.post(accept, json={"offer_id": offer["offer_id"]}, headers=agent)
            assert taken.status_code == 200, taken.text
            mail_body = {"to_domain": south, "to_queue_id": "loans", "note": ""}
            kept = web.post(
                f"{DESK}/contacts/{mail_id}/handover?lang=zh", json=mail_body, headers=agent
            )
            assert kept.status_code == 409, kept.text
            assert kept.json()["error_id"] == "handover_conversation"
            assert kept.json()["details"]["channel"] == "email"
            assert "会话留在本路由域" in kept.json()["message"]
            (held,) = web.get(DESK, headers=agent).json()["contacts"]
            assert (held["contact_id"], held["state"]) == (mail_id, "active")

        out = [s.event for s in _stored(db_a) if isinstance(s.event, ev.ContactTransferredOut)]
        assert [(e.contact_id, e.to_domain, e.to_queue_id) for e in out] == [
            (contact_id, south, "loans")
        ]
        queued = [s.event for s in _stored(db_b) if isinstance(s.event, ev.ContactQueued)]
        assert [(e.queue_id, e.attributes["handover.from_contact"]) for e in queued] == [
            ("loans", contact_id)
        ]
        assert queued[0].attributes["handover.note"] == "客户要办房贷"
    finally:
        loop.run(close())
        loop.close()
        db_a.dispose()
        db_b.dispose()


def _stored(database: Any) -> list[Any]:
    with SqlUnitOfWorkFactory(database)() as uow:
        return list(uow.events.read(0))
