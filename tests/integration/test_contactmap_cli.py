"""``kefu contactmap`` on a SQLite file written through the storage adapter."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kefu.adapters.storage import make_engine, upgrade
from kefu.adapters.storage.repositories import SqlEventLog
from kefu.cli import app
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router

DAY = 86_400.0


def _router_log() -> list[ev.Event]:
    """王芳 calls about her bill, then chats about it two days later; 李雷 hangs up waiting."""
    r = Router()
    r.define_queue(QueueSpec("voice", Channel.VOICE), 0.0)
    r.define_queue(QueueSpec("chat", Channel.CHAT), 0.0)
    r.define_agent(AgentSpec("a1"), 0.0)
    r.set_presence("a1", "ready", 0.0)
    for n, (queue, at) in enumerate((("voice", 0.0), ("chat", 2 * DAY)), start=1):
        r.enqueue(ContactSpec(f"k{n}", queue, customer_id="王芳", attributes={"topic": "账单"}), at)
        offer = next(e for e in reversed(r.log) if isinstance(e, ev.OfferCreated))
        r.accept(offer.offer_id, at + 5)
        if n == 1:
            r.enqueue(ContactSpec("k3", "voice", customer_id="李雷"), at + 10)
            r.abandon("k3", at + 40)
        r.complete(f"k{n}", at + 60)
    return list(r.log)


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'map.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        SqlEventLog(session).append(_router_log())
        session.commit()
    engine.dispose()
    return url


def test_given_stored_events_when_contactmap_run_then_marks_and_csv(tmp_path: Path) -> None:
    url = _database(tmp_path)
    out = tmp_path / "map.csv"
    result = CliRunner().invoke(
        app, ["contactmap", "--database-url", url, "--until", str(10 * DAY), "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 contacts" in result.output and "FCR 首次解决率 50.0%" in result.output
    assert "broken hand-off" in result.output and "blind spot" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {(r["section"], r["contact_id"]) for r in rows if r["section"] != "edge"} >= {
        ("broken_handoff", "k1"),
        ("blind_spot", "k3"),
    }


def test_given_bad_since_when_contactmap_run_then_clear_message(tmp_path: Path) -> None:
    url = _database(tmp_path)
    result = CliRunner().invoke(app, ["contactmap", "--database-url", url, "--since", "yesterday"])
    assert result.exit_code == 2 and "ISO" in result.output


def test_given_database_without_schema_when_contactmap_run_then_database_error(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(app, ["contactmap", "--database-url", url])
    assert result.exit_code == 1 and "Database error" in result.output
