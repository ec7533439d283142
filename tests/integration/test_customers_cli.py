"""``kefu customers import-products`` on a migrated SQLite file: a file with bad rows is
refused with each row's line number (exit 2) and stores nothing; a good file is stored in
one go, new customers made for identifiers nobody holds, and importing it again changes
nothing; the server started afterwards shows the products."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.adapters.clock import SystemClock
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.bootstrap import channel_wing, routing_engine
from kefu.cli import app
from kefu.domain.customers import Identifier, IdentifierKind

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
