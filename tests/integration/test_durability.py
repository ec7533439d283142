"""Durability: a real ``kefu serve`` process on a SQLite file, killed with SIGKILL and
restarted, gives back every queued contact in order and the answered one with its agent;
and a server refuses to start on an out-of-date schema."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import KEFU, TEST_SECRET_KEY, Server, admin_token, free_port

from kefu.adapters.storage import make_engine, sqlite_url, upgrade

V1 = "/api/v1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "durable.sqlite3"
    engine = make_engine(sqlite_url(str(db)))
    upgrade(engine)
    engine.dispose()
    running = Server(db)
    running.auth = admin_token(db)
    running.start()
    yield running
    running.stop()


def post(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(path, json=body or {})
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()
    return data


def test_given_queued_and_answered_contacts_when_killed_and_restarted_then_nothing_lost(
    server: Server,
) -> None:
    n = 6
    with httpx.Client(base_url=server.base, timeout=10, headers=server.auth) as client:
        post(client, f"{V1}/sites", {"site_id": "sh", "name": "上海中心"})
        post(client, f"{V1}/queues", {"queue_id": "billing", "site_id": "sh"})
        post(client, f"{V1}/agents", {"agent_id": "a1", "site_id": "sh", "name": "张敏"})
        post(client, f"{V1}/agents/a1/state", {"presence": "ready"})
        made = [
            post(client, f"{V1}/contacts", {"queue_id": "billing", "attributes": {"n": f"客户{i}"}})
            for i in range(n)
        ]
        answered = made[0]
        assert answered["state"] == "offered" and answered["agent_id"] == "a1"
        post(
            client,
            f"{V1}/contacts/{answered['contact_id']}/accept",
            {"offer_id": answered["offer_id"], "agent_id": "a1"},
        )
        before = client.get(f"{V1}/queues/billing/waiting").json()
        assert [c["contact_id"] for c in before["items"]] == [c["contact_id"] for c in made[1:]]

    server.kill()
    server.start()

    with httpx.Client(base_url=server.base, timeout=10, headers=server.auth) as client:
        after = client.get(f"{V1}/queues/billing/waiting").json()
        assert [c["contact_id"] for c in after["items"]] == [c["contact_id"] for c in made[1:]]
        assert after["items"] == before["items"]
        contact = client.get(f"{V1}/contacts/{answered['contact_id']}").json()
        assert (contact["state"], contact["agent_id"]) == ("active", "a1")
        agent = client.get(f"{V1}/agents/a1").json()
        assert agent["activity"] == "busy" and agent["contacts"] == [answered["contact_id"]]
        everything = client.get(f"{V1}/contacts", params={"limit": 100}).json()
        ids = [c["contact_id"] for c in everything["items"]]
        assert everything["total"] == n and len(set(ids)) == n
        assert sorted(ids) == sorted(c["contact_id"] for c in made)
        # The restarted server goes on working on the same state.
        done = post(client, f"{V1}/contacts/{answered['contact_id']}/complete")
        assert done["state"] == "completed"
        assert client.get(f"{V1}/contacts/{made[1]['contact_id']}").json()["state"] == "offered"


def test_given_an_unmigrated_database_when_serve_starts_then_it_refuses_clearly(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "KEFU_DB_PATH": str(tmp_path / "new.sqlite3"), "KEFU_ENV": "test"}
    env.pop("KEFU_DATABASE_URL", None)
    env["KEFU_SECRET_KEY"] = TEST_SECRET_KEY
    done = subprocess.run(
        [*KEFU, "serve", "--port", str(free_port())], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 1
    message = done.stderr.decode()
    assert "kefu db upgrade" in message and "Traceback" not in message
