"""Overflow from one routing domain to another on real NATS and PostgreSQL: north's queue
plan sends a contact waiting 30 s to south's queue. The hop the old leader of north sent
before it died, and the step that fell due, are both finished by the new leader once: south
holds each contact once, north ends them as transferred out."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from test_cluster_bus import SECRET, _connect
from test_cluster_handover import Leader, schemas

from kefu.adapters.cluster.bus import CommandClient, CommandServer
from kefu.adapters.cluster.envelope import CommandSealer
from kefu.adapters.cluster.handover import DomainHandover, _creation, router_principal
from kefu.adapters.cluster.lease import LeaderLease
from kefu.adapters.cluster.overflow import OVERFLOW_NOTE, OverflowHandovers
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.domain.model import Channel, OverflowStep, QueueSpec
from kefu.service.engine_state import EngineState
from kefu.service.routing import RoutingDomains
from kefu.service.routing import commands as c
from kefu.testing import ManualClock

pytestmark = pytest.mark.postgres
__all__ = ["schemas"]  # the fixture, imported

WAIT_S = 15.0
"""The longest wait for the hand-overs (a second or less on an idle machine)."""


async def _lead(
    nc: object, url: str, schema: str, domain: str, name: str, clock: ManualClock, peers: set[str]
) -> Leader:
    """A leader of ``domain`` whose queue plans may name the routing domains ``peers``."""
    database = make_engine(url, schema=schema)
    lease = LeaderLease(database, domain, name)
    assert await asyncio.to_thread(lease.try_acquire) is not None
    domains = RoutingDomains(domain, frozenset(peers | {domain}))
    engine = routing_engine(SqlUnitOfWorkFactory(database), clock, domains=domains)
    engine.fence = lease.fence
    await engine.start()
    server = CommandServer(nc, engine, domain, sealer=CommandSealer(SECRET, domain))  # type: ignore[arg-type]
    await server.start()
    return Leader(domain, database, lease, engine, server)


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"not in {WAIT_S} s: {what}")


def test_given_an_overflow_step_to_another_domain_when_due_then_the_new_leader_hands_over_once(
    schemas: tuple[str, str, str],
) -> None:
    url, schema_a, schema_b = schemas
    north, south = f"n{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    clock = ManualClock(1_000.0)

    async def scenario() -> None:
        nc = await _connect()
        leaders: list[Leader] = []
        drivers: list[OverflowHandovers] = []
        try:
            a = await _lead(nc, url, schema_a, north, "north-1", clock, {south})
            b = await _lead(nc, url, schema_b, south, "south-1", clock, {north})
            leaders += [a, b]
            await b.engine.execute(c.CreateSite("gz", "广州中心"))
            await b.engine.execute(c.DefineQueue(QueueSpec("loans", Channel.VOICE), "gz"))
            await a.engine.execute(c.CreateSite("bj", "北京中心"))
            step = OverflowStep(30.0, queue_id="loans", domain=south)
            plan = QueueSpec("voice", Channel.VOICE, overflow=(step,))
            await a.engine.execute(c.DefineQueue(plan, "bj"))
            ids = []
            for customer in ("客户甲", "客户乙"):
                made = await a.engine.execute(c.CreateContact("voice", customer_id=customer))
                ids.append(made["contact_id"])
            clock.advance(31.0)
            await a.engine.tick()
            due = await a.engine.query(_waiting)
            assert due == [(cid, south, "loans") for cid in ids]

            # The old leader sent the first contact's hop, then died before ending it.
            create = await a.engine.query(_creation, ids[0], "loans", OVERFLOW_NOTE, north)
            sealer = CommandSealer(SECRET, south)
            first = await CommandClient(nc, south, sealer=sealer).execute(  # type: ignore[arg-type]
                create, router_principal(north)
            )
            await a.die()
            leaders.remove(a)
            a = await _lead(nc, url, schema_a, north, "north-2", clock, {south})
            leaders.append(a)
            handover = DomainHandover(nc, a.engine, north, secret_key=SECRET, timeout_s=2.0)  # type: ignore[arg-type]
            driver = OverflowHandovers(handover, retry_s=0.5)
            drivers.append(driver)
            await driver.start()

            async def both_left() -> bool:
                return await a.engine.query(_waiting) == []

            async def both_counted() -> bool:  # a hand-over returns after the engine saw it
                return driver.handed >= 2

            await _until(both_left, "both contacts handed over")
            await _until(both_counted, "both hand-overs returned")
            assert driver.handed == 2
            states = [await a.engine.query(_state, cid) for cid in ids]
            assert states == ["transferred_out", "transferred_out"]

            out = [e for e in a.stored() if isinstance(e, ev.ContactTransferredOut)]
            assert sorted(e.contact_id for e in out) == sorted(ids)
            assert {e.to_domain for e in out} == {south} and {e.note for e in out} == {"overflow"}
            remote = {e.contact_id: e.remote_contact_id for e in out}
            assert remote[ids[0]] == first["contact_id"], "the hop sent twice was applied once"
            queued = [e for e in b.stored() if isinstance(e, ev.ContactQueued)]
            assert sorted(e.attributes["handover.from_contact"] for e in queued) == sorted(ids)
            assert {e.queue_id for e in queued} == {"loans"}
            assert {e.attributes["handover.arrived_at"] for e in queued} == {"1000.0"}
        finally:
            for driver in drivers:
                await driver.stop()
            for leader in leaders:
                await leader.die()
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_given_the_other_domain_silent_when_the_step_is_due_then_the_contact_stays_and_waits(
    schemas: tuple[str, str, str],
) -> None:
    url, schema_a, _ = schemas
    north, silent = f"n{uuid.uuid4().hex[:8]}", f"x{uuid.uuid4().hex[:8]}"
    clock = ManualClock(1_000.0)

    async def scenario() -> None:
        nc = await _connect()
        a = await _lead(nc, url, schema_a, north, "north-1", clock, {silent})
        handover = DomainHandover(nc, a.engine, north, secret_key=SECRET, timeout_s=0.5)  # type: ignore[arg-type]
        driver = OverflowHandovers(handover, retry_s=0.2)
        try:
            await a.engine.execute(c.CreateSite("bj", "北京中心"))
            step = OverflowStep(30.0, queue_id="loans", domain=silent)
            await a.engine.execute(c.DefineQueue(QueueSpec("voice", overflow=(step,)), "bj"))
            made = await a.engine.execute(c.CreateContact("voice"))
            clock.advance(31.0)
            await driver.start()
            await a.engine.tick()
            await asyncio.sleep(1.5)  # several tries, none answered
            assert driver.handed == 0
            assert await a.engine.query(_state, made["contact_id"]) == "queued"
            assert await a.engine.query(_waiting) == [(made["contact_id"], silent, "loans")]
            assert not [e for e in a.stored() if isinstance(e, ev.ContactTransferredOut)]
        finally:
            await driver.stop()
            await a.die()
            await nc.close()  # type: ignore[attr-defined]

    asyncio.run(scenario())


def _waiting(engine: EngineState) -> list[tuple[str, str, str]]:
    return engine.router.waiting_handovers()


def _state(engine: EngineState, contact_id: str) -> str:
    return str(engine.router.contact(contact_id)["state"])
