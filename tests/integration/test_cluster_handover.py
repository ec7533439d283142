"""Contacts handed from one routing domain to another on real NATS and PostgreSQL: two
domains, each led by a router with its own store (a PostgreSQL schema) and lease. A refusal
or a silent domain leaves the contact where it was; a hop sent again after both routers
failed over is applied once in the other domain, which holds the contact's customer,
attributes, note and original arrival; the first domain ends it as transferred out."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from db_helpers import require_postgres
from sqlalchemy import Engine, create_engine, text
from test_cluster_bus import NATS_URL, SECRET, _connect

from kefu.adapters.cluster.bus import CommandClient, CommandServer, RemoteError, event_subject
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.handover import DomainHandover, _creation, router_principal
from kefu.adapters.cluster.handover_bus import HandoverClient, HandoverServer
from kefu.adapters.cluster.lease import LeaderLease
from kefu.adapters.cluster.node import stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.cli.web_node import web_app
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.engine import RoutingEngine
from kefu.service.engine_state import EngineState
from kefu.service.errors import HandoverRefused, HandoverUnreachable
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Principal, Role, Scope, security_from_settings
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def schemas() -> Iterator[tuple[str, str, str]]:
    """The PostgreSQL URL and two fresh migrated schemas (one store per routing domain)."""
    url = require_postgres()
    names = [f"kefu_t_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = create_engine(url)
    for name in names:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        database = make_engine(url, schema=name)
        upgrade(database)
        database.dispose()
    try:
        yield url, names[0], names[1]
    finally:
        with admin.begin() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@dataclass
class Leader:
    """A routing domain's leader in this process: store, lease, engine, command server."""

    domain: str
    database: Engine
    lease: LeaderLease
    engine: RoutingEngine
    server: CommandServer

    async def die(self) -> None:
        await self.server.stop()
        await self.engine.stop()
        await asyncio.to_thread(self.lease.release)
        self.database.dispose()

    def stored(self) -> list[ev.Event]:
        with SqlUnitOfWorkFactory(self.database)() as uow:
            return [stored.event for stored in uow.events.read(0)]


async def _lead(nc: object, url: str, schema: str, domain: str, name: str) -> Leader:
    database = make_engine(url, schema=schema)
    lease = LeaderLease(database, domain, name)
    assert await asyncio.to_thread(lease.try_acquire) is not None
    engine = routing_engine(SqlUnitOfWorkFactory(database), ManualClock(1_000.0))
    engine.fence = lease.fence
    await engine.start()
    server = CommandServer(nc, engine, domain, sealer=CommandSealer(SECRET, domain))  # type: ignore[arg-type]
    await server.start()
    return Leader(domain, database, lease, engine, server)


