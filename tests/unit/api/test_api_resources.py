"""Sites, queues and agents over HTTP: creation, validation, lists, filters, pagination."""

from __future__ import annotations

from api_helpers import Api


def test_given_a_new_site_when_created_then_it_is_listed_and_readable(api: Api) -> None:
    c = api.client
    made = c.post("/api/v1/sites", json={"site_id": "gz", "name": "广州中心"})
    assert made.status_code == 201
    assert made.json()["name"] == "广州中心" and made.json()["timezone"] == "Asia/Shanghai"
    assert c.get("/api/v1/sites/gz").json() == made.json()
    listed = c.get("/api/v1/sites").json()
    assert [s["site_id"] for s in listed["items"]] == ["gz"] and listed["total"] == 1


def test_given_an_existing_site_when_created_again_then_409_and_nothing_written(api: Api) -> None:
    c = api.client
    c.post("/api/v1/sites", json={"site_id": "gz", "name": "广州"})
    before = len(api.store.store.sites)
    again = c.post("/api/v1/sites", json={"site_id": "gz", "name": "other"})
    assert again.status_code == 409
    assert again.json()["error_id"] == "already_exists"
    assert set(again.json()) == {"error_id", "message", "details"}
    assert len(api.store.store.sites) == before


def test_given_bad_fields_when_posted_then_422_names_each_field(api: Api) -> None:
    c = api.client
    bad = c.post("/api/v1/sites", json={"site_id": "has space", "name": "", "timezone": "Mars/X"})
    assert bad.status_code == 422
    body = bad.json()
    assert body["error_id"] == "validation_error"
    fields = {e["field"] for e in body["details"]["errors"]}
    assert fields == {"site_id", "name", "timezone"}
    assert "site_id" in body["message"]
    unknown = c.post("/api/v1/sites", json={"site_id": "x", "name": "x", "colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["details"]["errors"][0]["field"] == "colour"
    assert api.store.store.sites == {}


def test_given_a_queue_of_an_unknown_site_when_created_then_404(center: Api) -> None:
    response = center.client.post("/api/v1/queues", json={"queue_id": "q", "site_id": "mars"})
    assert response.status_code == 404 and response.json()["error_id"] == "unknown_site"


def test_given_queue_settings_when_created_then_returned_with_live_status(center: Api) -> None:
    body = {
        "queue_id": "vip",
        "site_id": "sh",
        "name": "贵宾 VIP",
        "skills": {"vip": 5},
        "sl_target": 0.9,
        "sl_threshold_s": 10,
        "short_abandon_s": 3,
        "overflow": [{"after_s": 30, "queue_id": "billing"}],
    }
    made = center.client.post("/api/v1/queues", json=body)
    assert made.status_code == 201, made.text
    queue = made.json()
    assert queue["skills"] == {"vip": 5} and queue["sl_target"] == 0.9
    assert queue["short_abandon_s"] == 3 and queue["overflow"][0]["queue_id"] == "billing"
    assert queue["status"]["waiting"] == 0 and queue["status"]["estimated_wait_s"] is None
    patched = center.client.patch("/api/v1/queues/vip", json={"sl_threshold_s": 15})
    assert patched.status_code == 200
    assert patched.json()["sl_threshold_s"] == 15 and patched.json()["sl_target"] == 0.9


def test_given_a_relaxed_overflow_without_skills_or_queue_then_422(center: Api) -> None:
    body = {"queue_id": "x", "site_id": "sh", "overflow": [{"after_s": 30}]}
    response = center.client.post("/api/v1/queues", json=body)
    assert response.status_code == 422
    assert response.json()["error_id"] == "validation_error"


def test_given_sites_when_lists_are_filtered_then_shared_queues_show_everywhere(
    center: Api,
) -> None:
    c = center.client
    bj = [q["queue_id"] for q in c.get("/api/v1/queues", params={"site_id": "bj"}).json()["items"]]
    sh = [q["queue_id"] for q in c.get("/api/v1/queues", params={"site_id": "sh"}).json()["items"]]
    assert sorted(bj) == ["bj-local", "chat"] and sorted(sh) == ["billing", "chat"]
    agents = c.get("/api/v1/agents", params={"site_id": "bj"}).json()
    assert [a["agent_id"] for a in agents["items"]] == ["b1"]
    assert c.get("/api/v1/agents", params={"site_id": "mars"}).status_code == 404


def test_given_many_agents_when_paged_then_pages_cover_all_once(center: Api) -> None:
    c = center.client
    for i in range(7):
        c.post("/api/v1/agents", json={"agent_id": f"x{i}", "site_id": "bj"})
    seen = []
    offset: int | None = 0
    while offset is not None:
        page = c.get("/api/v1/agents", params={"limit": 3, "offset": offset}).json()
        assert page["total"] == 10 and len(page["items"]) <= 3
        seen += [a["agent_id"] for a in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == 10 and len(set(seen)) == 10
    assert c.get("/api/v1/agents", params={"limit": 0}).status_code == 422


def test_given_an_agent_when_skills_and_capacity_change_then_returned(center: Api) -> None:
    c = center.client
    body = {"skills": {"billing": 7, "英语": 3}, "capacity": {"chat": 2, "voice": 1}}
    response = c.patch("/api/v1/agents/a1", json=body)
    assert response.status_code == 200, response.text
    agent = response.json()
    assert agent["skills"] == {"billing": 7, "英语": 3}
    assert agent["capacity"] == {"chat": 2, "voice": 1}
    assert c.patch("/api/v1/agents/a1", json={"skills": {"x": 11}}).status_code == 422
    assert c.patch("/api/v1/agents/zz", json={"name": "n"}).status_code == 404


def test_given_a_body_over_the_limit_when_posted_then_413_with_the_error_body(api: Api) -> None:
    big = {"site_id": "x", "name": "名" * 3000}
    response = api.client.post("/api/v1/sites", json=big)
    assert response.status_code == 413
    assert response.json()["error_id"] == "payload_too_large"
    streamed = api.client.post(
        "/api/v1/sites",
        content=iter([b'{"site_id": "x", "name": "', b"a" * 5000, b'"}']),
        headers={"content-type": "application/json"},
    )
    assert streamed.status_code == 413
    assert api.store.store.sites == {}


def test_given_unknown_routes_then_404_in_the_common_error_body(api: Api) -> None:
    response = api.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error_id"] == "not_found"
    assert api.client.get("/api/v1/agents/ghost").json()["error_id"] == "unknown_agent"


def test_given_the_app_then_openapi_is_published_with_the_resources(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    for path in ("/api/v1/sites", "/api/v1/queues", "/api/v1/agents", "/api/v1/contacts"):
        assert path in spec["paths"]
    assert "Idempotency-Key" in str(spec["paths"]["/api/v1/contacts"]["post"]["parameters"])
