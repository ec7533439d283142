"""The report page and its export show what ``kefu report`` prints on the same stored log
(SQLite and PostgreSQL): a hand-made morning of two queues in Shanghai."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_helpers import Database
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.report_projection import rebuild
from kefu.adapters.storage.report_source import ReportQuery, SqlReportSource
from kefu.adapters.storage.repositories import SqlAgents, SqlEventLog, SqlQueues, SqlSites
from kefu.bootstrap import build_test
from kefu.cli import app
from kefu.config import Settings
from kefu.domain.events import Event
from kefu.domain.model import AgentSpec, ContactSpec, QueueSpec
from kefu.domain.routing import Router, RouterConfig
from kefu.service.ports import QueueRow, Site
from kefu.testing import ManualClock
from kefu.web.report_export import export_bytes
from kefu.web.report_form import read_form

DAY0 = 1767542400.0  # 2026-01-05 00:00 Asia/Shanghai
HOUR = 3600.0
PASSWORD = "correct horse 正确"
RANGE = ("2026-01-05T08:00", "2026-01-05T10:00")


def _log() -> tuple[list[Event], list[QueueSpec], list[AgentSpec]]:
    """Agents ready at 07:00; from 08:00 a contact every 7 minutes, alternately to 贷款 and
    cards; every third abandons after 20 s, the others are answered after 4 s, held 20 s
    and completed after 180 s."""
    queues = [
        QueueSpec("贷款", site_id="sh", sl_threshold_s=20.0, wrapup_s=15.0),
        QueueSpec("cards", site_id="sh", sl_threshold_s=30.0),
    ]
    agents = [AgentSpec("王芳", site_id="sh"), AgentSpec("a2", site_id="sh")]
    r = Router(RouterConfig(offer_timeout_s=30.0))
    t = DAY0 + 7 * HOUR
    for q in queues:
        r.define_queue(q, t)
    for a in agents:
        r.define_agent(a, t)
        r.set_presence(a.agent_id, "ready", t)
    busy = {a.agent_id: True for a in agents}
    for a in agents:
        r.set_presence(a.agent_id, "not_ready", t + 1, reason="training")
        busy[a.agent_id] = False
    r.set_presence("王芳", "ready", DAY0 + 8 * HOUR - 60)
    for i in range(15):
        t = DAY0 + 8 * HOUR + i * 420.0
        cid = f"c{i}"
        r.enqueue(ContactSpec(cid, queues[i % 2].queue_id, customer_id=f"客户{i % 5}"), t)
        if i % 3 == 2:
            r.abandon(cid, t + 20)  # while offered, before the offer times out
            continue
        r.accept(r.contact(cid)["offer_id"], t + 4)
        r.hold(cid, t + 30)
        r.resume(cid, t + 50)
        r.complete(cid, t + 180, disposition="已解决")
        r.advance(t + 400)
    return r.drain(), queues, agents


@pytest.fixture
def pages(database: Database) -> Iterator[tuple[TestClient, Database]]:
    events, queues, agents = _log()
    with Session(database.engine) as session:
        SqlSites(session).add(Site("sh", "上海", "Asia/Shanghai", DAY0))
        session.flush()
        for q in queues:
            SqlQueues(session).upsert(QueueRow(q, "sh"), DAY0)
        for a in agents:
            SqlAgents(session).upsert(a, DAY0)
        SqlEventLog(session).append(events)
        session.commit()
    settings = Settings(
        env="test", password_time_cost=1, password_memory_kib=64, password_parallelism=1
    )
    platform = build_test(
        settings,
        clock=ManualClock(DAY0 + 30 * HOUR),
        uow_factory=SqlUnitOfWorkFactory(database.engine),
    )
    with TestClient(platform.app) as client:
        platform.security.users.create(username="boss", password=PASSWORD, role="admin")
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
        assert token
        done = client.post(
            "/login",
            data={"username": "boss", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        yield client, database


def _cli(database: Database, *args: str) -> str:
    env = {"KEFU_DATABASE_URL": database.url, "COLUMNS": "200"}
    if database.schema:
        env["KEFU_DATABASE_SCHEMA"] = database.schema
    result = CliRunner().invoke(app, ["report", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _shown(page: str, table: str) -> dict[str, dict[str, str]]:
    """The cells of a page table by its first cell, then by column."""
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    out = {}
    for line in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r'<td(?: class="label"| data-col="(\w+)")?[^>]*>(.*?)</td>', line, re.S)
        if not cells:
            continue
        label = re.sub(r"<[^>]+>", "", cells[0][1]).strip()
        out[label] = {col: re.sub(r"<[^>]+>", "", text).strip() for col, text in cells if col}
    return out


def test_given_a_stored_log_then_the_page_shows_the_figures_of_kefu_report(
    pages: tuple[TestClient, Database],
) -> None:
    client, database = pages
    since, until = RANGE
    page = client.get(f"/reports?since={since}&until={until}&period=interval:60&group=queue")
    assert page.status_code == 200, page.text
    args = ["--since", since, "--until", until, "--by", "interval:60", "--group", "queue"]
    printed = json.loads(_cli(database, *args, "--format", "json", "--source", "events"))
    shown = _shown(page.text, "groups")
    assert set(shown) == {"贷款", "cards", "Total"}
    kinds = {"service_level": "ratio", "asa_s": "s", "aht_s": "s", "talk_s": "s",
             "hold_s": "s", "wrapup_s": "s", "occupancy": "ratio"}  # fmt: skip
    for group in printed["groups"]:
        cells = shown[group["group"][0]]
        for column in ("offered", "answered", "abandoned", "short_abandons", "transferred_out"):
            assert cells[column] == str(group[column]), (group["group"], column)
        for column, kind in kinds.items():
            value = group[column]
            if value is None:
                assert cells[column] == "–"
            elif kind == "ratio":
                assert cells[column] == f"{100 * value:.1f} %", column
            else:
                assert cells[column] == f"{value:.1f}", column
    assert shown["Total"]["offered"] == str(printed["total"]["offered"]) == "15"
    assert shown["Total"]["occupancy"] == f"{100 * printed['total']['occupancy']:.1f} %"


def test_given_a_stored_log_then_the_csv_exports_are_the_bytes_kefu_report_writes(
    pages: tuple[TestClient, Database], tmp_path: Path
) -> None:
    client, database = pages
    since, until = RANGE
    for rows, flags in (("intervals", ()), ("contacts", ("--contacts",))):
        out = tmp_path / f"{rows}.csv"
        _cli(database, "--since", since, "--until", until, "--by", "interval:30",
             "--group", "queue,agent", "--format", "csv", "--out", str(out), *flags)  # fmt: skip
        query = f"since={since}&until={until}&period=interval:30&group=queue&group=agent"
        got = client.get(f"/reports/export?{query}&format=csv&rows={rows}")
        assert got.status_code == 200
        assert got.content == out.read_bytes(), rows


def _sheets(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_given_the_projection_built_when_exported_then_the_fast_path_gives_the_old_output(
    pages: tuple[TestClient, Database],
) -> None:
    client, database = pages
    rebuild(database.engine)
    since, until = RANGE
    source = SqlReportSource(database.engine)
    params = {"since": [since], "until": [until], "period": ["interval:30"],
              "group": ["queue", "agent"]}  # fmt: skip
    form = read_form(params, now=DAY0 + 30 * HOUR, timezone="Asia/Shanghai")
    query = ReportQuery(form.since, form.until, period=form.period, timezone=form.timezone,
                        group_by=form.group_by)  # fmt: skip
    cells = source.contact_cells(query)
    assert cells is not None and len(cells) == 15  # the range reads the projection
    old_run = source.run(query, visits=True)  # the visits folded, as before the fast path
    assert old_run.source == "projection"
    query_text = f"since={since}&until={until}&period=interval:30&group=queue&group=agent"
    for fmt_ in ("csv", "xlsx"):
        for rows in ("contacts", "intervals"):
            got = client.get(f"/reports/export?{query_text}&format={fmt_}&rows={rows}")
            assert got.status_code == 200, (fmt_, rows)
            old, _media = export_bytes(old_run, form, fmt_, rows)
            if fmt_ == "csv":
                assert got.content == old, rows
                assert got.content.decode("utf-8-sig").count("\n") == (
                    16 if rows == "contacts" else len(old_run.report.rows) + 1
                )
            else:
                assert _sheets(got.content) == _sheets(old), rows
