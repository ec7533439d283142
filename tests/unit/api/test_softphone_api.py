"""``/api/v1/desktop/softphone``: the browser softphone's signalling. Agents only, each its
own calls only; without a telephone front door nothing rings and answering or choosing an
endpoint is refused; an agent chooses where its calls ring (logged: a restart keeps it);
with kefu's media engine and softphones attached, a ringing call is pushed on the agent's
desktop socket once kefu's PCMU offer is ready (a GET never waits for it), to its agent
alone, a bad answer is refused with the reason, and hanging up ends the leg (pushed too)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import Api
from fastapi.testclient import TestClient

from kefu.adapters.voice.media import MediaEngine
from kefu.adapters.voice.port import CallEnded, VoiceEvent
from kefu.adapters.voice.softphones import Softphones
from kefu.bootstrap import build_test
from kefu.config import Settings
from kefu.domain import events as ev

URL = "/api/v1/desktop/softphone"


@pytest.fixture
def agents(center: Api) -> Api:
    center.user("agent-a1", "agent", sites=("sh",), agent_id="a1")
    center.user("agent-a2", "agent", sites=("sh",), agent_id="a2")
    return center


@pytest.fixture
def phones(agents: Api) -> Iterator[tuple[Softphones, list[VoiceEvent]]]:
    """Softphones over a real media engine on the app's loop, attached to the desk."""
    events: list[VoiceEvent] = []
    portal = agents.client.portal
    engine = MediaEngine("127.0.0.1", events.append)
    portal.call(engine.start)
    softphones = Softphones("127.0.0.1", engine, events.append, {"a1"})
    desk = agents.platform.softphone
    assert desk is not None
    detach = desk.attach(softphones)
    try:
        yield softphones, events
    finally:
        detach()
        portal.call(softphones.close)
        portal.call(engine.stop)


def test_given_no_front_door_when_an_agent_asks_then_nothing_rings_and_answers_are_refused(
    agents: Api,
) -> None:
    a1 = agents.token("agent-a1")
    assert agents.client.get(URL, headers=a1).json() == {"endpoint": None, "call": None}
    chosen = agents.client.put(f"{URL}/endpoint", json={"endpoint": "browser"}, headers=a1)
    assert (chosen.status_code, chosen.json()["error_id"]) == (409, "softphone_offline")
    refused = agents.client.post(f"{URL}/web-1/answer", json={"sdp": "v=0"}, headers=a1)
    assert refused.status_code == 409
    assert refused.json()["error_id"] == "softphone_offline"


def test_given_a_supervisor_when_it_asks_for_the_softphone_then_403(agents: Api) -> None:
    agents.user("sup", "supervisor", sites=("sh",))
    answer = agents.client.get(URL, headers=agents.token("sup"))
    assert answer.status_code == 403


def _any(frame: dict[str, Any]) -> bool:
    del frame
    return True


