"""Commands and events over a real NATS server with JetStream: a web node's command
reaches the router by request/reply, a retry with the same Idempotency-Key is applied
once, refusals come back with their error id, and committed events arrive on JetStream in
log order, each once."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from kefu.adapters.cluster import LeaderLease
from kefu.adapters.cluster.bus import (
    CommandClient,
    CommandServer,
    EventPublisher,
    RemoteError,
    decode_command,
    encode_command,
    event_subject,
)
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.node import RouterNode
from kefu.bootstrap import routing_engine
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import ChannelService
from kefu.service.engine import RoutingEngine
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Principal, Role
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock

NATS_URL = os.environ.get("KEFU_TEST_NATS_URL", "nats://127.0.0.1:4222")
SECRET = "a shared test secret of the cluster, 32+ chars"
ADMIN = Principal("u-admin", "admin", Role.ADMIN, frozenset(), scopes=ROLE_SCOPES[Role.ADMIN])
"""The caller a web node authenticated, for the tests that are not about rights."""


def sealer(domain: str) -> CommandSealer:
    return CommandSealer(SECRET, domain)


async def _connect() -> object:
    import nats

    try:
        return await nats.connect(NATS_URL, connect_timeout=3, max_reconnect_attempts=0)
    except Exception as exc:
        if os.environ.get("KEFU_REQUIRE_SERVICES") == "1":
            pytest.fail(f"KEFU_REQUIRE_SERVICES=1 but NATS is not reachable: {exc}")
        pytest.skip(f"NATS not reachable at {NATS_URL}: {exc}")


async def leading_node(
    engine: RoutingEngine,
    database: Engine,
    domain: str,
    node_id: str,
    nc: Any,
    channels: ChannelService | None = None,
) -> RouterNode:
    """A router node of *domain* on *engine*, started and leading (its lease in
    *database*; NATS connection *nc*); a lost lease is ignored."""
    node = RouterNode(
        engine,
        LeaderLease(database, domain, node_id),
        nc,
        sealer=sealer(domain),
        on_lost=lambda: None,
        poll_s=0.1,
        channels=channels,
    )
    await node.start()
    await node.leading.wait()
    return node


def test_given_a_command_as_json_when_decoded_then_the_same_command_or_a_clear_refusal() -> None:
    command = c.CreateContact("voice", attributes={"客户": "张三"}, idempotency_key="k-1")
    assert decode_command(encode_command(command)) == command
    for bad in (b"{", b'{"type": "DropTables", "fields": {}}', b'{"type": "AcceptOffer"}'):
        with pytest.raises(ValidationError):
            decode_command(bad)
    with pytest.raises(ValidationError):
        encode_command(c.CreateSite("sh", "上海"))


def test_given_a_router_on_nats_when_a_web_node_retries_a_create_then_it_is_applied_once() -> None:
    async def scenario() -> None:
        nc = await _connect()
        domain = f"t{uuid.uuid4().hex[:10]}"
        js = nc.jetstream()  # type: ignore[attr-defined]
        stream = f"KEFU_TEST_{domain}"
        await js.add_stream(name=stream, subjects=[event_subject(domain)])
        engine = routing_engine(InMemoryUnitOfWorkFactory(), ManualClock(1_000.0))
        await engine.start()
        server = CommandServer(nc, engine, domain, sealer=sealer(domain))  # type: ignore[arg-type]
        publisher = EventPublisher(js, engine, domain)
        await server.start()
        await publisher.start()
        try:
            await engine.execute(c.CreateSite("sh", "上海中心"))
            await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
            await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
            web = CommandClient(nc, domain, sealer=sealer(domain))  # type: ignore[arg-type]
            create = c.CreateContact(
                "voice",
                attributes={"客户": "张三"},
                idempotency_key="u-admin:web-1",
                request_hash="h1",
            )
            first = await web.execute(create, ADMIN)
            again = await web.execute(create, ADMIN)  # the retry after a timeout or a failover
            assert first["contact_id"] == again["contact_id"]
            assert (first["replayed"], again["replayed"]) == (False, True)
            ready = await web.execute(c.SetAgentState("a1", "ready"), ADMIN)
            assert ready["presence"] == "ready"
            with pytest.raises(RemoteError) as refused:
                await web.execute(c.CreateContact("无此队列"), ADMIN)
            assert refused.value.error_id == "unknown_queue"
            await publisher.stop()

            sub = await js.subscribe(event_subject(domain), ordered_consumer=True)
            received = []
            while len(received) < engine.last_seq:
                msg = await sub.next_msg(timeout=5.0)
                received.append((int(msg.headers["Kefu-Seq"]), json.loads(msg.data)["type"]))
            assert [seq for seq, _ in received] == list(range(1, engine.last_seq + 1))
            kinds = [kind for _, kind in received]
            assert kinds.count("ContactQueued") == 1 and "OfferCreated" in kinds
        finally:
            await server.stop()
            await engine.stop()
            await js.delete_stream(stream)
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(scenario())