def test_given_two_routing_domains_when_a_contact_is_handed_over_and_retried_then_it_moves_once(
    schemas: tuple[str, str, str],
) -> None:
    url, schema_a, schema_b = schemas
    north, south = f"n{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        nc = await _connect()
        leaders: list[Leader] = []
        try:
            a = await _lead(nc, url, schema_a, north, "north-1")
            b = await _lead(nc, url, schema_b, south, "south-1")
            leaders += [a, b]
            await a.engine.execute(c.CreateSite("bj", "北京中心"))
            await a.engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "bj"))
            await b.engine.execute(c.CreateSite("gz", "广州中心"))
            await b.engine.execute(c.DefineQueue(QueueSpec("loans", Channel.VOICE), "gz"))
            attributes = {"客户": "张三", "ivr.account": "6222-8888", "ivr.menu": "2"}
            created = await a.engine.execute(
                c.CreateContact("voice", customer_id="客户甲", attributes=attributes)
            )
            contact_id = created["contact_id"]
            handover = DomainHandover(nc, a.engine, north, secret_key=SECRET, timeout_s=2.0)  # type: ignore[arg-type]

            before = a.engine.last_seq
            with pytest.raises(HandoverRefused) as refused:
                await handover.transfer(contact_id, south, "无此队列")
            assert refused.value.details["reason"] == "unknown_queue"
            silent = f"x{uuid.uuid4().hex[:8]}"  # no router leads it
            with pytest.raises(HandoverUnreachable):
                await handover.transfer(contact_id, silent, "loans")
            assert a.engine.last_seq == before, "a failed hand-over wrote nothing here"
            assert (await a.engine.query(_state, contact_id)) == "queued"

            # A sends the hop, B takes it, and A's leader dies before it ends the contact.
            note = "客户要办房贷 wants a mortgage"
            create = await a.engine.query(_creation, contact_id, "loans", note, north)
            sealer = CommandSealer(SECRET, south)
            first = await CommandClient(nc, south, sealer=sealer).execute(  # type: ignore[arg-type]
                create, router_principal(north)
            )
            for leader in (a, b):  # both domains fail over to their standby
                await leader.die()
                leaders.remove(leader)
            a = await _lead(nc, url, schema_a, north, "north-2")
            b = await _lead(nc, url, schema_b, south, "south-2")
            leaders += [a, b]
            assert (a.lease.epoch, b.lease.epoch) == (2, 2)

            handover = DomainHandover(nc, a.engine, north, secret_key=SECRET, timeout_s=2.0)  # type: ignore[arg-type]
            moved = await handover.transfer(contact_id, south, "loans", note)
            remote = moved["remote"]
            assert remote["contact_id"] == first["contact_id"] and remote["replayed"] is True
            assert moved["contact"]["state"] == "transferred_out"
            again = await handover.transfer(contact_id, south, "loans", note)  # a late retry
            assert (again["replayed"], again["remote"]) == (True, None)
            with pytest.raises(ValidationError):  # it has left: nowhere else to go
                await handover.transfer(contact_id, south, "cards", note)

            out = [e for e in a.stored() if isinstance(e, ev.ContactTransferredOut)]
            assert [(e.contact_id, e.to_domain, e.remote_contact_id) for e in out] == [
                (contact_id, south, remote["contact_id"])
            ]
            queued = [e for e in b.stored() if isinstance(e, ev.ContactQueued)]
            assert len(queued) == 1, "the hop sent twice was applied once"
            arrived = queued[0]
            assert (arrived.contact_id, arrived.queue_id) == (remote["contact_id"], "loans")
            assert arrived.customer_id == "客户甲"
            assert {k: arrived.attributes[k] for k in attributes} == attributes
            assert arrived.attributes["handover.from_domain"] == north
            assert arrived.attributes["handover.from_contact"] == contact_id
            assert arrived.attributes["handover.arrived_at"] == "1000.0"
            assert arrived.attributes["handover.note"] == note
            assert arrived.attributes["handover.hops"] == "1"
        finally:
            for leader in leaders:
                await leader.die()
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(scenario())


def _state(engine: EngineState, contact_id: str) -> str:
    return str(engine.router.contact(contact_id)["state"])


