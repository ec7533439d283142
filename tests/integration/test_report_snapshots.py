"""The report projection restored from a router snapshot and the log's tail (SQLite and
PostgreSQL): a start from it stores the report rows, and holds the projection state, that a
fold of the whole log gives, without reading the whole log; also after events were stored
without being projected, or projected without their rows being stored (a crash between
their commit and the rows')."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import pytest
from db_helpers import Database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.report_repository import SLOTS, VISITS
from kefu.adapters.storage.snapshots import SqlSnapshots
from kefu.analytics.projection import AgentSlot, VisitProjector
from kefu.analytics.visits import Visit
from kefu.bootstrap import routing_engine
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing.digest import state_digest
from kefu.service import writer
from kefu.service.engine import RoutingEngine
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.service.snapshots import (
    REPORTS,
    SnapshotPolicy,
    Snapshotter,
    dumps,
    fingerprint,
    open_snapshot,
)
from kefu.testing import ManualClock

AGENTS = ("a1", "a2")
QUEUES = ("voice", "chat")
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.integers(0, 1)),
        st.tuples(st.sampled_from(["ready", "not_ready", "offline"]), st.integers(0, 1)),
        st.tuples(st.sampled_from(["accept", "complete", "abandon", "end"]), st.integers(0, 99)),
        # across the 900 s agent slots too
        st.tuples(st.just("tick"), st.sampled_from([0.5, 25.0, 400.0, 1_000.0])),
        st.tuples(st.just("snapshot"), st.just(0)),
        # the writer stores events but no longer projects them nor stores the rows it
        # folded, as if the process died between the events' commit and the rows' one
        st.tuples(st.just("crash"), st.just(0)),
    ),
    min_size=5,
    max_size=30,
)


@dataclass
class Store:
    database: Database
    clock: ManualClock = field(default_factory=lambda: ManualClock(1_000.0))
    defined: bool = False
    restored: int = 0
    crashed: int = 0

    def engine(self, snapshots: bool) -> RoutingEngine:
        # Finished contacts stay in memory: the router's state is compared whole.
        policy = SnapshotPolicy(every=23, retain_finished_s=1e12)
        keeper = Snapshotter(SqlSnapshots(), policy)
        return routing_engine(
            SqlUnitOfWorkFactory(self.database.engine),
            self.clock,
            snapshots=keeper if snapshots else None,
        )


def _rounded(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row.values())


def _visit_rows(visits: list[Visit]) -> list[tuple[Any, ...]]:
    return sorted(_rounded({f.name: getattr(v, f.name) for f in fields(Visit)}) for v in visits)


def _slot_rows(slots: list[AgentSlot]) -> list[tuple[Any, ...]]:
    return sorted(_rounded({f.name: getattr(s, f.name) for f in fields(AgentSlot)}) for s in slots)


def _stored_rows(database: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    visit_columns = [VISITS.c[f.name] for f in fields(Visit)]
    slot_columns = [SLOTS.c[f.name] for f in fields(AgentSlot)]
    with database.engine.connect() as connection:
        visits = [dict(r._mapping) for r in connection.execute(select(*visit_columns))]
        slots = [dict(r._mapping) for r in connection.execute(select(*slot_columns))]
    return sorted(_rounded(v) for v in visits), sorted(_rounded(s) for s in slots)


def _open_rows(projector: VisitProjector) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What ``projector`` holds that is not stored yet, read from a copy of it."""
    copy: VisitProjector = pickle.loads(dumps(projector))
    visits, slots = copy.finish()
    return _visit_rows(visits), _slot_rows(slots)


async def _act(engine: RoutingEngine, store: Store, op: tuple[str, object]) -> None:
    kind, arg = op
    contacts = sorted(engine.router.contacts)
    contact = engine.router.contacts[contacts[int(arg) % len(contacts)]] if contacts else None
    if kind == "arrive":
        await engine.execute(c.CreateContact(QUEUES[int(arg)], attributes={"客户": "王芳"}))
    elif kind in ("ready", "not_ready", "offline"):
        await engine.execute(c.SetAgentState(AGENTS[int(arg)], kind))
    elif kind == "tick":
        store.clock.advance(float(arg))  # type: ignore[arg-type]
        await engine.tick()
    elif kind == "snapshot":
        assert await engine.snapshot() is not None
    elif kind == "crash":
        assert engine._writer is not None
        engine._writer.projection = None
    elif contact is not None and kind == "accept" and contact.offer_id:
        await engine.execute(c.AcceptOffer(contact.contact_id, contact.offer_id))
    elif contact is not None and kind == "complete":
        await engine.execute(c.CompleteContact(contact.contact_id, "已解决"))
    elif contact is not None and kind == "abandon":
        await engine.execute(c.AbandonContact(contact.contact_id))
    elif contact is not None and kind == "end":
        await engine.execute(c.EndWrapup(contact.contact_id))


