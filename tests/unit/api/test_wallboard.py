"""The wallboard: the page (no CDN), and live snapshots over the WebSocket with KPIs from
kefu.analytics."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_helpers import Api
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from kefu.service.wallboard.projection import CHART_S

V1 = "/api/v1"


def next_matching(ws: WebSocketTestSession, test: Any, limit: int = 50) -> dict[str, Any]:
    for _ in range(limit):
        snap: dict[str, Any] = ws.receive_json()
        if test(snap):
            return snap
    raise AssertionError("no matching wallboard snapshot")


def queue(snap: dict[str, Any], queue_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(q for q in snap["queues"] if q["queue_id"] == queue_id)
    return found


def test_given_the_wallboard_page_then_it_loads_local_assets_only(api: Api) -> None:
    c: TestClient = api.client
    page = c.get("/wallboard")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "实时监控" in page.text or "Live wallboard" in page.text
    assert not re.search(r"(src|href)=\"https?://", page.text)
    js = c.get("/static/wallboard.js")
    assert js.status_code == 200 and "new WebSocket" in js.text
    assert c.get("/i18n/zh.json").json()["messages"]["wallboard.waiting"] == "排队数"
    assert c.get("/static/wallboard.css").status_code == 200
    assert c.get("/", follow_redirects=False).headers["location"] == "/admin"  # an admin


def test_given_a_connected_wallboard_when_contacts_arrive_then_figures_change_live(
    center: Api,
) -> None:
    c = center.client
    with c.websocket_connect("/ws/wallboard") as ws:
        first = ws.receive_json()
        assert queue(first, "billing")["waiting"] == 0
        assert first["totals"]["offered"] == 0
        assert {a["agent_id"] for a in first["agents"]} == {"a1", "a2", "b1"}
        made = c.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
        snap = next_matching(ws, lambda s: queue(s, "billing")["waiting"] == 1)
        assert queue(snap, "billing")["estimated_wait_s"] is None  # nobody staffed
        center.clock.advance(8)
        c.post(f"{V1}/agents/a1/state", json={"presence": "ready"})
        offer = c.get(f"{V1}/contacts/{made['contact_id']}").json()["offer_id"]
        c.post(f"{V1}/contacts/{made['contact_id']}/accept", json={"offer_id": offer})
        snap = next_matching(ws, lambda s: queue(s, "billing")["answered"] == 1)
        billing = queue(snap, "billing")
        assert billing["waiting"] == 0 and billing["offered"] == 1
        assert billing["service_level"] == 1.0 and billing["asa_s"] == 8.0
        assert snap["agent_counts"]["busy"] == 1
        busy = next(a for a in snap["agents"] if a["agent_id"] == "a1")
        assert busy["activity"] == "busy"
        # The chart is rebuilt at most every CHART_S of the (manual) clock: one drawn
        # while the contact waited shows no SL yet (its outcome was not known).
        center.clock.advance(CHART_S)
        snap = next_matching(ws, lambda s: s["history"]["sl"][-1][1] is not None)
        assert snap["history"]["sl"][-1][1] == 1.0


def test_given_a_site_filter_when_connected_then_only_that_sites_records(center: Api) -> None:
    with center.client.websocket_connect("/ws/wallboard?site_id=bj") as ws:
        snap = ws.receive_json()
        assert sorted(q["queue_id"] for q in snap["queues"]) == ["bj-local", "chat"]
        assert [a["agent_id"] for a in snap["agents"]] == ["b1"]
        ws.send_json({"site_id": "sh"})
        snap = next_matching(ws, lambda s: s["site_id"] == "sh")
        assert sorted(q["queue_id"] for q in snap["queues"]) == ["billing", "chat"]


def closed_with(api: Api, url: str, headers: dict[str, str]) -> int:
    """The close code the wallboard WebSocket answers with."""
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        api.anonymous().websocket_connect(url, headers=headers) as ws,
    ):
        ws.receive_json()
    return closed.value.code


def test_given_no_login_or_the_wrong_user_then_the_wallboard_socket_is_refused(
    center: Api,
) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    center.user("sup-bj", "supervisor", sites=("bj",))
    assert closed_with(center, "/ws/wallboard", {}) == 4401
    assert closed_with(center, "/ws/wallboard", {"Authorization": "Bearer kefu_x_y"}) == 4401
    assert closed_with(center, "/ws/wallboard", center.token("agent-a1")) == 4403
    bj = center.token("sup-bj")
    assert closed_with(center, "/ws/wallboard?site_id=sh", bj) == 4403
    assert closed_with(center, "/ws/wallboard", {**bj, "Origin": "https://evil.example"}) == 4403
    with center.anonymous().websocket_connect("/ws/wallboard", headers=bj) as ws:
        snap = ws.receive_json()
        assert sorted(q["queue_id"] for q in snap["queues"]) == ["bj-local", "chat"]
        assert [a["agent_id"] for a in snap["agents"]] == ["b1"]
        ws.send_json({"site_id": "sh"})
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):  # a broadcast sent before the close may come first
                ws.receive_json()
        assert closed.value.code == 4403


def test_given_a_session_when_logged_out_then_the_open_wallboard_is_closed(center: Api) -> None:
    center.user("boss", "supervisor", sites=("sh", "bj"))
    browser = center.login("boss")
    with browser.websocket_connect("/ws/wallboard") as ws:
        snap = ws.receive_json()
        assert {a["agent_id"] for a in snap["agents"]} == {"a1", "a2", "b1"}  # both sites
        center.platform.security.users.update("boss", {"active": False})
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):
                ws.receive_json()
        assert closed.value.code == 4401


def test_given_an_agent_session_when_opening_the_wallboard_page_then_403(center: Api) -> None:
    center.user("agent-a1", "agent", agent_id="a1")
    browser = center.login("agent-a1")
    page = browser.get("/wallboard")
    assert page.status_code == 403 and "supervisors and admins" in page.text
    assert browser.get("/", follow_redirects=False).headers["location"] == "/desktop"
