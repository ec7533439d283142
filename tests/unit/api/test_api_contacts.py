"""Contacts and agent states over HTTP: the life of a contact, idempotent creation,
conflicts, refused requests writing nothing, pending agent states."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api

V1 = "/api/v1"


def ready(api: Api, agent_id: str) -> None:
    response = api.client.post(f"{V1}/agents/{agent_id}/state", json={"presence": "ready"})
    assert response.status_code == 200, response.text


def create(api: Api, queue_id: str = "billing", **extra: Any) -> dict[str, Any]:
    response = api.client.post(f"{V1}/contacts", json={"queue_id": queue_id, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_given_a_ready_agent_when_a_contact_arrives_then_offer_accept_complete_wrapup(
    center: Api,
) -> None:
    c = center.client
    ready(center, "a1")
    made = create(center, attributes={"姓名": "王芳", "topic": "账单"}, customer_id="cust-1")
    assert made["state"] == "offered" and made["agent_id"] == "a1" and made["site_id"] == "sh"
    assert made["attributes"] == {"姓名": "王芳", "topic": "账单"}
    cid, offer = made["contact_id"], made["offer_id"]
    center.clock.advance(3)
    accepted = c.post(f"{V1}/contacts/{cid}/accept", json={"offer_id": offer, "agent_id": "a1"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "active"
    center.clock.advance(30)
    busy = c.get(f"{V1}/agents/a1").json()
    assert (busy["activity"], busy["time_in_state_s"]) == ("busy", 30.0)
    assert busy["state_since"] < busy["activity_since"]
    assert c.post(f"{V1}/contacts/{cid}/hold").json()["on_hold"] is True
    assert c.post(f"{V1}/contacts/{cid}/resume").json()["on_hold"] is False
    center.clock.advance(120)
    done = c.post(f"{V1}/contacts/{cid}/complete", json={"disposition": "resolved 已解决"})
    assert done.json()["state"] == "wrapup"
    assert c.get(f"{V1}/agents/a1").json()["activity"] == "wrapup"
    assert c.post(f"{V1}/contacts/{cid}/end-wrapup").json()["state"] == "completed"
    agent = c.get(f"{V1}/agents/a1").json()
    assert agent["activity"] == "ready" and agent["contacts"] == []
    intervals = c.get(f"{V1}/agents/a1/intervals").json()["items"]
    assert [i["activity"] for i in intervals] == [
        "offline",
        "ready",
        "offered",
        "busy",
        "wrapup",
        "ready",
    ]


def test_given_an_idempotency_key_when_the_post_is_retried_then_one_contact(center: Api) -> None:
    c = center.client
    headers = {"Idempotency-Key": "order-42-call"}
    first = c.post(f"{V1}/contacts", json={"queue_id": "billing"}, headers=headers)
    again = c.post(f"{V1}/contacts", json={"queue_id": "billing"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert c.get(f"{V1}/contacts").json()["total"] == 1
    other = c.post(f"{V1}/contacts", json={"queue_id": "chat"}, headers=headers)
    assert other.status_code == 409 and other.json()["error_id"] == "idempotency_key_reused"
    assert c.get(f"{V1}/contacts").json()["total"] == 1


def test_given_an_agent_at_full_capacity_when_assigned_then_409_and_nothing_written(
    center: Api,
) -> None:
    ready(center, "a1")
    create(center)  # offered to a1: a voice contact blocks the agent
    waiting = create(center)
    before = center.event_count()
    response = center.client.post(
        f"{V1}/contacts/{waiting['contact_id']}/assign", json={"agent_id": "a1"}
    )
    assert response.status_code == 409
    assert response.json()["error_id"] == "agent_at_capacity"
    assert response.json()["details"] == {"agent_id": "a1", "channel": "voice"}
    assert center.event_count() == before


def test_given_a_free_agent_when_assigned_manually_then_offered_to_it(center: Api) -> None:
    made = create(center)
    center.client.post(f"{V1}/agents/a2/state", json={"presence": "not_ready", "reason": "培训"})
    response = center.client.post(
        f"{V1}/contacts/{made['contact_id']}/assign", json={"agent_id": "a2"}
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["agent_id"]) == ("offered", "a2")


def test_given_an_expired_offer_when_accepted_then_409_offer_not_pending(center: Api) -> None:
    ready(center, "a1")
    made = create(center)
    center.clock.advance(60)  # past the 20 s offer timeout
    response = center.client.post(
        f"{V1}/contacts/{made['contact_id']}/accept", json={"offer_id": made["offer_id"]}
    )
    assert response.status_code == 409 and response.json()["error_id"] == "offer_not_pending"
    agent = center.client.get(f"{V1}/agents/a1").json()
    assert (agent["presence"], agent["reason"]) == ("not_ready", "missed")


def test_given_rejected_requests_then_the_event_log_is_unchanged(center: Api) -> None:
    c = center.client
    ready(center, "a1")
    made = create(center)
    cid = made["contact_id"]
    before = center.event_count()
    refused = [
        c.post(f"{V1}/contacts", json={"queue_id": "nowhere"}),
        c.post(f"{V1}/contacts", json={"queue_id": "billing", "priority": "high"}),
        c.post(f"{V1}/contacts/{cid}/complete"),
        c.post(f"{V1}/contacts/{cid}/accept", json={"offer_id": f"{cid}/9"}),
        c.post(f"{V1}/contacts/{cid}/accept", json={"offer_id": "other/1"}),
        c.post(f"{V1}/contacts/{cid}/transfer", json={"to_queue_id": "chat", "to_agent_id": "a2"}),
        c.post(f"{V1}/contacts/ghost/hold"),
        c.post(f"{V1}/agents/a1/state", json={"presence": "sleeping"}),
        c.post(f"{V1}/queues", json={"queue_id": "billing", "site_id": "sh"}),
    ]
    assert [r.status_code for r in refused] == [404, 422, 409, 404, 422, 422, 404, 422, 409]
    assert all(set(r.json()) == {"error_id", "message", "details"} for r in refused)
    assert center.event_count() == before


def test_given_a_busy_agent_asking_for_a_break_then_pending_until_the_contact_ends(
    center: Api,
) -> None:
    c = center.client
    ready(center, "a1")
    made = create(center)
    cid = made["contact_id"]
    c.post(f"{V1}/contacts/{cid}/accept", json={"offer_id": made["offer_id"]})
    asked = c.post(f"{V1}/agents/a1/state", json={"presence": "not_ready", "reason": "lunch"})
    assert (asked.json()["presence"], asked.json()["pending"]) == ("ready", "not_ready")
    c.post(f"{V1}/contacts/{cid}/complete")
    c.post(f"{V1}/contacts/{cid}/end-wrapup")
    agent = c.get(f"{V1}/agents/a1").json()
    assert (agent["presence"], agent["reason"], agent["pending"]) == ("not_ready", "lunch", None)


def test_given_an_active_contact_when_transferred_then_it_keeps_attributes_and_note(
    center: Api,
) -> None:
    c = center.client
    ready(center, "a1")
    made = create(center, attributes={"verified": "yes"})
    cid = made["contact_id"]
    c.post(f"{V1}/contacts/{cid}/accept", json={"offer_id": made["offer_id"]})
    moved = c.post(
        f"{V1}/contacts/{cid}/transfer", json={"to_agent_id": "a2", "note": "客户要求退款"}
    )
    assert moved.status_code == 200
    contact = moved.json()
    assert contact["state"] == "queued" and contact["notes"] == ["客户要求退款"]
    assert contact["attributes"] == {"verified": "yes"}
    ready(center, "a2")
    assert c.get(f"{V1}/contacts/{cid}").json()["agent_id"] == "a2"


def test_given_contacts_in_line_then_waiting_lists_them_in_service_order(center: Api) -> None:
    ids = [create(center)["contact_id"] for _ in range(3)]
    vip = create(center, value_tier=2)["contact_id"]
    waiting = center.client.get(f"{V1}/queues/billing/waiting").json()
    assert [w["contact_id"] for w in waiting["items"]] == [vip, *ids]
    listed = center.client.get(f"{V1}/contacts", params={"state": "queued", "site_id": "bj"})
    assert listed.json()["total"] == 0
    abandoned = center.client.post(f"{V1}/contacts/{ids[0]}/abandon").json()
    assert abandoned["state"] == "abandoned"
    assert center.client.get(f"{V1}/queues/billing").json()["status"]["waiting"] == 3


def test_given_an_offer_when_rejected_then_the_next_ready_agent_gets_it(center: Api) -> None:
    c = center.client
    ready(center, "a1")
    center.clock.advance(1)
    ready(center, "a2")
    made = create(center)
    first = made["agent_id"]
    rejected = c.post(
        f"{V1}/contacts/{made['contact_id']}/reject",
        json={"offer_id": made["offer_id"], "agent_id": first},
    )
    assert rejected.status_code == 200
    again = rejected.json()
    assert again["state"] == "offered" and again["agent_id"] not in (None, first)
    assert again["offer_id"] != made["offer_id"]
    late = c.post(f"{V1}/contacts/{made['contact_id']}/accept", json={"offer_id": made["offer_id"]})
    assert late.status_code == 409


@pytest.mark.parametrize("action", ["listen", "whisper", "barge"])
def test_given_an_answered_call_when_a_supervisor_joins_then_logged_and_agents_refused(
    center: Api, action: str
) -> None:
    ready(center, "a1")
    made = create(center)
    cid = made["contact_id"]
    accepted = center.client.post(
        f"{V1}/contacts/{cid}/accept", json={"offer_id": made["offer_id"], "agent_id": "a1"}
    )
    assert accepted.status_code == 200
    center.user("lead-sh", "supervisor", sites=("sh",))
    center.user("agent-a2", "agent", sites=("sh",), agent_id="a2")
    events = center.event_count()
    # Without a registered phone there is nothing to ring: refused, in the reader's language.
    no_phone = center.anonymous().post(
        f"{V1}/contacts/{cid}/{action}?lang=zh", headers=center.token("lead-sh")
    )
    assert no_phone.status_code == 409 and center.event_count() == events
    assert no_phone.json()["error_id"] == "no_registered_phone"
    assert "话机" in no_phone.json()["message"]
    assert center.platform.phones is not None
    center.platform.phones.attach(lambda user: user == "lead-sh")
    refused = center.anonymous().post(
        f"{V1}/contacts/{cid}/{action}", headers=center.token("agent-a2")
    )
    assert refused.status_code == 403 and center.event_count() == events
    heard = center.anonymous().post(
        f"{V1}/contacts/{cid}/{action}", headers=center.token("lead-sh")
    )
    assert heard.status_code == 200, heard.text
    assert heard.json()["state"] == "active"
    assert center.event_count() == events + 1
    kind = {"listen": "CallListened", "whisper": "CallWhispered", "barge": "CallBarged"}[action]
    assert type(center.store.store.events[-1].event).__name__ == kind
    waiting = create(center)
    late = center.anonymous().post(
        f"{V1}/contacts/{waiting['contact_id']}/{action}", headers=center.token("lead-sh")
    )
    assert late.status_code == 409
