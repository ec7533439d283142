"""A web node (``kefu serve --role web``) in front of a router node, on real PostgreSQL
and NATS: a caller authenticated by bearer token on the web node creates a contact and
changes its agent's state through the router; a retry with the same Idempotency-Key is
applied once; a token of another site gets the router's refusal as the API answers it
(404), a missing token 401; nothing the router refused is stored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from test_cluster_bus import NATS_URL, SECRET, _connect

from kefu.adapters.cluster import LeaderLease
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.node import RouterNode, stream_name
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
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


def test_given_a_web_node_and_a_router_when_callers_post_then_the_router_acts_for_the_rightful(
    schema: tuple[str, str],
) -> None:
    url, name = schema
    domain = f"w{uuid.uuid4().hex[:10]}"
    settings = Settings(
        env="test",
        secret_key=SECRET,
        routing_domain=domain,
        nats_url=NATS_URL,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )

    async def scenario() -> None:
        nc = await _connect()
        database = make_engine(url, schema=name)
        uow_factory = SqlUnitOfWorkFactory(database)
        engine = routing_engine(uow_factory, ManualClock(1_000.0))
        node = RouterNode(
            engine,
            LeaderLease(database, domain, "r1"),
            nc,  # type: ignore[arg-type]
            sealer=CommandSealer(SECRET, domain),
            on_lost=lambda: None,
            poll_s=0.1,
        )
        app = web_app(settings, uow_factory)
        try:
            await node.start()
            await asyncio.wait_for(node.leading.wait(), 20.0)
            for site in ("sh", "bj"):
                await engine.execute(c.CreateSite(site, site))
            await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
            await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
            security = security_from_settings(settings, uow_factory, ManualClock(1_000.0))
            security.users.create(
                username="sup-sh", password="a long password", role="supervisor", sites=["sh"]
            )
            security.users.create(
                username="sup-bj", password="a long password", role="supervisor", sites=["bj"]
            )
            write = [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
            _, sh_token = security.credentials.issue_token("sup-sh", write)
            _, bj_token = security.credentials.issue_token("sup-bj", write)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://web") as web:
                    assert (await web.get("/readyz")).status_code == 200
                    sh = {"Authorization": f"Bearer {sh_token}"}
                    bj = {"Authorization": f"Bearer {bj_token}"}
                    before = engine.last_seq
                    other = await web.post(
                        "/api/v1/contacts", json={"queue_id": "voice"}, headers=bj
                    )
                    assert other.status_code == 404, other.text
                    assert other.json()["error_id"] == "unknown_queue"
                    anonymous = await web.post("/api/v1/contacts", json={"queue_id": "voice"})
                    assert anonymous.status_code == 401
                    assert engine.last_seq == before

                    key = {**sh, "Idempotency-Key": "retry-1"}
                    first = await web.post(
                        "/api/v1/contacts", json={"queue_id": "voice"}, headers=key
                    )
                    again = await web.post(
                        "/api/v1/contacts", json={"queue_id": "voice"}, headers=key
                    )
                    assert first.status_code == again.status_code == 201, first.text
                    assert first.json()["contact_id"] == again.json()["contact_id"]
                    assert again.headers["Idempotent-Replayed"] == "true"
                    ready = await web.post(
                        "/api/v1/agents/a1/state", json={"presence": "ready"}, headers=sh
                    )
                    assert ready.status_code == 200 and ready.json()["presence"] == "ready"
            assert len(engine.router.contacts) == 1
        finally:
            await node.stop()
            js = nc.jetstream()  # type: ignore[attr-defined]
            await js.delete_stream(stream_name(domain))
            await nc.close()  # type: ignore[attr-defined]
            database.dispose()

    asyncio.run(scenario())