def test_given_a_web_node_when_it_asks_for_a_handover_then_only_a_caller_with_rights_moves_it(
    schemas: tuple[str, str, str],
) -> None:
    url, schema_a, schema_b = schemas
    north, south = f"n{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    supervisor_bj = _user("u-sup-bj", Role.SUPERVISOR, {"bj"})
    supervisor_sh = _user("u-sup-sh", Role.SUPERVISOR, {"sh"})
    agent_a2 = _user("u-a2", Role.AGENT, {"bj"}, agent_id="a2")

    async def scenario() -> None:
        nc = await _connect()
        leaders: list[Leader] = []
        servers: list[HandoverServer] = []
        streams: list[str] = []
        try:
            a = await _lead(nc, url, schema_a, north, "north-1")
            b = await _lead(nc, url, schema_b, south, "south-1")
            leaders += [a, b]
            await a.engine.execute(c.CreateSite("bj", "北京中心"))
            await a.engine.execute(c.CreateSite("sh", "上海中心"))
            await a.engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "bj"))
            for agent_id in ("a1", "a2"):
                await a.engine.execute(c.DefineAgent(AgentSpec(agent_id, site_id="bj")))
            await b.engine.execute(c.CreateSite("gz", "广州中心"))
            await b.engine.execute(c.DefineQueue(QueueSpec("loans", Channel.VOICE), "gz"))
            await a.engine.execute(c.SetAgentState("a1", "ready"))
            created = await a.engine.execute(c.CreateContact("voice", customer_id="客户乙"))
            contact_id = created["contact_id"]
            offer = await a.engine.query(_offer_of, contact_id)
            await a.engine.execute(c.AcceptOffer(contact_id, offer))  # a1 serves it

            handover = DomainHandover(nc, a.engine, north, secret_key=SECRET)  # type: ignore[arg-type]
            server = HandoverServer(nc, handover, sealer=CommandSealer(SECRET, north))  # type: ignore[arg-type]
            await server.start()
            servers.append(server)
            web = HandoverClient(nc, north, sealer=CommandSealer(SECRET, north))  # type: ignore[arg-type]
            before = a.engine.last_seq
            for caller, error_id in ((supervisor_sh, "unknown_contact"), (agent_a2, "forbidden")):
                with pytest.raises(RemoteError) as refused:
                    await web.transfer(contact_id, south, "loans", "", caller)
                assert refused.value.error_id == error_id
            forged = HandoverClient(nc, north, sealer=CommandSealer("another key " * 4, north))  # type: ignore[arg-type]
            with pytest.raises(RemoteError) as unsigned:
                await forged.transfer(contact_id, south, "loans", "", supervisor_bj)
            assert unsigned.value.error_id == "command_not_signed"
            assert a.engine.last_seq == before, "a refused request wrote nothing"

            # Through a web node's route, for callers authenticated there by token.
            js = nc.jetstream()  # type: ignore[attr-defined]
            await js.add_stream(name=stream_name(north), subjects=[event_subject(north)])
            streams.append(stream_name(north))
            tokens = _tokens(a.database)
            settings = Settings(
                env="test", secret_key=SECRET, routing_domain=north, nats_url=NATS_URL, **CHEAP
            )
            app = web_app(settings, SqlUnitOfWorkFactory(a.database))
            route = f"/api/v1/contacts/{contact_id}/handover"
            body = {"to_domain": south, "to_queue_id": "loans", "note": "转广州贷款组"}
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://web") as http:
                    other = await http.post(route, json=body, headers=tokens["sup-sh"])
                    assert other.status_code == 404, other.text
                    assert a.engine.last_seq == before
                    answer = await http.post(route, json=body, headers=tokens["sup-bj"])
                    assert answer.status_code == 200, answer.text
            moved = answer.json()
            assert moved["contact"]["state"] == "transferred_out"
            assert moved["remote"]["queue_id"] == "loans"
            agent = await a.engine.query(lambda engine: engine.router.agent("a1"))
            assert agent["contacts"] == [], "the agent who served it is free"
            again = await web.transfer(contact_id, south, "loans", "转广州贷款组", supervisor_bj)
            assert again["replayed"] is True
            queued = [e for e in b.stored() if isinstance(e, ev.ContactQueued)]
            assert [e.attributes["handover.from_contact"] for e in queued] == [contact_id]
        finally:
            for server in servers:
                await server.stop()
            for stream in streams:
                await nc.jetstream().delete_stream(stream)  # type: ignore[attr-defined]
            for leader in leaders:
                await leader.die()
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(scenario())


def _user(user_id: str, role: Role, sites: set[str], agent_id: str | None = None) -> Principal:
    return Principal(user_id, user_id, role, frozenset(sites), agent_id, ROLE_SCOPES[role])


def _offer_of(engine: EngineState, contact_id: str) -> str:
    return str(engine.router.contact(contact_id)["offer_id"])


CHEAP: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 64,
    "password_parallelism": 1,
}


def _tokens(database: Engine) -> dict[str, dict[str, str]]:
    """Bearer headers of a supervisor of ``bj`` and one of ``sh`` in ``database``."""
    settings = Settings(env="test", secret_key=SECRET, **CHEAP)
    security = security_from_settings(
        settings, SqlUnitOfWorkFactory(database), ManualClock(time.time())
    )
    headers = {}
    for username, site in (("sup-bj", "bj"), ("sup-sh", "sh")):
        security.users.create(
            username=username, password="a long password", role="supervisor", sites=[site]
        )
        _, token = security.credentials.issue_token(username, [Scope.READ, Scope.CONTACTS_WRITE])
        headers[username] = {"Authorization": f"Bearer {token}"}
    return headers
