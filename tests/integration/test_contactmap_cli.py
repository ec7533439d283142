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


def test_given_ivr_sessions_and_department_waits_when_contactmap_run_then_shown_and_exported(
    tmp_path: Path,
) -> None:
    from kefu.adapters.storage.uow import SqlUnitOfWorkFactory
    from kefu.domain.cases import events as cev
    from kefu.domain.ivr import events as iev
    from kefu.service.channels.ports import ChannelRecord

    url = _database(tmp_path)
    engine = make_engine(url)
    task = ev.ContactQueued(
        DAY, "task1", "voice", "workitem", 0, 0, "王芳", {"case_id": "C1", "sla_due": "3600"},
        None, 1,
    )  # fmt: skip
    # Through a unit of work, as the server stores them (its commit writes the records).
    with SqlUnitOfWorkFactory(engine)() as uow:
        uow.events.append([task])
        found = [
            ("ivr", "opened", "conv1", {"channel": "voice", "metadata": {}, "topic": None}),
            ("ivr", "FlowStarted", "conv1", iev.ivr_event_to_dict(
                iev.FlowStarted(10.0, "conv1", "main", 1, "zh", {}, None, None, None, None))),
            ("ivr", "Ended", "conv1", iev.ivr_event_to_dict(iev.Ended(20.0, "conv1", "bye"))),
            ("case", "CaseOpened", "C1", cev.case_event_to_dict(cev.CaseOpened(
                30.0, "C1", "fault", "王芳", "s1", "卡", 0, 0, {}, None, None, "a1"))),
            ("case", "CaseLinked", "C1", cev.case_event_to_dict(
                cev.CaseLinked(DAY, "C1", "work_item", "task1", "workitem", "a1"))),
            ("case", "CaseStateChanged", "C1", cev.case_event_to_dict(cev.CaseStateChanged(
                40.0, "C1", "open", "waiting_on_department", "", "a1", "法务", None, None))),
        ]  # fmt: skip
        uow.channels.append(
            [
                ChannelRecord(seq, data.get("at", 10.0), stream, kind, subject, data)
                for seq, (stream, kind, subject, data) in enumerate(found, start=1)
            ]
        )
        uow.commit()
    engine.dispose()
    out = tmp_path / "map.csv"
    result = CliRunner().invoke(
        app, ["contactmap", "--database-url", url, "--until", str(10 * DAY), "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "ended in the IVR 在 IVR 内结束 1 · department waits 部门等待 1" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    edges = {(r["source"], r["target"]) for r in rows if r["section"] == "edge"}
    assert {("ivr:main", "outcome:ivr_contained"), ("agent:a1", "department:法务")} <= edges
    late = [r for r in rows if r["section"] == "blind_spot" and r["contact_id"] == "C1"]
    assert [(r["target"], r["detail"]) for r in late] == [
        ("department:法务", "department_past_sla")
    ]