async def _run(store: Store, ops: list[tuple[str, object]]) -> None:
    engine = store.engine(snapshots=True)
    await engine.start()
    if not store.defined:
        await engine.execute(c.CreateSite("sh", "上海中心", "UTC"))
        voice = QueueSpec("voice", Channel.VOICE, site_id="sh", wrapup_s=10.0)
        await engine.execute(c.DefineQueue(voice, "sh"))
        await engine.execute(c.DefineQueue(QueueSpec("chat", Channel.CHAT, site_id="sh"), "sh"))
        for agent in AGENTS:
            await engine.execute(c.DefineAgent(AgentSpec(agent, site_id="sh", name="座席")))
        store.defined = True
    for op in ops:
        store.clock.advance(0.25)
        store.crashed += op[0] == "crash"
        with contextlib.suppress(KefuError):  # refused in this state: nothing changed
            await _act(engine, store, op)
    await engine.stop()


def _whole_log_refused() -> None:
    raise AssertionError("a start from a snapshot read the whole log for the reports")


async def _check(store: Store) -> None:
    database = store.database
    restored = store.engine(snapshots=True)
    restored._whole_log = _whole_log_refused  # type: ignore[assignment,method-assign]
    await restored.start()
    try:
        latest = await restored.read_store(lambda uow: SqlSnapshots().latest(uow, fingerprint()))
        assert latest is not None and REPORTS in open_snapshot(latest.data)[1]
        assert restored.reports_restored
        store.restored += 1
        with SqlUnitOfWorkFactory(database.engine)() as uow:
            log = list(uow.events.read())
        # The reference: the whole log folded afresh.
        whole = VisitProjector()
        whole.consume(s.event for s in log)
        ended, final = whole.take_visits(), whole.take_slots(whole.last_at)
        assert _stored_rows(database) == (_visit_rows(ended), _slot_rows(final))
        assert _open_rows(restored.reports._projector) == _open_rows(whole)
        assert restored.reports.seq == log[-1].seq == restored.last_seq
    finally:
        await restored.stop()
    replayed = store.engine(snapshots=False)
    await replayed.start()
    try:
        assert state_digest(replayed.router) == state_digest(restored.router)
        assert _open_rows(replayed.reports._projector) == _open_rows(restored.reports._projector)
        assert _stored_rows(database) == (_visit_rows(ended), _slot_rows(final))
    finally:
        await replayed.stop()


