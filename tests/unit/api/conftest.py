"""An API on the in-memory store with a manual clock, an admin with a bearer token, and a
small seeded center."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from api_helpers import CHEAP_HASHING, Api, MakeApi
from fastapi.testclient import TestClient

from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock


@contextmanager
def running_api(**overrides: Any) -> Iterator[Api]:
    """The app with test settings (and ``overrides``); ``api.client`` sends an admin's
    token."""
    clock = ManualClock(1_700_000_000.0)
    store = InMemoryUnitOfWorkFactory()
    options: dict[str, Any] = {
        "env": "test",
        "max_body_bytes": 4096,
        "wallboard_interval_s": 0.05,
        **CHEAP_HASHING,
        **overrides,
    }
    platform = build_test(Settings(**options), clock=clock, uow_factory=store)
    with TestClient(platform.app) as client:
        made = Api(client, platform, clock, store)
        made.user("root", "admin")
        client.headers.update(made.token("root"))
        yield made


@pytest.fixture
def make_api() -> MakeApi:
    return running_api


@pytest.fixture
def api() -> Iterator[Api]:
    with running_api() as made:
        yield made


@pytest.fixture
def center(api: Api) -> Api:
    """Site sh (Shanghai) with a voice queue and a shared chat queue; site bj (Beijing) with
    a local queue; agents a1, a2 in sh and b1 in bj, all offline."""
    c = api.client
    for site, name in (("sh", "上海中心"), ("bj", "北京中心")):
        assert c.post("/api/v1/sites", json={"site_id": site, "name": name}).status_code == 201
    queues = [
        {"queue_id": "billing", "site_id": "sh", "name": "账单 Billing", "wrapup_s": 10},
        {"queue_id": "chat", "site_id": "sh", "channel": "chat", "shared": True},
        {"queue_id": "bj-local", "site_id": "bj"},
    ]
    for body in queues:
        assert c.post("/api/v1/queues", json=body).status_code == 201
    for agent, site in (("a1", "sh"), ("a2", "sh"), ("b1", "bj")):
        response = c.post(
            "/api/v1/agents", json={"agent_id": agent, "site_id": site, "name": f"座席{agent}"}
        )
        assert response.status_code == 201
    return api
