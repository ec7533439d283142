"""Rights on commands sent over a real NATS server: the router runs a command only in an
envelope sealed with the cluster's key for its routing domain, fresh, and for a caller
with the API's rights (scope, role, sites); forged, altered, unsigned, stale or foreign
envelopes and callers outside the site are answered with a stable error id and change
nothing."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from test_cluster_bus import ADMIN, SECRET, _connect, sealer

from kefu.adapters.cluster.bus import CommandClient, CommandServer, command_subject
from kefu.adapters.cluster.envelope import SIGNATURE_HEADER, CommandSealer
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.errors import ForgedCommand
from kefu.service.routing import commands as c
from kefu.service.security import ROLE_SCOPES, Principal, Role, Scope
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock


def _user(user_id: str, role: Role, sites: set[str], agent_id: str | None = None) -> Principal:
    return Principal(user_id, user_id, role, frozenset(sites), agent_id, ROLE_SCOPES[role])


SUPERVISOR_SH = _user("u-sup-sh", Role.SUPERVISOR, {"sh"})
SUPERVISOR_BJ = _user("u-sup-bj", Role.SUPERVISOR, {"bj"})
AGENT_A1 = _user("u-a1", Role.AGENT, {"sh"}, agent_id="a1")


def test_given_an_envelope_when_opened_then_only_the_sealed_fresh_one_of_the_domain_passes() -> (
    None
):
    seal = CommandSealer(SECRET, "east", max_age_s=30.0)
    data, headers = seal.seal({"type": "HoldContact", "fields": {}}, SUPERVISOR_SH, 1_000.0)
    opened = seal.open(data, headers, 1_010.0)
    assert opened.caller == SUPERVISOR_SH and opened.command["type"] == "HoldContact"
    refusals = [
        (data, {}, 1_010.0),  # unsigned
        (data, {SIGNATURE_HEADER: "0" * 64}, 1_010.0),  # forged
        (data.replace(b"u-sup-sh", b"u-admin1"), headers, 1_010.0),  # altered caller
        (data, headers, 1_031.0),  # stale: replayed later
    ]
    for body, sent, now in refusals:
        with pytest.raises(ForgedCommand) as refused:
            seal.open(body, sent, now)
        assert refused.value.error_id == "command_not_signed"
    with pytest.raises(ForgedCommand):  # the key of another cluster
        CommandSealer("another cluster's secret", "east").open(data, headers, 1_010.0)
    with pytest.raises(ForgedCommand):  # sealed for another routing domain
        CommandSealer(SECRET, "west").open(data, headers, 1_010.0)


def test_given_a_router_on_nats_when_callers_send_commands_then_only_rightful_ones_run() -> None:
    async def scenario() -> None:
        nc = await _connect()
        domain = f"t{uuid.uuid4().hex[:10]}"
        engine = routing_engine(InMemoryUnitOfWorkFactory(), ManualClock(1_000.0))
        await engine.start()
        server = CommandServer(nc, engine, domain, sealer=sealer(domain))  # type: ignore[arg-type]
        await server.start()
        try:
            for site in ("sh", "bj"):
                await engine.execute(c.CreateSite(site, site))
                await engine.execute(c.DefineQueue(QueueSpec(f"voice-{site}", Channel.VOICE), site))
            await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="王磊")))
            await engine.execute(c.DefineAgent(AgentSpec("a2", site_id="sh", name="李娜")))
            web = CommandClient(nc, domain, sealer=sealer(domain))  # type: ignore[arg-type]
            before = engine.last_seq

            async def refused(command: c.Command, caller: Principal) -> str:
                try:
                    await web.execute(command, caller)
                except Exception as exc:
                    return str(getattr(exc, "error_id", type(exc).__name__))
                raise AssertionError(f"{command} ran for {caller.user_id}")

            # A caller of another site sees neither the queue nor the agents (404 ids).
            assert await refused(c.CreateContact("voice-sh"), SUPERVISOR_BJ) == "unknown_queue"
            assert await refused(c.SetAgentState("a1", "ready"), SUPERVISOR_BJ) == "unknown_agent"
            # An agent creates no contact and acts only as itself.
            assert await refused(c.CreateContact("voice-sh"), AGENT_A1) == "forbidden"
            assert await refused(c.SetAgentState("a2", "ready"), AGENT_A1) == "forbidden"
            # A token without the scope; another user's Idempotency-Key.
            reader = Principal("u-r", "r", Role.ADMIN, frozenset(), scopes=frozenset({Scope.READ}))
            assert await refused(c.CreateContact("voice-sh"), reader) == "forbidden"
            stolen = c.CreateContact("voice-sh", idempotency_key="u-admin:k1")
            assert await refused(stolen, SUPERVISOR_SH) == "forbidden"
            # Commands that are not sent for a caller.
            assert await refused(c.CreateSite("x", "x"), ADMIN) == "validation_error"

            # Envelopes not sealed by this cluster's web node, sent straight on the bus.
            command = {"type": "SetAgentState", "fields": {"agent_id": "a1", "presence": "ready"}}
            forged = CommandSealer("not the cluster's secret key", domain)
            sent = [
                json.dumps(command).encode(),  # unsigned
                forged.seal(command, ADMIN, 1_000.0),  # another key
            ]
            for item in sent:
                data, headers = item if isinstance(item, tuple) else (item, {})
                msg = await nc.request(command_subject(domain), data, 5.0, headers=headers)  # type: ignore[attr-defined]
                answer = json.loads(msg.data)
                assert answer["ok"] is False
                assert answer["error"]["error_id"] == "command_not_signed"
            assert engine.last_seq == before, "a refused command changed something"

            # The rightful callers: the supervisor of the site, the agent as itself.
            made = await web.execute(
                c.CreateContact("voice-sh", idempotency_key="u-sup-sh:k1"), SUPERVISOR_SH
            )
            assert made["state"] == "queued"
            ready = await web.execute(c.SetAgentState("a1", "ready"), AGENT_A1)
            assert ready["presence"] == "ready"
            assert engine.last_seq > before
        finally:
            await server.stop()
            await engine.stop()
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(scenario())
