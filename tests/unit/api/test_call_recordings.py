"""Call recordings over HTTP: the agent pauses and resumes a recorded call, a recording is
played by those who may read the contact (each access logged as ``RecordingPlayed``), and
the retention sweep deletes old files and logs ``RecordingDeleted``."""

from __future__ import annotations

import os
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import Api, MakeApi

from kefu.adapters.voice.retention import DAY_S, sweep_recordings
from kefu.domain import events as ev
from kefu.service.channels.views import recording_state
from kefu.service.routing import commands as c

V1 = "/api/v1"


@pytest.fixture
def recorded(make_api: MakeApi, tmp_path: Path) -> Iterator[tuple[Api, str]]:
    """Site sh with voice queue billing and agent a1 (user ag1), site bj with agent b1
    (user bg1); supervisors sup-sh and sup-bj; one call of a1's, active and recorded into
    ``<contact id>.wav`` (one second of a stereo WAV)."""
    with make_api(sip_call_recordings_dir=str(tmp_path)) as api:
        client = api.client
        for site in ("sh", "bj"):
            assert client.post(f"{V1}/sites", json={"site_id": site, "name": site}).is_success
            api.user(f"sup-{site}", "supervisor", sites=(site,))
        assert client.post(f"{V1}/queues", json={"queue_id": "billing", "site_id": "sh"}).is_success
        for agent, site in (("a1", "sh"), ("b1", "bj")):
            body = {"agent_id": agent, "site_id": site}
            assert client.post(f"{V1}/agents", json=body).is_success
            api.user(f"{agent[0]}g1", "agent", sites=(site,), agent_id=agent)
        assert client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).is_success
        made = client.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
        cid = made["contact_id"]
        accept = {"offer_id": made["offer_id"], "agent_id": "a1"}
        assert client.post(f"{V1}/contacts/{cid}/accept", json=accept).is_success
        with wave.open(str(tmp_path / f"{cid}.wav"), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(b"\x01\x00" * 16000)
        client.portal.call(api.platform.engine.execute, c.RecordCall(cid, f"{cid}.wav"))  # type: ignore[union-attr]
        yield api, cid


def _stored(api: Api, kind: type[ev.Event]) -> list[Any]:
    return [s.event for s in api.store.store.events if isinstance(s.event, kind)]


def test_given_a_recorded_call_when_its_agent_pauses_and_resumes_then_both_are_logged(
    recorded: tuple[Api, str],
) -> None:
    api, cid = recorded
    agent = api.token("ag1")
    paused = api.client.post(f"{V1}/contacts/{cid}/recording/pause", headers=agent)
    assert paused.status_code == 200 and paused.json()["attributes"]["recording_paused"] == "a1"
    before = api.event_count()
    again = api.client.post(f"{V1}/contacts/{cid}/recording/pause", headers=agent)
    assert again.status_code == 409 and again.json()["error_id"] == "invalid_state"
    other = api.client.post(f"{V1}/contacts/{cid}/recording/resume", headers=api.token("bg1"))
    assert other.status_code == 404  # another site's agent does not see the contact
    assert api.event_count() == before
    resumed = api.client.post(f"{V1}/contacts/{cid}/recording/resume", headers=agent)
    assert resumed.status_code == 200 and "recording_paused" not in resumed.json()["attributes"]
    assert [e.agent_id for e in _stored(api, ev.RecordingPaused)] == ["a1"]
    assert [e.agent_id for e in _stored(api, ev.RecordingResumed)] == ["a1"]
    # A call without a recording cannot be paused (nothing stored).
    assert api.client.post(f"{V1}/contacts/{cid}/complete").is_success
    api.client.post(f"{V1}/contacts/{cid}/end-wrapup")
    made = api.client.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
    accept = {"offer_id": made["offer_id"], "agent_id": "a1"}
    took = api.client.post(f"{V1}/contacts/{made['contact_id']}/accept", json=accept)
    assert took.status_code == 200, (made, took.text)
    plain = api.client.post(f"{V1}/contacts/{made['contact_id']}/recording/pause", headers=agent)
    assert plain.status_code == 409, plain.text
    assert "not being recorded" in plain.json()["message"]


def test_given_a_recording_when_users_play_it_then_only_those_who_see_the_contact_get_it(
    recorded: tuple[Api, str], tmp_path: Path
) -> None:
    api, cid = recorded
    wav = (tmp_path / f"{cid}.wav").read_bytes()
    url = f"{V1}/contacts/{cid}/recording"
    for user in ("ag1", "sup-sh", "root"):
        played = api.client.get(url, headers=api.token(user))
        assert played.status_code == 200, (user, played.text)
        assert played.headers["content-type"] == "audio/wav" and played.content == wav
    # The desktop's player: the agent's browser session (cookie), no token.
    browser = api.login("ag1")
    assert browser.get(url).content == wav
    before = api.event_count()
    for user in ("bg1", "sup-bj"):
        refused = api.client.get(url, headers=api.token(user))
        assert refused.status_code == 404 and refused.json()["error_id"] == "unknown_contact"
    assert api.event_count() == before
    audit = _stored(api, ev.RecordingPlayed)
    assert [(e.user, e.recording) for e in audit] == [
        (user, f"{cid}.wav") for user in ("ag1", "sup-sh", "root", "ag1")
    ]
    assert api.client.get(f"{V1}/contacts/nobody/recording").status_code == 404


def test_given_recordings_past_retention_when_swept_then_deleted_logged_and_not_playable(
    recorded: tuple[Api, str], tmp_path: Path
) -> None:
    api, cid = recorded
    old = tmp_path / f"{cid}.wav"
    long_ago = time.time() - 91 * DAY_S
    os.utime(old, (long_ago, long_ago))
    fresh = tmp_path / "other.wav"
    fresh.write_bytes(b"RIFF")
    engine = api.platform.engine
    swept = api.client.portal.call(sweep_recordings, engine, tmp_path, 90 * DAY_S)  # type: ignore[union-attr]
    assert swept == {old.name: cid}
    assert not old.exists() and fresh.exists()
    (deleted,) = _stored(api, ev.RecordingDeleted)
    assert (deleted.contact_id, deleted.recording, deleted.reason) == (cid, old.name, "retention")
    contact = api.client.get(f"{V1}/contacts/{cid}").json()
    assert recording_state(contact["attributes"]) == "retention"
    gone = api.client.get(f"{V1}/contacts/{cid}/recording")
    assert gone.status_code == 404 and gone.json()["error_id"] == "no_recording"
    assert api.client.portal.call(sweep_recordings, engine, tmp_path, 90 * DAY_S) == {}  # type: ignore[union-attr]


def test_given_the_agent_desktop_when_it_pauses_and_holds_then_the_contact_shows_it(
    recorded: tuple[Api, str],
) -> None:
    """The desktop's buttons: pause/resume the recording and hold/resume the call of the
    agent's own contact (browser session with the CSRF header)."""
    api, cid = recorded
    browser = api.login("ag1")
    headers = {"X-CSRF-Token": browser.get(f"{V1}/me").json()["csrf_token"]}

    def shown() -> dict[str, Any]:
        view = browser.get(f"{V1}/desktop").json()
        (contact,) = [x for x in view["contacts"] if x["contact_id"] == cid]
        return contact

    for path in ("recording/pause", "call/hold"):
        done = browser.post(f"{V1}/desktop/contacts/{cid}/{path}", headers=headers)
        assert done.status_code == 200, done.text
    contact = shown()
    assert contact["on_hold"] and contact["attributes"]["recording_paused"] == "a1"
    for path in ("recording/resume", "call/resume"):
        assert browser.post(f"{V1}/desktop/contacts/{cid}/{path}", headers=headers).is_success
    contact = shown()
    assert not contact["on_hold"] and "recording_paused" not in contact["attributes"]
    bad = browser.post(f"{V1}/desktop/contacts/{cid}/call/dance", headers=headers)
    assert bad.status_code == 422
