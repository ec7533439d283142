"""The HTTP API on SQLite and PostgreSQL: a contact's life, idempotent retries, refused
requests writing nothing, and a fresh app on the same database seeing the same center."""

from __future__ import annotations

from typing import Any

from db_helpers import Database
from fastapi.testclient import TestClient

from kefu.adapters.storage import SqlUnitOfWorkFactory
from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.service.security import Scope
from kefu.testing import ManualClock

V1 = "/api/v1"


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _statements(metrics: str) -> float:
    """The SQL statements counted by ``/metrics`` so far."""
    line = next(x for x in metrics.splitlines() if x.startswith("kefu_sql_statements_total "))
    return float(line.split()[1])


def test_given_a_database_when_the_api_runs_a_center_then_it_is_stored_and_restored(
    database: Database,
) -> None:
    uow_factory = SqlUnitOfWorkFactory(database.engine)
    clock = ManualClock(1_800_000_000.0)
    settings = Settings(
        env="test", password_time_cost=1, password_memory_kib=64, password_parallelism=1
    )
    platform = build_test(settings, clock=clock, uow_factory=uow_factory)
    platform.security.users.create(username="root", password="admin password", role="admin")
    _, token = platform.security.credentials.issue_token("root", [Scope.READ, Scope.ADMIN])
    _, worker = platform.security.credentials.issue_token(
        "root", [Scope.READ, Scope.CONTACTS_WRITE, Scope.AGENTS_WRITE]
    )
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(platform.app, headers=auth) as c:
        ok(c.post(f"{V1}/sites", json={"site_id": "bj", "name": "北京中心"}))
        ok(c.post(f"{V1}/queues", json={"queue_id": "q", "site_id": "bj", "channel": "chat"}))
        ok(c.post(f"{V1}/agents", json={"agent_id": "a1", "site_id": "bj", "name": "李娜"}))
        c.headers["Authorization"] = f"Bearer {worker}"  # the configuration is done
        ok(c.post(f"{V1}/agents/a1/state", json={"presence": "ready"}))
        key = {"Idempotency-Key": "retry-me"}
        first = ok(c.post(f"{V1}/contacts", json={"queue_id": "q"}, headers=key))
        again = c.post(f"{V1}/contacts", json={"queue_id": "q"}, headers=key)
        assert again.json() == first and again.headers["Idempotent-Replayed"] == "true"
        clock.advance(4)
        offer = {"offer_id": first["offer_id"]}
        ok(c.post(f"{V1}/contacts/{first['contact_id']}/accept", json=offer))
        with uow_factory() as uow:
            stored = uow.events.count()
        refused = [
            c.post(f"{V1}/contacts", json={"queue_id": "missing"}),
            c.post(f"{V1}/contacts/{first['contact_id']}/accept", json=offer),
            c.post(f"{V1}/agents", json={"agent_id": "a1", "site_id": "bj"}, headers=auth),
            c.post(f"{V1}/sites", json={"site_id": "bj", "name": "again"}, headers=auth),
            c.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海"}),  # no admin scope
        ]
        assert [r.status_code for r in refused] == [404, 409, 409, 409, 403]
        with uow_factory() as uow:
            assert uow.events.count() == stored
            assert len(uow.sites.list()) == 1
        contacts = ok(c.get(f"{V1}/contacts"))
        agent = ok(c.get(f"{V1}/agents/a1"))
        before = _statements(c.get("/metrics").text)
        ok(c.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海中心"}, headers=auth))
        assert before > 0 and _statements(c.get("/metrics").text) > before
    again = build_test(settings, clock=clock, uow_factory=uow_factory)
    with TestClient(again.app, headers={"Authorization": f"Bearer {worker}"}) as c:
        assert ok(c.get(f"{V1}/contacts")) == contacts
        assert ok(c.get(f"{V1}/agents/a1")) == agent
        intervals = ok(c.get(f"{V1}/agents/a1/intervals"))["items"]
        assert [i["activity"] for i in intervals] == ["offline", "ready", "offered", "busy"]
        assert intervals[-1]["end_at"] is None and intervals[-2]["end_at"] == 1_800_000_004.0
        repeat = c.post(f"{V1}/contacts", json={"queue_id": "q"}, headers=key)
        assert repeat.json()["contact_id"] == first["contact_id"]
        assert ok(c.get(f"{V1}/contacts"))["total"] == 1