def test_given_random_commands_when_started_from_a_snapshot_then_report_rows_equal_a_full_fold(
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
        async def scenario() -> None:
            await _run(store, [("snapshot", 0), *ops, ("arrive", 1)])
            await _check(store)

        asyncio.run(scenario())

    run()
    assert store.restored >= 8


def test_given_events_stored_but_not_projected_when_started_from_a_snapshot_then_they_are_folded(
    database: Database,
) -> None:
    """A snapshot older than the events past it, some never projected (the process died
    between the events' commit and the projection's): a start stores their rows."""
    store = Store(database)
    ops: list[tuple[str, object]] = [
        ("ready", 0),
        ("arrive", 0),
        ("tick", 25.0),
        ("accept", 0),
        ("arrive", 1),
        ("snapshot", 0),
        ("tick", 400.0),
        ("complete", 0),
        ("tick", 25.0),
        ("end", 0),
        ("crash", 0),
        ("ready", 1),
        ("tick", 1_000.0),
        ("abandon", 0),
        ("snapshot", 0),  # the projection's state in it is older than the router's
        ("arrive", 0),
        ("tick", 1_000.0),
        ("offline", 0),
    ]

    async def scenario() -> None:
        await _run(store, ops)
        with SqlUnitOfWorkFactory(database.engine)() as uow:
            mark = uow.reports.mark()
            last = max(s.seq for s in uow.events.read())
            snapshot = SqlSnapshots().latest(uow, fingerprint())
        assert mark is not None and mark.seq < last  # behind: not projected
        assert snapshot is not None
        dumped = open_snapshot(snapshot.data)[1][REPORTS]
        assert int.from_bytes(dumped[:8], "big") < snapshot.seq
        await _check(store)

    asyncio.run(scenario())


@pytest.mark.parametrize("from_snapshot", [True, False], ids=["snapshot", "log"])
def test_given_rows_folded_but_not_stored_when_the_process_dies_then_a_start_writes_them_once(
    database: Database, monkeypatch: pytest.MonkeyPatch, from_snapshot: bool
) -> None:
    # The writer settles only when asked: the crash comes before it would have.
    monkeypatch.setattr(writer, "SETTLE_AFTER_S", 1e9)
    monkeypatch.setattr(writer, "SETTLE_MAX_S", 1e9)
    clock = ManualClock(1_000.0)
    uow_factory = SqlUnitOfWorkFactory(database.engine)

    def engine(snapshots: bool = True) -> RoutingEngine:
        policy = SnapshotPolicy(every=10**9, retain_finished_s=1e12)
        keeper = Snapshotter(SqlSnapshots(), policy)
        return routing_engine(uow_factory, clock, snapshots=keeper if snapshots else None)

    async def serve(engine: RoutingEngine, queue: str, end: Callable[[str], c.Command]) -> str:
        contact = (await engine.execute(c.CreateContact(queue)))["contact_id"]
        offer = (await engine.query(views.get_contact, contact))["offer_id"]
        clock.advance(4.0)
        await engine.execute(c.AcceptOffer(contact, offer, "a1"))
        clock.advance(60.0)
        await engine.execute(end(contact))
        return str(contact)

    def stored() -> tuple[Any, int]:
        with uow_factory() as uow:
            return uow.reports.mark(), max(s.seq for s in uow.events.read())

    async def scenario() -> None:
        first = engine()
        await first.start()
        await first.execute(c.CreateSite("sh", "上海中心", "UTC"))
        await first.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE, site_id="sh"), "sh"))
        await first.execute(c.DefineQueue(QueueSpec("chat", Channel.CHAT, site_id="sh"), "sh"))
        await first.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="座席")))
        await first.execute(c.SetAgentState("a1", "ready"))
        await serve(first, "chat", lambda cid: c.CompleteContact(cid, "已解决"))
        assert first.reports.unsettled()
        # A snapshot stores the rows its dump of the projection no longer holds.
        snapshot = await first.snapshot()
        assert snapshot is not None and not first.reports.unsettled()
        settled, _ = stored()
        assert settled is not None
        dumped = open_snapshot(snapshot.data)[1][REPORTS]
        assert int.from_bytes(dumped[:8], "big") == settled.seq == snapshot.seq
        rows = _stored_rows(database)
        assert len(rows[0]) == 1
        # Past the snapshot: a contact served, one abandoned, a slot of agent time ended.
        clock.advance(1_000.0)
        await serve(first, "chat", lambda cid: c.CompleteContact(cid, None))
        gone = (await first.execute(c.CreateContact("voice")))["contact_id"]
        clock.advance(30.0)
        await first.execute(c.SetAgentState("a1", "not_ready"))
        await first.execute(c.AbandonContact(gone))
        clock.advance(1_000.0)
        await first.execute(c.SetAgentState("a1", "offline"))
        assert first.reports.unsettled()
        # The process dies: its events are stored, the rows folded since are not.
        assert first._writer is not None
        first._writer.projection = None
        await first.stop()
        mark, last = stored()
        assert mark == settled and mark is not None and mark.seq < last
        assert _stored_rows(database) == rows
        with uow_factory() as uow:
            log = list(uow.events.read())
        whole = VisitProjector()
        whole.consume(s.event for s in log)
        expected = (_visit_rows(whole.take_visits()), _slot_rows(whole.take_slots(whole.last_at)))
        assert len(expected[0]) == 3 and len(expected[1]) > len(rows[1])
        # A start writes them; one more finds them written and writes nothing twice.
        for _ in range(2):
            again = engine(snapshots=from_snapshot)
            if from_snapshot:
                again._whole_log = _whole_log_refused  # type: ignore[assignment,method-assign]
            await again.start()
            assert again.reports_restored == from_snapshot
            await again.stop()
            assert _stored_rows(database) == expected
            mark, last = stored()
            assert mark is not None and mark.seq == last
        with database.engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(VISITS))
        assert count == 3

    asyncio.run(scenario())
