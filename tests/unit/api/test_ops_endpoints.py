"""``/healthz``, ``/readyz`` and ``/metrics``: liveness, readiness (state rebuilt, store
answering) and the Prometheus text format; the request id of the JSON logs."""

from __future__ import annotations

import json
import logging

import pytest
from api_helpers import CHEAP_HASHING, Api, MakeApi
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from test_health import FlakyStore

from kefu.adapters.logs import JsonFormatter, RequestIdFilter
from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.testing import ManualClock

V1 = "/api/v1"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_given_a_started_server_when_probed_then_alive_and_ready(api: Api) -> None:
    anonymous = api.anonymous()
    assert anonymous.get("/healthz").json() == {"status": "alive"}
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"engine": "ok", "database": "ok"}


def test_given_the_store_down_when_readiness_is_probed_then_503_naming_it_and_alive_still() -> None:
    store = FlakyStore()
    platform = build_test(
        Settings(env="test", **CHEAP_HASHING), clock=ManualClock(1.7e9), uow_factory=store
    )
    with TestClient(platform.app) as client:
        store.down = True
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["down"] == ["database"]
        assert "10.2.3.4" not in answer.text
        assert client.get("/healthz").status_code == 200
        store.down = False
        assert client.get("/readyz").status_code == 200


def test_given_traffic_when_metrics_are_scraped_then_counts_per_queue_and_decisions(
    center: Api,
) -> None:
    c = center.client
    assert c.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).status_code == 200
    made = [c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json() for _ in range(3)]
    first = made[0]
    assert first["state"] == "offered"
    accepted = c.post(
        f"{V1}/contacts/{first['contact_id']}/accept",
        json={"offer_id": first["offer_id"], "agent_id": "a1"},
    )
    assert accepted.status_code == 200
    assert c.post(f"{V1}/contacts/{made[2]['contact_id']}/abandon").status_code == 200
    answer = center.anonymous().get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    billing = (("queue", "billing"),)
    assert samples[("kefu_contacts_offered_total", billing)] == 3
    assert samples[("kefu_contacts_answered_total", billing)] == 1
    assert samples[("kefu_contacts_abandoned_total", billing)] == 1
    assert samples[("kefu_router_decisions_total", ())] == 1
    assert samples[("kefu_writer_batch_seconds_count", ())] >= 5
    assert samples[("kefu_engine_ready", ())] == 1
    assert samples[("kefu_leader_epoch", ())] == 0
    assert samples[("kefu_event_log_seq", ())] == center.platform.engine.last_seq > 0


def test_given_json_logs_when_a_request_logs_then_one_json_line_with_its_request_id(
    make_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with make_api(json_logs=True) as api, caplog.at_level(logging.INFO, "kefu.access"):
        answer = api.anonymous().get("/healthz", headers={"X-Request-Id": "trace-42"})
        assert answer.headers["x-request-id"] == "trace-42"
        made = api.anonymous().get("/healthz", headers={"X-Request-Id": "a b;<script>" * 9})
        rid = made.headers["x-request-id"]
        assert "<" not in rid and len(rid) == 16
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert [line["request_id"] for line in lines if "/healthz" in line["message"]] == [
        "trace-42",
        rid,
    ]
    assert all(line["level"] == "INFO" and line["logger"] == "kefu.access" for line in lines)
