"""``/api/health`` names the dependency that is down (503); no 503 body tells the
database's host or port (the server's log does)."""

from __future__ import annotations

import pytest
from api_helpers import CHEAP_HASHING, Api
from fastapi.testclient import TestClient

from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.testing import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory, ManualClock

CAUSE = 'connection to server at "db.internal" (10.2.3.4), port 5432 failed: refused'


class FlakyStore(InMemoryUnitOfWorkFactory):
    """The in-memory store, refusing every unit of work while ``down``."""

    down = False

    def __call__(self) -> InMemoryUnitOfWork:
        if self.down:
            raise ConnectionError(CAUSE)
        return super().__call__()


def test_given_a_running_server_when_health_is_asked_then_200_with_each_check_ok(
    api: Api,
) -> None:
    answer = api.anonymous().get("/api/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["checks"] == {"engine": "ok", "database": "ok"}


def test_given_the_database_down_when_health_and_a_read_are_asked_then_503_without_its_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore()
    platform = build_test(
        Settings(env="test", **CHEAP_HASHING), clock=ManualClock(1.7e9), uow_factory=store
    )
    with TestClient(platform.app) as client:
        api = Api(client, platform, ManualClock(1.7e9), store)
        api.user("root", "admin")
        client.headers.update(api.token("root"))
        assert client.post("/api/v1/sites", json={"site_id": "sh", "name": "上海"}).is_success
        agent = {"agent_id": "a1", "site_id": "sh", "name": "张敏"}
        assert client.post("/api/v1/agents", json=agent).is_success
        assert client.get("/api/v1/agents/a1/intervals").status_code == 200  # token cached
        store.down = True
        health = client.get("/api/health")
        read = client.get("/api/v1/agents/a1/intervals")
        store.down = False
        assert client.get("/api/health").status_code == 200
    assert health.status_code == 503
    assert health.json()["down"] == ["database"] and health.json()["status"] == "unavailable"
    assert read.status_code == 503 and read.json()["error_id"] == "service_unavailable"
    for body in (health.text, read.text):
        assert "10.2.3.4" not in body and "5432" not in body and "db.internal" not in body
    assert "10.2.3.4" in caplog.text
