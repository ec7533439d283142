"""Authorization on every endpoint: 401 without credentials, 403 for the wrong role, agent
or token scope, 404 for another site's records (as for unknown ids), filtered lists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_helpers import Api

from kefu.service.security import Scope

V1 = "/api/v1"


@pytest.fixture
def people(center: Api) -> dict[str, dict[str, str]]:
    """Bearer headers: supervisors of sh and of bj, agents a1 and a2 (sh), b1 (bj)."""
    center.user("sup-sh", "supervisor", sites=("sh",))
    center.user("sup-bj", "supervisor", sites=("bj",))
    for agent in ("a1", "a2", "b1"):
        center.user(f"agent-{agent}", "agent", agent_id=agent)
    return {
        "sup-sh": center.token("sup-sh"),
        "sup-bj": center.token("sup-bj"),
        "a1": center.token("agent-a1"),
        "a2": center.token("agent-a2"),
        "b1": center.token("agent-b1"),
        "root-read": center.token("root", Scope.READ),
    }


def call(api: Api, method: str, path: str, who: dict[str, str] | None, body: Any = None) -> Any:
    client = api.anonymous()
    return client.request(method, path, json=body, headers=who or {})


CORE_TAGS = {"sites", "queues", "agents", "contacts", "users", "audit", "auth"}
"""The platform core's resources (the channels' endpoints are tested with the channels)."""


def test_given_no_credentials_then_every_core_api_endpoint_answers_401(center: Api) -> None:
    paths = center.platform.app.openapi()["paths"]
    operations = [
        (method.upper(), path)
        for path, item in paths.items()
        for method, operation in item.items()
        if CORE_TAGS & set(operation.get("tags", ()))
    ]
    assert len(operations) >= 30 and all(p.startswith(V1) for _, p in operations)
    for method, template in operations:
        path = re.sub(r"\{[^}]+\}", "x", template)
        response = call(center, method, path, None, {})
        assert response.status_code == 401, (method, template, response.text)
    assert center.anonymous().get("/api/health").status_code == 200  # liveness stays open


@pytest.mark.parametrize("who", ["sup-sh", "a1", "root-read"])
def test_given_a_non_admin_when_changing_configuration_then_403_and_nothing_written(
    center: Api, people: dict[str, dict[str, str]], who: str
) -> None:
    events = center.event_count()
    changes = [
        ("POST", f"{V1}/sites", {"site_id": "gz", "name": "广州"}),
        ("POST", f"{V1}/queues", {"queue_id": "q2", "site_id": "sh"}),
        ("PATCH", f"{V1}/queues/billing", {"sl_threshold_s": 5}),
        ("POST", f"{V1}/agents", {"agent_id": "a9", "site_id": "sh"}),
        ("PATCH", f"{V1}/agents/a1", {"name": "x"}),
        ("POST", f"{V1}/users", {"username": "u", "password": "p" * 12, "role": "admin"}),
        ("PATCH", f"{V1}/users/sup-sh", {"role": "admin"}),
        ("POST", f"{V1}/users/sup-sh/tokens", {"scopes": ["read"]}),
        ("GET", f"{V1}/users", None),
        ("GET", f"{V1}/audit", None),
    ]
    for method, path, body in changes:
        response = call(center, method, path, people[who], body)
        assert response.status_code == 403, (who, method, path, response.text)
        assert response.json()["error_id"] == "forbidden"
    assert center.event_count() == events
    assert center.platform.security.users.get("sup-sh").role == "supervisor"


def test_given_a_supervisor_then_other_sites_records_are_404_and_lists_filtered(
    center: Api, people: dict[str, dict[str, str]]
) -> None:
    bj = people["sup-bj"]
    made = center.client.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
    for path in (
        f"{V1}/sites/sh",
        f"{V1}/queues/billing",
        f"{V1}/queues/billing/waiting",
        f"{V1}/agents/a1",
        f"{V1}/agents/a1/intervals",
        f"{V1}/contacts/{made['contact_id']}",
        f"{V1}/agents?site_id=sh",
    ):
        response = call(center, "GET", path, bj)
        assert response.status_code == 404, (path, response.text)
    ids = {
        kind: [item[key] for item in call(center, "GET", f"{V1}/{kind}", bj).json()["items"]]
        for kind, key in (("sites", "site_id"), ("queues", "queue_id"), ("agents", "agent_id"))
    }
    assert ids == {"sites": ["bj"], "queues": ["chat", "bj-local"], "agents": ["b1"]}
    assert call(center, "GET", f"{V1}/contacts", bj).json()["total"] == 0
    acting = [
        ("POST", f"{V1}/agents/a1/state", {"presence": "ready"}),
        ("POST", f"{V1}/contacts", {"queue_id": "billing"}),
        ("POST", f"{V1}/contacts/{made['contact_id']}/abandon", None),
        ("POST", f"{V1}/contacts/{made['contact_id']}/assign", {"agent_id": "b1"}),
    ]
    for method, path, body in acting:
        assert call(center, method, path, bj, body).status_code == 404, path
    own = call(center, "POST", f"{V1}/contacts", bj, {"queue_id": "bj-local"})
    assert own.status_code == 201 and own.json()["site_id"] == "bj"
    shared = call(center, "POST", f"{V1}/contacts", bj, {"queue_id": "chat"})
    assert shared.status_code == 201
    mine = call(center, "GET", f"{V1}/contacts", bj).json()
    assert {c["queue_id"] for c in mine["items"]} == {"bj-local", "chat"}
    sh = call(center, "POST", f"{V1}/agents/a1/state", people["sup-sh"], {"presence": "ready"})
    assert sh.status_code == 200 and sh.json()["presence"] == "ready"


def test_given_an_agent_then_it_acts_only_as_itself(
    center: Api, people: dict[str, dict[str, str]]
) -> None:
    a1, a2 = people["a1"], people["a2"]
    assert call(center, "POST", f"{V1}/agents/a2/state", a1, {"presence": "ready"}).status_code == (
        403
    )
    assert call(center, "GET", f"{V1}/agents/a2", a1).status_code == 403
    assert call(center, "GET", f"{V1}/agents/b1", a1).status_code == 404
    assert call(center, "POST", f"{V1}/agents/a2/state", a2, {"presence": "ready"}).status_code == (
        200
    )
    offered = center.client.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
    assert offered["agent_id"] == "a2"
    cid, offer = offered["contact_id"], {"offer_id": offered["offer_id"]}
    assert call(center, "GET", f"{V1}/contacts/{cid}", a1).status_code == 403
    assert call(center, "POST", f"{V1}/contacts/{cid}/accept", a1, offer).status_code == 403
    on_behalf = {**offer, "agent_id": "a2"}
    assert call(center, "POST", f"{V1}/contacts/{cid}/accept", a1, on_behalf).status_code == 403
    assert call(center, "POST", f"{V1}/contacts/{cid}/complete", a1, {}).status_code == 403
    assert call(center, "GET", f"{V1}/contacts", a1).json()["total"] == 0
    assert [a["agent_id"] for a in call(center, "GET", f"{V1}/agents", a1).json()["items"]] == [
        "a1"
    ]
    for path, body in (
        (f"{V1}/contacts", {"queue_id": "billing"}),
        (f"{V1}/contacts/{cid}/abandon", None),
        (f"{V1}/contacts/{cid}/assign", {"agent_id": "a1"}),
    ):
        assert call(center, "POST", path, a2, body).status_code == 403, path
    accepted = call(center, "POST", f"{V1}/contacts/{cid}/accept", a2, offer)
    assert accepted.status_code == 200 and accepted.json()["state"] == "active"
    assert call(center, "GET", f"{V1}/contacts/{cid}", a2).status_code == 200
    assert call(center, "GET", f"{V1}/contacts", a2).json()["total"] == 1
    assert call(center, "GET", f"{V1}/queues/billing/waiting", a2).json()["total"] == 0
    done = call(center, "POST", f"{V1}/contacts/{cid}/complete", a2, {})
    assert done.status_code == 200 and done.json()["state"] == "wrapup"


def test_given_a_token_without_the_scope_then_403_even_for_the_right_role(center: Api) -> None:
    center.user("crm", "supervisor", sites=("sh",))
    center.user("agent-a1", "agent", agent_id="a1")
    reader = center.token("crm", Scope.READ)
    assert call(center, "GET", f"{V1}/queues", reader).status_code == 200
    refused = call(center, "POST", f"{V1}/contacts", reader, {"queue_id": "billing"})
    assert refused.status_code == 403 and "contacts:write" in refused.json()["message"]
    states_only = center.token("agent-a1", Scope.AGENTS_WRITE)
    assert call(center, "GET", f"{V1}/agents/a1", states_only).status_code == 403
    ready = call(center, "POST", f"{V1}/agents/a1/state", states_only, {"presence": "ready"})
    assert ready.status_code == 200


def test_given_an_agent_moved_to_another_site_then_its_user_follows(
    center: Api, people: dict[str, dict[str, str]]
) -> None:
    assert call(center, "GET", f"{V1}/queues/bj-local", people["a1"]).status_code == 404
    moved = center.client.patch(f"{V1}/agents/a1", json={"site_id": "bj"})
    assert moved.status_code == 200
    assert call(center, "GET", f"{V1}/queues/bj-local", people["a1"]).status_code == 200
    assert call(center, "GET", f"{V1}/queues/billing", people["a1"]).status_code == 404


def test_given_an_idempotency_key_of_another_user_then_no_replay_of_their_contact(
    center: Api, people: dict[str, dict[str, str]]
) -> None:
    key = {"Idempotency-Key": "same-key"}
    mine = call(center, "POST", f"{V1}/contacts", {**people["sup-sh"], **key}, {"queue_id": "chat"})
    theirs = call(
        center, "POST", f"{V1}/contacts", {**people["sup-bj"], **key}, {"queue_id": "chat"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["contact_id"] != theirs.json()["contact_id"]
