"""Workforce on a SQL store (SQLite and PostgreSQL): a published schedule and work rules
survive a restart, adherence reads the stored presence events, and ``kefu schedule
--site`` reads the same log and rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from db_helpers import Database
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from test_report_pages_db import DAY0, HOUR, PASSWORD, _log
from typer.testing import CliRunner

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.adapters.storage.repositories import SqlAgents, SqlEventLog, SqlQueues, SqlSites
from kefu.bootstrap import build_test
from kefu.cli import app
from kefu.config import Settings
from kefu.service.ports import QueueRow, Site
from kefu.testing import ManualClock

V1 = "/api/v1"


def _client(database: Database, *, first: bool = True) -> TestClient:
    settings = Settings(
        env="test", password_time_cost=1, password_memory_kib=64, password_parallelism=1
    )
    platform = build_test(
        settings,
        clock=ManualClock(DAY0 + 30 * HOUR),
        uow_factory=SqlUnitOfWorkFactory(database.engine),
    )
    client = TestClient(platform.app)
    client.__enter__()
    if first:
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
    client.headers["X-CSRF-Token"] = _csrf(client)
    return client


def _csrf(client: TestClient) -> str:
    token: str = client.get(f"{V1}/me").json()["csrf_token"]
    return token


@pytest.fixture
def stored(database: Database) -> Iterator[Database]:
    """The morning of test_report_pages_db: 王芳 not ready (training) from 07:00 and ready
    at 07:59; a2 not ready all morning."""
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
    yield database


def test_given_a_sql_store_when_published_then_restart_adherence_and_cli_agree(
    stored: Database,
) -> None:
    client = _client(stored)
    shift = {"agent_id": "王芳", "start": DAY0 + 7.5 * HOUR, "end": DAY0 + 9.5 * HOUR}
    body = {"site_id": "sh", "since": DAY0, "until": DAY0 + 24 * HOUR, "shifts": [shift]}
    made = client.post(f"{V1}/workforce/schedules", json=body)
    assert made.status_code == 201, made.text
    rules = {"days_off": [0, 1, 2, 3, 4, 5, 6]}
    assert client.put(f"{V1}/workforce/agents/a2/rules", json=rules).status_code == 200
    day = "since=2026-01-05&until=2026-01-05&site=sh"
    page = client.get(f"/workforce/adherence?{day}&tolerance=0").text
    line = re.search(r'<tr data-agent="王芳"[^>]*>(.*?)</tr>', page, re.S)
    # Not ready from 07:30 (the shift's start) to 07:59: 1,740 s out of 7,200.
    assert line and "75.8 %" in line.group(1)
    client.__exit__(None, None, None)

    again = _client(stored, first=False)  # a restart: rebuilt from the stored log
    shifts = again.get(f"{V1}/workforce/shifts?site_id=sh&since={DAY0}").json()
    assert [(s["agent_id"], s["start"]) for s in shifts] == [("王芳", DAY0 + 7.5 * HOUR)]
    assert again.get(f"{V1}/workforce/agents/a2/rules").json()["max_days"] == 5
    assert again.get(f"{V1}/workforce/agents/a2/rules").json()["days_off"] == list(range(7))
    again.__exit__(None, None, None)

    env = {"KEFU_DATABASE_URL": stored.url, "COLUMNS": "200"}
    if stored.schema:
        env["KEFU_DATABASE_SCHEMA"] = stored.schema
    result = CliRunner().invoke(
        app,
        ["schedule", "--site", "sh", "--since", "2026-01-05", "--until", "2026-01-05",
         "--horizon", "1", "--time-limit", "3", "--json"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["shifts"] and {s["agent_id"] for s in plan["shifts"]} == {"王芳"}  # a2 is off
