"""Storage on SQLite and PostgreSQL: migrations, the unit of work and every repository."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from db_helpers import Database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from kefu.adapters.storage import (
    SchemaOutOfDate,
    SqlUnitOfWorkFactory,
    current_revision,
    ensure_current,
    head_revision,
    make_engine,
    sqlite_url,
    upgrade,
)
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router
from kefu.service.ports import IdempotencyRecord, QueueRow, Site, StateInterval
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.testing import ManualClock


def test_given_an_empty_sqlite_file_when_checked_then_it_asks_for_kefu_db_upgrade(
    tmp_path: Path,
) -> None:
    engine = make_engine(sqlite_url(str(tmp_path / "empty.sqlite3")))
    assert current_revision(engine) is None
    with pytest.raises(SchemaOutOfDate, match="kefu db upgrade"):
        ensure_current(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    ensure_current(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_given_a_migrated_database_when_downgraded_and_upgraded_then_head_again(
    database: Database,
) -> None:
    upgrade(database.engine, "head")
    from alembic import command

    from kefu.adapters.storage.migrate import _config

    command.downgrade(_config(database.engine), "base")
    assert current_revision(database.engine) is None
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()


def test_given_a_unit_of_work_when_left_without_commit_then_nothing_is_stored(
    database: Database,
) -> None:
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    with uow_factory() as uow:
        uow.sites.add(Site("sh", "上海中心", "Asia/Shanghai", 1.0))
    with uow_factory() as uow:
        assert uow.sites.list() == []
        uow.sites.add(Site("sh", "上海中心", "Asia/Shanghai", 1.0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.sites.list() == [Site("sh", "上海中心", "Asia/Shanghai", 1.0)]


def test_given_a_reading_unit_of_work_when_used_then_it_reads_alone_and_the_pool_keeps_transactions(
    database: Database,
) -> None:
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    with uow_factory() as uow:
        uow.sites.add(Site("sh", "上海中心", "Asia/Shanghai", 1.0))
        uow.commit()
    sent: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    postgres = database.engine.dialect.name == "postgresql"
    for _ in range(3):  # every pooled connection, once read through
        with uow_factory.reading() as uow:
            assert uow.sites.list() == [Site("sh", "上海中心", "Asia/Shanghai", 1.0)]
            driver = uow.session.connection().connection.driver_connection
            # PostgreSQL: no BEGIN and no ROLLBACK around the read
            assert (getattr(driver, "autocommit", False) is True) is postgres
    assert len(sent) == 3
    # A connection a reader used is back in transactions: what is not committed is gone.
    for _ in range(3):
        with uow_factory() as uow:
            uow.sites.add(Site("bj", "北京中心", "Asia/Shanghai", 2.0))
    with uow_factory() as uow:
        assert [s.site_id for s in uow.sites.list()] == ["sh"]
        driver = uow.session.connection().connection.driver_connection
        assert getattr(driver, "autocommit", False) is not True


def test_given_events_of_every_kind_when_stored_then_read_back_identical_in_order(
    database: Database,
) -> None:
    router = Router()
    router.define_queue(
        QueueSpec("vip", Channel.VOICE, {"vip": 5}, overflow=(OverflowStep(30.0, {}),)), 0.1
    )
    router.define_queue(QueueSpec("chat", Channel.CHAT), 0.1)
    router.define_agent(AgentSpec("a1", {"vip": 6}, name="张敏", site_id="sh"), 0.2)
    router.set_presence("a1", "ready", 0.3)
    router.enqueue(ContactSpec("c1", "vip", attributes={"姓名": "王芳", "topic": "账单"}), 1.0)
    offer = router.contact("c1")["offer_id"]
    router.accept(offer, 1.1 + 1e-9)
    router.hold("c1", 2.0)
    router.resume("c1", 2.5)
    router.enqueue(ContactSpec("c2", "chat"), 3.0)
    router.complete("c1", 4.0, "resolved 已解决")
    router.abandon("c2", 4.25)
    events = router.drain()
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    with uow_factory() as uow:
        first = uow.events.append(events[:4])
        rest = uow.events.append(events[4:])
        uow.commit()
    seqs = first + rest
    assert seqs == sorted(seqs) and len(set(seqs)) == len(events)
    with uow_factory() as uow:
        stored = list(uow.events.read())
        assert uow.events.count() == len(events)
        assert [s.event for s in uow.events.read(after_seq=seqs[3])] == events[4:]
    assert [s.seq for s in stored] == seqs
    assert [s.event for s in stored] == events
    assert ev.events_to_jsonl(s.event for s in stored) == ev.events_to_jsonl(events)


def test_given_a_batch_larger_than_one_insert_page_when_appended_then_seqs_follow_its_order(
    database: Database,
) -> None:
    router = Router()
    router.define_queue(QueueSpec("chat", Channel.CHAT), 0.1)
    for i in range(1200):  # more rows than one multi-row INSERT takes (1,000)
        router.enqueue(ContactSpec(f"c{i}", "chat", attributes={"n": str(i)}), 1.0 + i / 1000)
    events = router.drain()
    sent: list[str] = []

    def count(*args: object) -> None:
        sent.append(str(args[2]))

    uow_factory = SqlUnitOfWorkFactory(database.engine)
    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with uow_factory() as uow:
            seqs = uow.events.append(events)
            uow.commit()
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    inserts = [sql for sql in sent if sql.startswith("INSERT INTO events")]
    assert len(inserts) <= 2  # not one per event
    with uow_factory() as uow:
        stored = list(uow.events.read())
    assert [s.seq for s in stored] == seqs
    assert [s.event for s in stored] == events


def test_given_queue_agent_interval_and_idempotency_rows_when_stored_then_read_back(
    database: Database,
) -> None:
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    spec = QueueSpec("billing", Channel.VOICE, {"billing": 3}, name="账单", site_id="bj")
    agent = AgentSpec("a1", {"billing": 4}, name="李强", site_id="bj")
    with uow_factory() as uow:
        uow.sites.add(Site("bj", "北京", "Asia/Shanghai", 0.0))
        uow.queues.upsert(QueueRow(spec, "bj", shared=True), 1.0)
        uow.agents.upsert(agent, 1.0)
        uow.intervals.open(StateInterval("a1", "bj", "ready", "ready", None, 10.0))
        uow.idempotency.add(IdempotencyRecord("key-1", "h", "c1", {"contact_id": "c1"}, 5.0))
        uow.commit()
    with uow_factory() as uow:
        uow.queues.upsert(QueueRow(spec, "bj", shared=False), 2.0)
        uow.intervals.close("a1", 12.5)
        uow.intervals.open(StateInterval("a1", "bj", "ready", "busy", None, 12.5))
        uow.commit()
    with uow_factory() as uow:
        assert uow.queues.list() == [QueueRow(spec, "bj", shared=False)]
        assert uow.agents.list() == [agent]
        assert [(i.activity, i.start_at, i.end_at) for i in uow.intervals.for_agent("a1")] == [
            ("ready", 10.0, 12.5),
            ("busy", 12.5, None),
        ]
        assert [i.activity for i in uow.intervals.open_intervals()] == ["busy"]
        found = uow.idempotency.get("key-1")
        assert found is not None and found.contact_id == "c1"
        assert uow.idempotency.get("other") is None


def test_given_an_unknown_site_when_an_agent_row_is_stored_then_the_foreign_key_refuses(
    database: Database,
) -> None:
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    with uow_factory() as uow, pytest.raises(IntegrityError):
        uow.agents.upsert(AgentSpec("a1", site_id="nowhere"), 1.0)
        uow.commit()


def test_given_a_running_center_when_the_engine_restarts_then_state_and_intervals_return(
    database: Database,
) -> None:
    async def scenario() -> None:
        clock = ManualClock(1_000.0)
        uow_factory = SqlUnitOfWorkFactory(database.engine)
        engine = routing_engine(uow_factory, clock)
        await engine.start()
        await engine.execute(c.CreateSite("gz", "广州中心"))
        await engine.execute(c.DefineQueue(QueueSpec("q", Channel.CHAT), "gz", shared=True))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="gz", name="王磊")))
        await engine.execute(c.SetAgentState("a1", "ready"))
        ids = []
        for i in range(5):
            clock.advance(1.0)
            made = await engine.execute(c.CreateContact("q", attributes={"n": f"客户{i}"}))
            ids.append(made["contact_id"])
        first = await engine.query(views.get_contact, ids[0])
        clock.advance(1.0)
        await engine.execute(c.AcceptOffer(ids[0], first["offer_id"], "a1"))
        before = await engine.query(views.list_contacts, None, None, None, 50, 0)
        agent_before = await engine.query(views.get_agent, "a1")

        again = routing_engine(uow_factory, clock)
        await again.start()
        after = await again.query(views.list_contacts, None, None, None, 50, 0)
        assert after.items == before.items and after.total == 5
        assert await again.query(views.get_agent, "a1") == agent_before
        assert again.queue_rows["q"].shared and again.sites["gz"].name == "广州中心"
        with uow_factory() as uow:
            intervals = uow.intervals.for_agent("a1")
            assert [i.end_at is None for i in intervals].count(True) == 1
            assert intervals[-1].activity == "busy"

    asyncio.run(scenario())


@pytest.mark.postgres
def test_given_an_idle_pooled_connection_closed_by_the_server_then_the_next_use_reconnects(
    postgres_schema: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    from kefu.adapters.storage import database

    url, schema = postgres_schema
    engine = make_engine(url, schema=schema)
    admin = create_engine(url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.begin() as connection:  # the server (or a proxy) drops the idle one
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(database, "IDLE_PING_S", 0.0)
        with engine.connect() as connection:
            again = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert again != pid
    finally:
        engine.dispose()
        admin.dispose()


ACTIVITIES = ("ready", "busy", "wrapup", "not_ready")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(("a1", "a2", "a3")), st.sampled_from(ACTIVITIES)), max_size=8
        ),
        min_size=1,
        max_size=4,
    )
)
def test_given_batches_of_interval_switches_then_the_store_holds_what_close_then_open_makes(
    database: Database, batches: list[list[tuple[str, str]]]
) -> None:
    """``switch`` (one UPDATE, one INSERT per batch) against the in-memory store's
    close-then-open, batch after batch, on the same agents."""
    import uuid

    from kefu.testing import InMemoryUnitOfWorkFactory

    run = uuid.uuid4().hex[:8]  # agents of their own: the database outlives one example
    agents = {name: f"{name}-{run}" for name in ("a1", "a2", "a3")}
    sql = SqlUnitOfWorkFactory(database.engine)
    memory = InMemoryUnitOfWorkFactory()
    with sql() as uow:
        if not uow.sites.list():
            uow.sites.add(Site("bj", "北京", "Asia/Shanghai", 0.0))
        for agent_id in agents.values():
            uow.agents.upsert(AgentSpec(agent_id, site_id="bj"), 0.0)
        uow.commit()
    at = 0.0
    for batch in batches:
        opened = []
        for agent_id, activity in batch:
            at += 1.5
            opened.append(StateInterval(agents[agent_id], "bj", "ready", activity, None, at))
        for factory in (sql, memory):
            with factory() as uow:
                uow.intervals.switch(opened)
                uow.commit()
    for agent_id in agents.values():
        with sql() as s, memory() as m:
            assert s.intervals.for_agent(agent_id) == m.intervals.for_agent(agent_id)
