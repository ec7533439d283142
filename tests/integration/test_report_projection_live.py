"""The report projection written by the store writer, in the transaction of the events, and
taken up again after a restart and a rebuild (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from db_helpers import Database
from sqlalchemy import func, select

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.report_projection import projected_report, rebuild
from kefu.adapters.storage.report_reader import read_events
from kefu.adapters.storage.tables import ContactVisitRow, EventRow
from kefu.analytics.history import HistoryBuilder
from kefu.bootstrap import routing_engine
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.routing import commands as c
from kefu.service.routing import views
from kefu.testing import ManualClock


def _figures(report: object) -> dict[str, object]:
    data = dict(report.to_dict())  # type: ignore[attr-defined]
    data.pop("as_of")  # the projection's is its mark, the events' their last one
    return data


def test_given_a_running_engine_when_contacts_end_then_their_visits_are_stored_with_them(
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
