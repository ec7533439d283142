"""``/api/v1/desktop/softphone``: the browser softphone's signalling. Agents only, each its
own calls only; without a telephone front door nothing rings and answering or choosing an
endpoint is refused; an agent chooses where its calls ring;
with kefu's media engine and softphones attached, a ringing call shows kefu's PCMU offer
to its agent alone, a bad answer is refused with the reason, and hanging up ends the leg."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import Api

from kefu.adapters.voice.media import MediaEngine
from kefu.adapters.voice.port import CallEnded, VoiceEvent
from kefu.adapters.voice.softphones import Softphones

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


def test_given_a_call_ringing_for_a1_when_each_agent_acts_then_only_a1_reaches_it(
    agents: Api, phones: tuple[Softphones, list[VoiceEvent]]
) -> None:
    softphones, events = phones
    a1, a2 = agents.token("agent-a1"), agents.token("agent-a2")
    assert softphones.endpoint("a1") == "browser" and softphones.endpoint("a2") == "sip"
    leg_id = agents.client.portal.call(softphones.ring, "a1", "13800000000")
    ringing = agents.client.get(URL, headers=a1)
    assert ringing.status_code == 200, ringing.text
    assert ringing.json()["endpoint"] == "browser"
    call: dict[str, Any] = ringing.json()["call"]
    assert call["leg_id"] == leg_id and call["caller"] == "13800000000"
    assert "PCMU/8000" in call["sdp"] and "opus" not in call["sdp"].lower()
    # a2 sees nothing and cannot answer or hang up a1's call.
    assert agents.client.get(URL, headers=a2).json() == {"endpoint": "sip", "call": None}
    other = agents.client.post(f"{URL}/{leg_id}/answer", json={"sdp": "v=0\r\n"}, headers=a2)
    assert (other.status_code, other.json()["error_id"]) == (404, "softphone_no_call")
    assert agents.client.post(f"{URL}/{leg_id}/hangup", headers=a2).status_code == 404
    # A bad answer is refused with the reason; the call still rings.
    bad = agents.client.post(f"{URL}/{leg_id}/answer", json={"sdp": "hello"}, headers=a1)
    assert (bad.status_code, bad.json()["error_id"]) == (422, "softphone_bad_sdp")
    assert agents.client.get(URL, headers=a1).json()["call"]["leg_id"] == leg_id
    # Declining ends the leg as refused.
    assert agents.client.post(f"{URL}/{leg_id}/hangup", headers=a1).status_code == 204
    assert CallEnded(leg_id, "rejected") in events
    assert agents.client.get(URL, headers=a1).json()["call"] is None


def test_given_a_front_door_when_an_agent_chooses_its_endpoint_then_its_calls_go_there(
    agents: Api, phones: tuple[Softphones, list[VoiceEvent]]
) -> None:
    softphones, _events = phones
    a2 = agents.token("agent-a2")
    put = agents.client.put(f"{URL}/endpoint", json={"endpoint": "browser"}, headers=a2)
    assert put.status_code == 204
    assert softphones.endpoint("a2") == "browser"
    assert agents.client.get(URL, headers=a2).json()["endpoint"] == "browser"
    bad = agents.client.put(f"{URL}/endpoint", json={"endpoint": "fax"}, headers=a2)
    assert bad.status_code == 422
    assert softphones.endpoint("a2") == "browser"  # unchanged by the refused request
    back = agents.client.put(f"{URL}/endpoint", json={"endpoint": "sip"}, headers=a2)
    assert back.status_code == 204 and softphones.endpoint("a2") == "sip"
