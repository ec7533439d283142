"""``kefu customers import-products`` on a migrated SQLite file: a file with bad rows is
refused with each row's line number (exit 2) and stores nothing; a good file is stored in
one go, new customers made for identifiers nobody holds, and importing it again changes
nothing; the server started afterwards shows the products. ``kefu customers
predict-backtest`` scores the likely-reason rules and classifier on a stored log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.adapters.clock import SystemClock
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.bootstrap import Simulation, build_test, channel_wing, routing_engine
from kefu.cli import app
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind, Product
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import Inbound, RecordProductEvent, RecordProducts
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler

HEADER = "customer,number,kind,opened,status,balance\n"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "customers.sqlite3"
    monkeypatch.setenv("KEFU_DB_PATH", str(path))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    engine = make_engine(sqlite_url(str(path)))
    upgrade(engine)
    engine.dispose()
    return path


def _records(path: Path) -> list[tuple[str, str]]:
    engine = make_engine(sqlite_url(str(path)))
    try:
        with SqlUnitOfWorkFactory(engine)() as uow:
            return [(r.stream, r.kind) for r in uow.channels.read()]
    finally:
        engine.dispose()


def _products(path: Path, phone: str) -> list[str]:
    async def look() -> list[str]:
        engine = make_engine(sqlite_url(str(path)))
        routing = routing_engine(SqlUnitOfWorkFactory(engine), SystemClock())
        channels = channel_wing(routing)
        await routing.start()
        try:
            directory = channels.state.directory
            found = directory.find(Identifier(IdentifierKind.PHONE, phone))
            assert found is not None
            return [p.masked for p in directory.profiles.products(found.customer_id)]
        finally:
            await routing.stop()
            engine.dispose()

    return asyncio.run(look())


def test_given_bad_rows_then_each_is_named_by_line_and_nothing_is_stored(
    db: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(
        HEADER
        + "phone:13800138000,6222 0212 3456 7890,card,2021-03-04,active,12.5\n"
        + "phone:13900139000,LN-0001-2222,loan,2020-13-01,,\n"
        + "cus-404,MG-0000-1111,mortgage,,,\n",
        encoding="utf-8",
    )
    done = CliRunner().invoke(app, ["customers", "import-products", str(csv)])
    assert done.exit_code == 2, done.output
    assert f"{csv}:3: opened" in done.output and "nothing imported" in done.output
    assert _records(db) == []
    csv.write_text(HEADER + "cus-404,MG-0000-1111,mortgage,,,\n", encoding="utf-8")
    unknown = CliRunner().invoke(app, ["customers", "import-products", str(csv)])
    assert unknown.exit_code == 2 and "2: unknown customer" in unknown.output, unknown.output
    assert [kind for stream, kind in _records(db) if stream == "customer"] == []


def test_given_a_good_file_then_all_products_are_stored_once(db: Path, tmp_path: Path) -> None:
    csv = tmp_path / "good.csv"
    csv.write_text(
        HEADER
        + "phone:13800138000,6222 0212 3456 7890,card,2021-03-04,active,12.5\n"
        + "phone:13800138000,LN-0001-2222,loan,2020-12-01,overdue,\n"
        + "phone:13900139000,6222000011113333,card,,blocked,\n",
        encoding="utf-8",
    )
    first = CliRunner().invoke(app, ["customers", "import-products", str(csv)])
    assert first.exit_code == 0, first.output
    assert "3 rows read, 3 products new or changed" in first.output
    again = CliRunner().invoke(app, ["customers", "import-products", str(csv)])
    assert "0 products new or changed" in again.output
    assert _products(db, "13800138000") == ["•••• 7890", "•••• 2222"]
    kinds = [kind for stream, kind in _records(db) if stream == "customer"]
    assert kinds.count("ProductRecorded") == 3 and kinds.count("CustomerCreated") == 2


def test_given_stored_dispositions_then_the_backtest_reports_rules_and_classifier(
    db: Path,
) -> None:
    """Customers whose card payment failed come back about it (the rules' word); the
    others, after a bill, about ``bill_query`` (not the rules' ``billing``): the stored log
    is read back and both models are scored on its later contacts."""

    async def center() -> None:
        engine = make_engine(sqlite_url(str(db)))
        clock = ManualClock(1_780_000_000.0)
        platform = build_test(
            Settings(env="test"), clock=clock, uow_factory=SqlUnitOfWorkFactory(engine)
        )
        assert isinstance(platform.scheduler, ManualScheduler)
        async with Simulation(platform, clock, platform.scheduler) as sim:
            e = sim.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=60), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh", capacity={Channel.SMS: 9})))
            await e(c.SetAgentState("a1", "ready"))
            sim.channels.set_gateway(Channel.SMS, Outbox())
            for n in range(48):
                phone = Identifier(IdentifierKind.PHONE, f"1390000{n:04d}")
                first = await _handled(sim, phone, "other", f"{n}a")
                number = f"62220000{n:08d}"
                card = Product.checked(first, number, "card")
                await e(RecordProducts((card,), "bank"))
                event = "payment_failed" if n % 2 else "bill_issued"
                await e(RecordProductEvent(first, number, event, "bank"))
                clock.advance(600)
                await _handled(sim, phone, "payment_failed" if n % 2 else "bill_query", f"{n}b")
        engine.dispose()

    asyncio.run(center())
    done = CliRunner().invoke(app, ["customers", "predict-backtest", "--json"])
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    assert (found["trained"], found["tested"]) == (67, 29)
    assert found["classifier_accuracy"] > found["rules_accuracy"]
    assert found["mode"] in ("classifier", "hybrid")
    table = CliRunner().invoke(app, ["customers", "predict-backtest"])
    assert table.exit_code == 0 and "kept:" in table.output


class Outbox:
    def __init__(self) -> None:
        self.n = 0

    def new_external_id(self) -> str:
        self.n += 1
        return f"out-{self.n}"

    async def send(self, reply: object) -> None:
        del reply


async def _handled(sim: Simulation, phone: Identifier, disposition: str, key: str) -> str:
    """An SMS from ``phone``, taken by a1 and wrapped up; the customer's id."""
    sim.clock.advance(60)
    inbound = Inbound(Channel.SMS, (phone,), "你好", sim.clock.now(), f"in-{key}")
    receipt = await sim.channels.receive(inbound)
    contact = sim.engine.router.contacts[receipt.contact_id]
    assert contact.offer_id is not None
    await sim.engine.execute(c.AcceptOffer(contact.contact_id, contact.offer_id, "a1"))
    await sim.channels.wrap_up("a1", receipt.conversation_id, disposition)
    await sim.settle()
    return receipt.customer_id
