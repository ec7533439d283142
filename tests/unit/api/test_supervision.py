"""``/api/v1/supervision``: a supervisor of the agent's site (or an admin) changes an
agent's state with a reason (audited before/after with the note), lends a skill for the
day (returned by the engine's timer at the end of the site's day), sends agents a message
(kept in the log) and sets a queue's alert thresholds (the wallboard tile shows them at
once); agents get 403, another site 404, bad input 422 with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api

V1 = "/api/v1/supervision"


@pytest.fixture
def users(center: Api) -> Api:
    center.user("lead", "supervisor", sites=("sh",))
    center.user("a1", "agent", sites=("sh",), agent_id="a1")
    return center


def _audit(api: Api, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.client.get("/api/v1/audit", params={"action": action}).json()[
        "items"
    ]
    return items


def test_given_a_supervisor_when_changing_an_agent_state_with_a_reason_then_it_is_audited(
    users: Api,
) -> None:
    c, lead, agent = users.client, users.token("lead"), users.token("a1")
    body = {"presence": "not_ready", "reason": "training", "note": "coaching 辅导"}
    assert c.post(f"{V1}/agents/a2/state", json=body, headers=agent).status_code == 403
    assert c.post(f"{V1}/agents/b1/state", json=body, headers=lead).status_code == 404
    bad = c.post(f"{V1}/agents/a2/state", json={**body, "reason": "nap"}, headers=lead)
    assert (bad.status_code, bad.json()["details"]["field"]) == (422, "reason")
    assert _audit(users, "agent.state") == []
    made = c.post(f"{V1}/agents/a2/state", json=body, headers=lead)
    assert made.status_code == 200, made.text
    assert (made.json()["presence"], made.json()["reason"]) == ("not_ready", "training")
    [entry] = _audit(users, "agent.state")
    assert (entry["actor"], entry["target_id"]) == ("lead", "a2")
    assert entry["before"]["presence"] == "offline"
    assert entry["after"] == {**entry["after"], "presence": "not_ready", "note": "coaching 辅导"}


def test_given_a_lent_skill_when_the_site_day_ends_then_the_timer_returns_it(
    users: Api,
) -> None:
    c, lead = users.client, users.token("lead")
    loan = {"skill": "billing", "level": 3}
    assert c.post(f"{V1}/agents/a1/skills", json=loan, headers=users.token("a1")).status_code == 403
    assert c.post(f"{V1}/agents/b1/skills", json=loan, headers=lead).status_code == 404
    bad = c.post(f"{V1}/agents/a1/skills", json={**loan, "level": 11}, headers=lead)
    assert bad.status_code == 422
    made = c.post(f"{V1}/agents/a1/skills", json=loan, headers=lead)
    assert made.status_code == 200, made.text
    until = made.json()["until"]
    # 1_700_000_000 is 2023-11-15 06:13:20 in Shanghai: the day ends at 16:00 UTC
    assert until == 1_700_064_000.0 and made.json()["had"] is None
    assert c.get("/api/v1/agents/a1").json()["skills"] == {"billing": 3}
    assert [x["skill"] for x in c.get(f"{V1}/loans", headers=lead).json()] == ["billing"]
    users.clock.advance(until - users.clock.now() + 1)
    # the next command runs the timers due first
    assert c.post("/api/v1/agents/a2/state", json={"presence": "ready"}).status_code == 200
    assert c.get("/api/v1/agents/a1").json()["skills"] == {}
    assert c.get(f"{V1}/loans", headers=lead).json() == []
    assert [e["actor"] for e in _audit(users, "agent.return_skill")] == ["system"]


def test_given_a_message_when_sent_to_a_queue_then_its_site_agents_are_named_and_it_is_logged(
    users: Api,
) -> None:
    c, lead = users.client, users.token("lead")
    assert c.post(f"{V1}/messages", json={"site_id": "sh", "text": "hi"},
                  headers=users.token("a1")).status_code == 403  # fmt: skip
    assert c.post(f"{V1}/messages", json={"site_id": "bj", "text": "hi"},
                  headers=lead).status_code == 404  # fmt: skip
    assert c.post(f"{V1}/messages", json={"site_id": "sh", "text": ""},
                  headers=lead).status_code == 422  # fmt: skip
    sent = c.post(f"{V1}/messages", json={"site_id": "sh", "text": "午餐后开会"}, headers=lead)
    assert sent.status_code == 200, sent.text
    assert sent.json()["agent_ids"] == ["a1", "a2"]
    one = c.post(f"{V1}/messages", json={"site_id": "sh", "text": "x", "agent_id": "a2"},
                 headers=lead)  # fmt: skip
    assert one.json()["agent_ids"] == ["a2"]
    logged = [e["after"]["text"] for e in _audit(users, "agent.message")]
    assert sorted(logged) == ["x", "午餐后开会"]


def test_given_alert_thresholds_when_a_queue_passes_them_then_its_tile_shows_the_alert(
    users: Api,
) -> None:
    c, lead = users.client, users.token("lead")
    limits = {"waiting_above": 0, "longest_wait_above_s": 30}
    assert c.put(f"{V1}/queues/billing/alert", json=limits,
                 headers=users.token("a1")).status_code == 403  # fmt: skip
    assert c.put(f"{V1}/queues/bj-local/alert", json=limits, headers=lead).status_code == 404
    assert c.put(f"{V1}/queues/billing/alert", json={"sl_below": 2},
                 headers=lead).status_code == 422  # fmt: skip
    assert c.get(f"{V1}/alerts", headers=lead).json() == []
    made = c.put(f"{V1}/queues/billing/alert", json=limits, headers=lead)
    assert made.status_code == 200, made.text
    assert c.post("/api/v1/contacts", json={"queue_id": "billing"}).status_code == 201
    users.clock.advance(31)
    wallboard = users.platform.app.state.wallboard
    engine = users.platform.engine

    def tile() -> list[str]:
        snap = wallboard.projection.snapshot("sh")
        alerts: list[str] = snap.queue("billing").to_json()["alerts"]
        return alerts

    import anyio

    async def read() -> list[str]:
        return await engine.query(lambda _e: tile())

    assert anyio.run(read) == ["waiting", "longest_wait"]
    assert [a["queue_id"] for a in c.get(f"{V1}/alerts", headers=lead).json()] == ["billing"]
    [entry] = _audit(users, "queue.alert")
    assert entry["actor"] == "lead" and entry["after"]["waiting_above"] == 0


def test_given_an_agent_desktop_open_when_a_supervisor_messages_it_then_a_notice_frame_comes(
    users: Api,
) -> None:
    c, lead = users.client, users.token("lead")
    desktop = users.login("a1")
    with desktop.websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["type"] == "hello"
        body = {"site_id": "sh", "text": "请注意排队", "agent_id": "a1"}
        sent = c.post(f"{V1}/messages", json=body, headers=lead)
        assert sent.status_code == 200, sent.text
        while (frame := ws.receive_json())["type"] != "notice":
            pass
    assert (frame["notice"]["text"], frame["notice"]["sender"]) == ("请注意排队", "lead")
    assert frame["notice"]["agent_ids"] == ["a1"]
