"""Snapshots on SQLite and PostgreSQL: an engine started from the latest snapshot and the
tail of the log holds the state of one that replays the whole log, over random command
sequences (each example continues the same store, so later ones start from snapshots of
earlier ones, taken on demand and every few events)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import pytest
from db_helpers import Database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.snapshots import SqlSnapshots
from kefu.bootstrap import routing_engine
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.domain.routing.digest import state_digest
from kefu.service.engine import RoutingEngine
from kefu.service.routing import commands as c
from kefu.service.snapshots import SnapshotPolicy, Snapshotter, fingerprint
from kefu.testing import ManualClock

RETAIN_S = 30.0
AGENTS = ("a1", "a2", "a3")
QUEUES = ("voice", "chat")
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.integers(0, 1)),
        st.tuples(st.sampled_from(["ready", "not_ready", "offline"]), st.integers(0, 2)),
        st.tuples(st.sampled_from(["accept", "complete", "abandon", "end"]), st.integers(0, 99)),
        st.tuples(st.just("tick"), st.sampled_from([0.5, 3.0, 25.0, 90.0])),
        st.tuples(st.just("snapshot"), st.just(0)),
    ),
    min_size=5,
    max_size=30,
)


@dataclass
class Store:
    """One database shared by the examples, and the clock they continue."""

    database: Database
    clock: ManualClock = field(default_factory=lambda: ManualClock(1_000.0))
    defined: bool = False
    restored: int = 0
    tails: int = 0

    def engine(self, snapshots: bool) -> RoutingEngine:
        keeper = Snapshotter(SqlSnapshots(), SnapshotPolicy(every=17, retain_finished_s=RETAIN_S))
        uow_factory = SqlUnitOfWorkFactory(self.database.engine)
        return routing_engine(uow_factory, self.clock, snapshots=keeper if snapshots else None)


async def _act(engine: RoutingEngine, store: Store, op: tuple[str, object]) -> None:
    kind, arg = op
    contacts = sorted(engine.router.contacts)
    contact = engine.router.contacts[contacts[int(arg) % len(contacts)]] if contacts else None
    if kind == "arrive":
        await engine.execute(c.CreateContact(QUEUES[int(arg)], attributes={"客户": "张三"}))
    elif kind in ("ready", "not_ready", "offline"):
        await engine.execute(c.SetAgentState(AGENTS[int(arg)], kind))
    elif kind == "tick":
        store.clock.advance(float(arg))  # type: ignore[arg-type]
        await engine.tick()
    elif kind == "snapshot":
        assert await engine.snapshot() is not None
    elif contact is not None and kind == "accept" and contact.offer_id:
        await engine.execute(c.AcceptOffer(contact.contact_id, contact.offer_id))
    elif contact is not None and kind == "complete":
        await engine.execute(c.CompleteContact(contact.contact_id, "已解决"))
    elif contact is not None and kind == "abandon":
        await engine.execute(c.AbandonContact(contact.contact_id))
    elif contact is not None and kind == "end":
        await engine.execute(c.EndWrapup(contact.contact_id))


async def _scenario(store: Store, ops: list[tuple[str, object]]) -> None:
    engine = store.engine(snapshots=True)
    await engine.start()
    if not store.defined:
        await engine.execute(c.CreateSite("sh", "上海中心"))
        voice = QueueSpec("voice", Channel.VOICE, wrapup_s=10.0)
        await engine.execute(c.DefineQueue(voice, "sh"))
        await engine.execute(c.DefineQueue(QueueSpec("chat", Channel.CHAT), "sh"))
        for agent in AGENTS:
            await engine.execute(c.DefineAgent(AgentSpec(agent, site_id="sh", name="座席")))
        store.defined = True
    for op in ops:
        store.clock.advance(0.25)
        with contextlib.suppress(KefuError):  # refused in this state: nothing changed
            await _act(engine, store, op)
    await engine.stop()

    restored, replayed = store.engine(snapshots=True), store.engine(snapshots=False)
    await restored.start()
    await replayed.start()
    try:
        keeper = restored.snapshots
        assert keeper is not None and keeper.restored_from is not None
        store.restored += 1
        store.tails += keeper.tail > 0
        latest = await restored.read_store(lambda uow: SqlSnapshots().latest(uow, fingerprint()))
        assert latest is not None and latest.seq == keeper.restored_from
        replayed.router.forget_finished(latest.taken_at - RETAIN_S)
        assert state_digest(restored.router) == state_digest(replayed.router)
        assert restored.last_seq == replayed.last_seq
        assert restored.sites == replayed.sites and restored.queue_rows == replayed.queue_rows
    finally:
        await restored.stop()
        await replayed.stop()


def test_given_random_commands_when_restarted_from_a_snapshot_then_state_equals_full_replay(
    database: Database,
) -> None:
    store = Store(database)

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(ops=OPS)
    def run(ops: list[tuple[str, object]]) -> None:
        asyncio.run(_scenario(store, [*ops, ("snapshot", 0), ("arrive", 0)]))

    run()
    assert store.restored >= 8 and store.tails >= 1


@pytest.mark.parametrize("damage", ["garbage", "other_settings"])
def test_given_an_unusable_snapshot_when_started_then_the_whole_log_is_replayed(
    database: Database, damage: str
) -> None:
    async def scenario() -> None:
        store = Store(database)
        await _scenario(store, [("ready", 0), ("arrive", 0), ("arrive", 1), ("snapshot", 0)])
        with database.engine.begin() as connection:
            if damage == "garbage":
                connection.execute(text("UPDATE router_snapshots SET data = :d"), {"d": b"x"})
        engine = store.engine(snapshots=True)
        if damage == "other_settings":
            engine.config = RouterConfig(offer_timeout_s=99.0)
        await engine.start()
        try:
            assert engine.snapshots is not None and engine.snapshots.restored_from is None
            assert len(engine.router.contacts) == 2
        finally:
            await engine.stop()

    asyncio.run(scenario())