def _softphone_frame(ws: Any, wanted: Any, timeout_s: float = 30.0) -> dict[str, Any]:
    """The next ``softphone`` frame of the desktop socket *ws* that *wanted* accepts (the
    socket's screen refresh every few seconds keeps ``receive_json`` from blocking)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == "softphone" and wanted(frame):
            return frame
    raise AssertionError("no such softphone frame")


def test_given_a_call_ringing_for_a1_when_each_agent_acts_then_only_a1_reaches_it(
    agents: Api, phones: tuple[Softphones, list[VoiceEvent]]
) -> None:
    softphones, events = phones
    a1, a2 = agents.token("agent-a1"), agents.token("agent-a2")
    assert softphones.endpoint("a1") == "browser" and softphones.endpoint("a2") == "sip"
    with agents.login("agent-a1").websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["type"] == "hello"
        first = _softphone_frame(ws, _any)
        assert first == {"type": "softphone", "endpoint": "browser", "call": None}
        leg_id = agents.client.portal.call(softphones.ring, "a1", "13800000000")
        # The GET answers at once while kefu prepares its offer (a worker may be starting).
        started = time.monotonic()
        early = agents.client.get(URL, headers=a1)
        assert early.status_code == 200 and time.monotonic() - started < 1.0
        assert early.json()["call"] in (None, agents.client.get(URL, headers=a1).json()["call"])
        # The socket pushes the ring when the offer is ready: no polling.
        rang = _softphone_frame(ws, lambda f: f["call"] is not None)
        call: dict[str, Any] = rang["call"]
        assert call["leg_id"] == leg_id and call["caller"] == "13800000000"
        assert call["state"] == "ringing"
        assert "PCMU/8000" in call["sdp"] and "opus" not in call["sdp"].lower()
        ringing = agents.client.get(URL, headers=a1)
        assert ringing.status_code == 200, ringing.text
        assert ringing.json() == {"endpoint": "browser", "call": call}
        # a2 sees nothing and cannot answer or hang up a1's call.
        assert agents.client.get(URL, headers=a2).json() == {"endpoint": "sip", "call": None}
        other = agents.client.post(f"{URL}/{leg_id}/answer", json={"sdp": "v=0\r\n"}, headers=a2)
        assert (other.status_code, other.json()["error_id"]) == (404, "softphone_no_call")
        assert agents.client.post(f"{URL}/{leg_id}/hangup", headers=a2).status_code == 404
        # A bad answer is refused with the reason; the call still rings.
        bad = agents.client.post(f"{URL}/{leg_id}/answer", json={"sdp": "hello"}, headers=a1)
        assert (bad.status_code, bad.json()["error_id"]) == (422, "softphone_bad_sdp")
        assert agents.client.get(URL, headers=a1).json()["call"]["leg_id"] == leg_id
        # Declining ends the leg as refused; the page hears it ended.
        assert agents.client.post(f"{URL}/{leg_id}/hangup", headers=a1).status_code == 204
        ended = _softphone_frame(ws, lambda f: f["call"] is None)
        assert ended == {"type": "softphone", "endpoint": "browser", "call": None}
    assert CallEnded(leg_id, "rejected") in events
    assert agents.client.get(URL, headers=a1).json()["call"] is None


def test_given_a_front_door_when_an_agent_chooses_its_endpoint_then_it_is_logged_and_kept(
    agents: Api, phones: tuple[Softphones, list[VoiceEvent]]
) -> None:
    softphones, _events = phones
    a2 = agents.token("agent-a2")
    with agents.login("agent-a2").websocket_connect("/ws/desktop") as ws:
        assert ws.receive_json()["type"] == "hello"
        assert _softphone_frame(ws, _any)["endpoint"] == "sip"
        put = agents.client.put(f"{URL}/endpoint", json={"endpoint": "browser"}, headers=a2)
        assert put.status_code == 204
        # The agent's open desktops hear it at once.
        assert _softphone_frame(ws, lambda f: f["endpoint"] == "browser")["call"] is None
    assert softphones.endpoint("a2") == "browser"
    assert agents.client.get(URL, headers=a2).json()["endpoint"] == "browser"
    bad = agents.client.put(f"{URL}/endpoint", json={"endpoint": "fax"}, headers=a2)
    assert bad.status_code == 422
    assert softphones.endpoint("a2") == "browser"  # unchanged by the refused request
    for endpoint in ("sip", "browser", "browser"):
        again = agents.client.put(f"{URL}/endpoint", json={"endpoint": endpoint}, headers=a2)
        assert again.status_code == 204 and softphones.endpoint("a2") == endpoint
    logged = [s.event for s in agents.store.store.events]
    chosen = [e for e in logged if isinstance(e, ev.SoftphoneEndpointChosen)]
    # Logged when it changes (choosing it again changes nothing), in its JSON form too.
    expected = [("a2", "browser"), ("a2", "sip"), ("a2", "browser")]
    assert [(e.agent_id, e.endpoint) for e in chosen] == expected
    assert ev.event_from_dict(ev.event_to_dict(chosen[0])) == chosen[0]
    restarted = build_test(Settings(env="test"), uow_factory=agents.store)
    with TestClient(restarted.app) as client:
        desk = restarted.softphone
        assert desk is not None
        assert desk.chosen("a2") == "browser" and desk.chosen("a1") is None
        events: list[VoiceEvent] = []
        engine = MediaEngine("127.0.0.1", events.append)
        # No KEFU_SIP_BROWSER_AGENTS after the restart: the log alone puts a2 in the browser.
        fresh = Softphones("127.0.0.1", engine, events.append)
        detach = desk.attach(fresh)
        try:
            assert fresh.endpoint("a2") == "browser" and fresh.endpoint("a1") == "sip"
            answer = client.get(URL, headers=agents.token("agent-a2"))
            assert answer.json() == {"endpoint": "browser", "call": None}
        finally:
            detach()


def test_given_an_unknown_endpoint_or_agent_when_the_router_is_asked_then_nothing_is_logged(
    agents: Api,
) -> None:
    from kefu.domain.errors import UnknownAgent, ValidationError
    from kefu.service.routing import ChooseEndpoint

    engine = agents.platform.engine
    before = agents.event_count()
    with pytest.raises(ValidationError) as bad:
        agents.client.portal.call(engine.execute, ChooseEndpoint("a2", "fax"))
    assert bad.value.text_key == "error.bad_endpoint"
    with pytest.raises(UnknownAgent):
        agents.client.portal.call(engine.execute, ChooseEndpoint("nobody", "browser"))
    assert agents.event_count() == before
