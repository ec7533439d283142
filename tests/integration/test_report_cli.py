"""``kefu report`` and the report reader on stored events (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from db_helpers import Database
from openpyxl import load_workbook
from rich.cells import cell_len
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.adapters.storage.report_reader import read_events
from kefu.adapters.storage.repositories import SqlAgents, SqlEventLog, SqlQueues, SqlSites
from kefu.analytics.history import HistoryBuilder, history_report
from kefu.cli import app
from kefu.domain.events import Event
from kefu.domain.model import AgentSpec, ContactSpec, QueueSpec
from kefu.domain.routing import Router, RouterConfig
from kefu.service.ports import QueueRow, Site

DAY0 = 1767542400.0  # 2026-01-05 00:00 Asia/Shanghai
HOUR = 3600.0


def _log() -> tuple[list[Event], list[QueueSpec], list[AgentSpec]]:
    """Half a morning in Shanghai: agents log in at 07:00, contacts from 08:00."""
    queues = [
        QueueSpec("贷款", site_id="sh", sl_threshold_s=20.0, wrapup_s=30.0),
        QueueSpec("cards", site_id="sh", sl_threshold_s=20.0),
    ]
    agents = [AgentSpec("王芳", site_id="sh"), AgentSpec("a2", site_id="sh")]
    r = Router(RouterConfig(offer_timeout_s=30.0))
    t = DAY0 + 7 * HOUR
    for q in queues:
        r.define_queue(q, t)
    for a in agents:
        r.define_agent(a, t)
        r.set_presence(a.agent_id, "ready", t)
    for i in range(12):
        t = DAY0 + 8 * HOUR + i * 600.0
        cid = f"c{i}"
        r.enqueue(ContactSpec(cid, queues[i % 2].queue_id, customer_id=f"客户{i}"), t)
        if i % 4 == 3:
            r.abandon(cid, t + 2)  # short abandon... unless already offered
            continue
        r.accept(r.contact(cid)["offer_id"], t + 5)
        r.hold(cid, t + 60)
        r.resume(cid, t + 90)
        r.complete(cid, t + 200, disposition="已解决")
        r.advance(t + 300)
    return r.drain(), queues, agents


def _store(
    engine: object, events: list[Event], queues: list[QueueSpec], agents: list[AgentSpec]
) -> None:
    with Session(engine) as session:  # type: ignore[call-overload]
        SqlSites(session).add(Site("sh", "上海", "Asia/Shanghai", DAY0))
        session.flush()
        for q in queues:
            SqlQueues(session).upsert(QueueRow(q, "sh"), DAY0)
        for a in agents:
            SqlAgents(session).upsert(a, DAY0)
        SqlEventLog(session).append(events)
        session.commit()


def test_given_a_stored_log_when_read_back_then_the_report_equals_the_in_memory_one(
    database: Database,
) -> None:
    events, queues, agents = _log()
    _store(database.engine, events, queues, agents)
    since, until = DAY0 + 8 * HOUR, DAY0 + 10 * HOUR
    builder = HistoryBuilder(since, until, timezone="Asia/Shanghai", group_by=["queue"])
    for batch in read_events(database.engine, since - 2 * HOUR, batch=7):
        builder.consume_all(batch)
    got = builder.result()
    expected = history_report(events, since, until, timezone="Asia/Shanghai", group_by=["queue"])
    assert got.to_dict() == expected.to_dict()
    assert got.total.contacts.offered == 12


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = sqlite_url(str(tmp_path / "kefu.sqlite3"))
    engine = make_engine(url)
    upgrade(engine)
    _store(engine, *_log())
    engine.dispose()
    return url


def _run(*args: str, columns: int = 200) -> object:
    return CliRunner().invoke(app, ["report", *args], env={"COLUMNS": str(columns)})


def test_given_the_table_format_when_printed_then_it_fits_80_columns(db_url: str) -> None:
    result = _run(
        "--database-url", db_url, "--since", "2026-01-05T08:00", "--until", "2026-01-05T10:00",
        "--by", "interval:60", "--group", "queue", columns=80,
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = result.output.splitlines()  # type: ignore[attr-defined]
    assert max(cell_len(line) for line in lines) <= 80
    assert any("贷款" in line for line in lines)
    assert "Asia/Shanghai" in lines[0]  # the site's zone is the default


def test_given_csv_with_contacts_when_exported_then_bom_chinese_and_rows_round_trip(
    db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "contacts.csv"
    result = _run(
        "--database-url", db_url, "--since", "2026-01-05", "--until", "2026-01-06",
        "--format", "csv", "--contacts", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 12
    first = rows[0]
    assert (first["contact_id"], first["queue_id"], first["customer_id"]) == ("c0", "贷款", "客户0")
    assert first["queued_at"] == "2026-01-05T08:00:00+08:00"
    assert (float(first["wait_s"]), float(first["hold_s"]), float(first["talk_s"])) == (5, 30, 165)
    assert float(first["wrapup_s"]) == 30.0
    assert (first["agent_id"], first["outcome"], first["disposition"]) in {
        ("王芳", "answered", "已解决"),
        ("a2", "answered", "已解决"),
    }
    assert sum(r["outcome"] == "abandoned" for r in rows) == 3


def test_given_xlsx_when_exported_then_sheets_read_back_with_the_same_figures(
    db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    args = ["--database-url", db_url, "--since", "2026-01-05", "--until", "2026-01-06"]
    result = _run(*args, "--by", "interval:60", "--group", "queue", "--format", "xlsx",
                  "--out", str(out), "--contacts")  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["intervals", "totals", "contacts"]
    rows = list(book["intervals"].iter_rows(values_only=True))
    header = rows[0]
    offered = header.index("offered")
    assert sum(r[offered] for r in rows[1:]) == 12
    assert {r[header.index("queue")] for r in rows[1:]} == {"贷款", "cards"}
    contacts = list(book["contacts"].iter_rows(values_only=True))
    assert len(contacts) == 13
    as_json = _run(*args, "--group", "queue", "--format", "json")
    data = json.loads(as_json.output)  # type: ignore[attr-defined]
    assert data["total"]["offered"] == 12
    assert data["timezone"] == "Asia/Shanghai"
    assert data["sl_variant"].startswith("SL(T)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday", "--until", "2026-01-06"], "not a date"),
        (["--since", "2026-01-06", "--until", "2026-01-05"], "must be after"),
        (["--since", "2026-01-05", "--until", "2026-01-06", "--by", "interval:20"], "interval"),
        (["--since", "2026-01-05", "--until", "2026-01-06", "--group", "team"], "team"),
        (["--since", "2026-01-05", "--until", "2026-01-06", "--tz", "Mars/Base"], "time zone"),
        (["--since", "2026-01-05", "--until", "2026-01-06", "--format", "xlsx"], "--out"),
    ],
)
def test_given_bad_input_when_reporting_then_exit_2_with_a_clear_message(
    db_url: str, args: list[str], message: str
) -> None:
    result = _run("--database-url", db_url, *args)
    assert result.exit_code == 2
    assert message in result.output  # type: ignore[attr-defined]


def test_given_a_missing_sqlite_file_when_reporting_then_exit_2_and_no_file_made(
    tmp_path: Path,
) -> None:
    path = tmp_path / "typo.sqlite3"
    result = _run("--database-url", sqlite_url(str(path)), "--since", "2026-01-05",
                  "--until", "2026-01-06")  # fmt: skip
    assert result.exit_code == 2
    assert "no SQLite database" in result.output  # type: ignore[attr-defined]
    assert not path.exists()
