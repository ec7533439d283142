"""Over a long run the engine's memory stays flat: contacts finished long ago leave the
router when a snapshot is taken, idempotency keys leave the ledger once past its window,
and the report projection keeps only what is open. Measured by counting the live objects
reachable from the engine's state (not the process's RSS, which the allocator blurs)."""

from __future__ import annotations

import asyncio
import gc
import itertools
import types
from typing import Any

from kefu.adapters.storage.snapshots import MemorySnapshots
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.engine import RoutingEngine
from kefu.service.idempotency import KeyLedger
from kefu.service.routing import commands as c
from kefu.service.snapshots import SnapshotPolicy, Snapshotter
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock

DAY_S = 86_400.0
PER_DAY = 40
AGENTS = ("a1", "a2", "a3")
_NOT_STATE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)


def _live_objects(engine: RoutingEngine) -> int:
    """Objects reachable from the engine's state (router, keys, report projection,
    intervals), classes, modules and functions not counted nor followed. A walk from the
    roots sees no garbage, so it needs no ``gc.collect()`` (which, in a test worker's large
    heap, took seconds per call)."""
    roots: list[Any] = [engine.router, engine.keys, engine.reports, engine.intervals]
    seen: set[int] = set()
    while roots:
        obj = roots.pop()
        if id(obj) in seen or isinstance(obj, _NOT_STATE):
            continue
        seen.add(id(obj))
        roots.extend(gc.get_referents(obj))
    return len(seen)


async def _days(retain_s: float, days: int) -> list[int]:
    """Run ``days`` days of ``PER_DAY`` contacts each (with an Idempotency-Key), a
    snapshot at each day's end; the live objects counted after each snapshot."""
    clock = ManualClock(1_000_000.0)
    engine = routing_engine(InMemoryUnitOfWorkFactory(), clock)
    engine.snapshots = Snapshotter(
        MemorySnapshots(), SnapshotPolicy(every=0, retain_finished_s=retain_s, fork=False)
    )
    engine.keys = KeyLedger(remember=50)  # a small window, so that a short run passes it
    await engine.start()
    await engine.execute(c.CreateSite("bj", "北京中心", "UTC"))
    queue = QueueSpec("billing", Channel.CHAT, site_id="bj", wrapup_s=0.0)
    await engine.execute(c.DefineQueue(queue, "bj"))
    for agent in AGENTS:
        await engine.execute(c.DefineAgent(AgentSpec(agent, site_id="bj", name="座席")))
        await engine.execute(c.SetAgentState(agent, "ready"))
    counts = []
    for day in range(days):
        for n in range(PER_DAY):
            clock.advance(60.0)
            key = f"day{day}-{n}"
            created = await engine.execute(c.CreateContact("billing", idempotency_key=key))
            contact = engine.router.contacts[created["contact_id"]]
            assert contact.offer_id is not None
            clock.advance(5.0)
            await engine.execute(c.AcceptOffer(contact.contact_id, contact.offer_id))
            clock.advance(120.0)
            await engine.execute(c.CompleteContact(contact.contact_id, "已解决"))
        clock.advance(DAY_S - PER_DAY * 185.0)
        assert await engine.snapshot() is not None
        counts.append(_live_objects(engine))
    assert len(engine.keys._recent) <= 50 and not engine.keys.pending
    await engine.stop()
    return counts


def test_given_a_long_run_when_snapshots_are_taken_then_live_objects_stay_flat() -> None:
    counts = asyncio.run(_days(retain_s=DAY_S, days=6))
    # From day 2 on, each snapshot finds the day before's contacts over a day old.
    assert max(counts[2:]) <= counts[2] * 1.02, counts


def test_given_finished_contacts_kept_when_run_long_then_live_objects_grow() -> None:
    """The control: with nothing forgotten the same count grows with every day, so the
    flat count above is the forgetting's doing."""
    counts = asyncio.run(_days(retain_s=1e12, days=4))
    assert all(b > a + 5 * PER_DAY for a, b in itertools.pairwise(counts)), counts
