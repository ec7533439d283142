"""The report projection written by the store writer a moment after the events, and taken
up again after a restart, a rebuild and a crash between the events' commit and the rows'
(SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace

import pytest
from db_helpers import Database
from sqlalchemy import event, func, select

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.report_projection import covers, projected_report, rebuild
from kefu.adapters.storage.report_reader import read_events
from kefu.adapters.storage.tables import ContactVisitRow, EventRow
from kefu.analytics.history import HistoryBuilder
from kefu.analytics.visits import Visit
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service import writer
from kefu.service.ports import ReportMark
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.testing import ManualClock


def _figures(report: object) -> dict[str, object]:
    data = dict(report.to_dict())  # type: ignore[attr-defined]
    data.pop("as_of")  # the projection's is its mark, the events' their last one
    return data


def test_given_a_running_engine_when_contacts_end_then_their_visits_are_stored_once_settled(
    database: Database,
) -> None:
    async def scenario() -> None:
        clock = ManualClock(1_000.0)
        uow_factory = SqlUnitOfWorkFactory(database.engine)
        config = RouterConfig(offer_timeout_s=10_000.0)
        engine = routing_engine(uow_factory, clock, config=config)
        await engine.start()
        await engine.execute(c.CreateSite("gz", "广州中心", "UTC"))
        await engine.execute(
            c.DefineQueue(QueueSpec("after-sales", Channel.VOICE, site_id="gz", wrapup_s=0.0), "gz")
        )
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="gz", name="王磊")))
        await engine.execute(c.SetAgentState("a1", "ready"))
        ids = []
        clock.advance(400.0)  # 1400
        ids.append((await engine.execute(c.CreateContact("after-sales")))["contact_id"])
        first = await engine.query(views.get_contact, ids[0])
        clock.advance(5.0)
        await engine.execute(c.AcceptOffer(ids[0], first["offer_id"], "a1"))
        clock.advance(400.0)  # 1805: the agent is busy, this one waits, then leaves
        ids.append((await engine.execute(c.CreateContact("after-sales")))["contact_id"])
        clock.advance(1.0)
        await engine.execute(c.AbandonContact(ids[1]))
        clock.advance(400.0)  # 2206: waits, offered once the first one ends
        ids.append((await engine.execute(c.CreateContact("after-sales")))["contact_id"])
        clock.advance(100.0)
        await engine.execute(c.CompleteContact(ids[0], "已解决"))
        await engine.settle_reports()  # the rows are stored a moment after the events
        with uow_factory() as uow:
            mark = uow.reports.mark()
        with database.engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(ContactVisitRow))
            last = connection.scalar(select(func.max(EventRow.seq)))
        assert stored == 2  # the answered one and the abandoned one; the third still open
        assert mark is not None and mark.seq == last
        assert mark.complete_until == 1_800.0  # the last whole slot: the third is later
        await engine.stop()

        # A rebuild writes the open contact as it stands; a restart replaces it.
        rebuild(database.engine)
        again = routing_engine(uow_factory, clock, config=config)
        await again.start()
        third = await again.query(views.get_contact, ids[2])
        clock.advance(2.0)
        await again.execute(c.AcceptOffer(ids[2], third["offer_id"], "a1"))
        clock.advance(60.0)
        await again.execute(c.CompleteContact(ids[2], None))
        clock.advance(1_800.0)
        await again.execute(c.SetAgentState("a1", "offline"))
        await again.stop()
        with uow_factory() as uow:
            mark = uow.reports.mark()
        with database.engine.connect() as connection:
            rows = connection.execute(
                select(ContactVisitRow.contact_id, ContactVisitRow.outcome)
            ).all()
        assert sorted(rows) == sorted(
            [(ids[0], "answered"), (ids[1], "abandoned"), (ids[2], "answered")]
        )
        assert mark is not None and mark.complete_until is not None
        until = mark.complete_until
        got = projected_report(database.engine, 0.0, until, period="interval:15")
        builder = HistoryBuilder(0.0, until, period="interval:15")
        for batch in read_events(database.engine, 0.0):
            builder.consume_all(batch)
        assert _figures(got) == _figures(builder.result())
        assert got.total.contacts.offered == 3
        assert got.total.agents is not None and got.total.agents.handling_s == 961.0

    asyncio.run(scenario())


def test_given_batches_that_end_no_visit_when_stored_then_the_mark_stays_and_a_restart_counts_once(
    database: Database,
) -> None:
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        statements.append(sql)

    async def scenario() -> None:
        clock = ManualClock(1_000.0)
        uow_factory = SqlUnitOfWorkFactory(database.engine)
        config = RouterConfig(offer_timeout_s=10_000.0)
        engine = routing_engine(uow_factory, clock, config=config)
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海中心", "UTC"))
        await engine.execute(
            c.DefineQueue(
                QueueSpec("after-sales", Channel.CHAT, site_id="sh", name="售后", wrapup_s=0.0),
                "sh",
            )
        )
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="李娜")))
        await engine.execute(c.SetAgentState("a1", "ready"))
        clock.advance(10.0)
        first = (await engine.execute(c.CreateContact("after-sales")))["contact_id"]
        offer = (await engine.query(views.get_contact, first))["offer_id"]
        clock.advance(5.0)
        await engine.execute(c.AcceptOffer(first, offer, "a1"))
        clock.advance(30.0)
        await engine.execute(c.CompleteContact(first, "已解决"))
        await engine.settle_reports()
        with uow_factory() as uow:
            ended = uow.reports.mark()
        assert ended is not None
        # A contact created and accepted ends no visit and finishes no slot: no mark.
        event.listen(database.engine, "before_cursor_execute", seen)
        try:
            clock.advance(10.0)
            second = (await engine.execute(c.CreateContact("after-sales")))["contact_id"]
            offer = (await engine.query(views.get_contact, second))["offer_id"]
            clock.advance(5.0)
            await engine.execute(c.AcceptOffer(second, offer, "a1"))
        finally:
            event.remove(database.engine, "before_cursor_execute", seen)
        assert not [s for s in statements if "projection_marks" in s]
        with uow_factory() as uow:
            assert uow.reports.mark() == ended
        with database.engine.connect() as connection:
            last = connection.scalar(select(func.max(EventRow.seq)))
        assert last is not None and ended.seq < last
        assert ended.complete_until is not None
        # The events past the mark came after what it says is complete.
        assert covers(database.engine, ended.complete_until)
        assert not covers(database.engine, ended.complete_until + 1.0)
        await engine.stop()

        # A restart folds the events past the mark again: the first visit is not stored
        # twice, and the second one is stored once it ends.
        again = routing_engine(uow_factory, clock, config=config)
        await again.start()
        clock.advance(20.0)
        await again.execute(c.CompleteContact(second, None))
        await again.stop()
        with database.engine.connect() as connection:
            rows = connection.execute(select(ContactVisitRow.contact_id)).all()
            last = connection.scalar(select(func.max(EventRow.seq)))
        assert sorted(r[0] for r in rows) == sorted([first, second])
        with uow_factory() as uow:
            moved = uow.reports.mark()
        assert moved is not None and moved.seq == last

    asyncio.run(scenario())


def test_given_a_visit_with_an_infinite_figure_when_stored_then_it_is_read_back_as_stored(
    database: Database,
) -> None:
    visit = Visit(
        contact_id="c-无穷",
        leg=1,
        queue_id="售后",
        site_id=None,
        channel="chat",
        value_tier=0,
        customer_id="客户-1",
        queued_at=100.0,
        predicted_wait_s=math.inf,
        sl_threshold_s=20.0,
        short_abandon_s=5.0,
        outcome="answered",
        wait_s=0.1,
        answered_at=100.1,
        agent_id="a1",
        ended_at=160.25,
        handled=True,
        talk_s=60.15,
        hold_s=0.0,
        wrapup_s=0.0,
        disposition="已解决",
        transferred_out=False,
        callback=False,
        overflowed=False,
    )
    finite = replace(visit, contact_id="c-有限", predicted_wait_s=None)
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    for seq, stored in enumerate((visit, finite), start=1):
        with uow_factory() as uow:
            uow.reports.add([stored], [], ReportMark(seq, 200.0, 0.0))
            uow.commit()
    with database.engine.connect() as connection:
        got = {r.contact_id: r for r in connection.execute(select(ContactVisitRow.__table__))}
    with uow_factory() as uow:
        mark = uow.reports.mark()
    assert got["c-无穷"].predicted_wait_s == math.inf
    assert got["c-有限"].predicted_wait_s is None
    assert got["c-有限"].talk_s == 60.15 and got["c-有限"].disposition == "已解决"
    assert mark == ReportMark(2, 200.0, 0.0)


def test_given_contacts_ending_when_their_batch_commits_then_their_rows_come_in_a_later_one(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        statements.append(sql)

    def rows() -> int:
        with database.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(ContactVisitRow)) or 0)

    monkeypatch.setattr(writer, "SETTLE_AFTER_S", 1e9)  # settled only when asked, at first
    monkeypatch.setattr(writer, "SETTLE_MAX_S", 1e9)

    async def scenario() -> None:
        clock = ManualClock(1_000.0)
        uow_factory = SqlUnitOfWorkFactory(database.engine)
        engine = routing_engine(uow_factory, clock, config=RouterConfig(offer_timeout_s=1e4))
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海中心", "UTC"))
        queue = QueueSpec("after-sales", Channel.CHAT, site_id="sh", wrapup_s=0.0)
        await engine.execute(c.DefineQueue(queue, "sh"))
        await engine.execute(c.DefineAgent(AgentSpec("a1", site_id="sh", name="李娜")))
        await engine.execute(c.SetAgentState("a1", "ready"))

        async def serve() -> None:
            contact = (await engine.execute(c.CreateContact("after-sales")))["contact_id"]
            offer = (await engine.query(views.get_contact, contact))["offer_id"]
            clock.advance(5.0)
            await engine.execute(c.AcceptOffer(contact, offer, "a1"))
            clock.advance(30.0)
            await engine.execute(c.CompleteContact(contact, "已解决"))

        # The batch that ends a visit commits its events only.
        event.listen(database.engine, "before_cursor_execute", seen)
        try:
            await serve()
        finally:
            event.remove(database.engine, "before_cursor_execute", seen)
        assert [s for s in statements if "events" in s]
        assert not [s for s in statements if "contact_visits" in s or "projection_marks" in s]
        assert rows() == 0 and engine.reports.unsettled()
        await engine.settle_reports()
        assert rows() == 1 and not engine.reports.unsettled()
        with uow_factory() as uow:
            mark = uow.reports.mark()
            last = max(s.seq for s in uow.events.read())
        assert mark is not None and mark.seq == last

        # A writer that never idles stores them with its next batch once they are old.
        monkeypatch.setattr(writer, "SETTLE_MAX_S", 0.0)
        await serve()
        assert rows() == 1 and engine.reports.unsettled()
        await engine.execute(c.SetAgentState("a1", "not_ready"))
        assert rows() == 2 and not engine.reports.unsettled()
        await engine.execute(c.SetAgentState("a1", "ready"))

        # An idle writer stores them by itself once they are due.
        monkeypatch.setattr(writer, "SETTLE_MAX_S", 1e9)
        monkeypatch.setattr(writer, "SETTLE_AFTER_S", 0.0)
        await serve()
        async with asyncio.timeout(10.0):
            while rows() < 3:
                await asyncio.sleep(0.01)
        assert not engine.reports.unsettled()
        await engine.stop()

    asyncio.run(scenario())
