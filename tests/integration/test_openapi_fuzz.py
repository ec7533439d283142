"""schemathesis against the published OpenAPI schema: a real server (uvicorn in a thread)
on a temporary SQLite file, called with an admin's token; bounded examples per operation.
No answer may be a 5xx; status codes, content types and bodies must match the schema."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from server_helpers import admin_token, free_port

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.bootstrap import build_live, build_test
from kefu.config import Settings

MAX_EXAMPLES = 15
TIME_CAP_S = 50.0
"""Operations not started within this many seconds of the first one are skipped."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Live:
    base: str
    auth: dict[str, str]
    started: float


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    engine = make_engine(sqlite_url(str(db)))
    upgrade(engine)
    engine.dispose()
    auth = admin_token(db)
    port = free_port()
    options = Settings(
        env="test",
        db_path=str(db),
        port=port,
        password_time_cost=1,
        password_memory_kib=64,
        password_parallelism=1,
    )
    platform = build_live(options)
    server = uvicorn.Server(
        uvicorn.Config(platform.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="fuzz-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
        # The ids the schema's examples use, so explicit examples reach real records.
        for path, body in (
            ("/api/v1/sites", {"site_id": "shanghai", "name": "上海中心"}),
            ("/api/v1/queues", {"queue_id": "shanghai", "site_id": "shanghai"}),
            ("/api/v1/agents", {"agent_id": "shanghai", "site_id": "shanghai"}),
        ):
            assert client.post(path, json=body).status_code == 201
    yield Live(base, auth, time.monotonic())
    server.should_exit = True
    thread.join(timeout=15)


# The published schema does not depend on the store: read it from a test wiring.
schema = schemathesis.openapi.from_dict(build_test(Settings(env="test")).app.openapi())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
    database=None,
)
def test_given_generated_requests_then_no_server_error_and_answers_match_the_schema(
    case: Any, live: Live
) -> None:
    if time.monotonic() - live.started > TIME_CAP_S:
        pytest.skip(f"past the {TIME_CAP_S:.0f} s time cap of the schema run")
    case.call_and_validate(base_url=live.base, headers=live.auth, checks=CHECKS, timeout=10)
