"""The desktop's call controls over HTTP: the agent mutes and unmutes its call and sends
keypad digits to the caller (each stored as an event: ``CallMuted``, ``CallUnmuted``,
``DigitsSentToCaller``); refusals store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_helpers import Api, MakeApi

from kefu.domain import events as ev
from kefu.domain.errors import InvalidState
from kefu.service.routing import commands as c

V1 = "/api/v1"


@pytest.fixture
def call(make_api: MakeApi) -> Iterator[tuple[Api, str]]:
    """Voice queue billing at site sh, agents a1 (user ag1) and a2 (user ag2); one call
    active with a1."""
    with make_api() as api:
        client = api.client
        assert client.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海"}).is_success
        assert client.post(f"{V1}/queues", json={"queue_id": "billing", "site_id": "sh"}).is_success
        for agent in ("a1", "a2"):
            assert client.post(f"{V1}/agents", json={"agent_id": agent, "site_id": "sh"}).is_success
            api.user(f"ag{agent[1]}", "agent", sites=("sh",), agent_id=agent)
        assert client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).is_success
        made = client.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
        cid = made["contact_id"]
        accept = {"offer_id": made["offer_id"], "agent_id": "a1"}
        assert client.post(f"{V1}/contacts/{cid}/accept", json=accept).is_success
        yield api, cid


def _stored(api: Api, kind: type[ev.Event]) -> list[Any]:
    return [s.event for s in api.store.store.events if isinstance(s.event, kind)]


def _session(api: Api, user: str) -> tuple[httpx.Client, dict[str, str]]:
    browser = api.login(user)
    return browser, {"X-CSRF-Token": browser.get(f"{V1}/me").json()["csrf_token"]}


def test_given_an_agents_call_when_it_mutes_and_unmutes_then_the_contact_shows_it_and_logs_both(
    call: tuple[Api, str],
) -> None:
    api, cid = call
    browser, headers = _session(api, "ag1")
    muted = browser.post(f"{V1}/desktop/contacts/{cid}/call/mute", headers=headers)
    assert muted.status_code == 200, muted.text
    (contact,) = [x for x in muted.json()["contacts"] if x["contact_id"] == cid]
    assert contact["attributes"]["muted"] == "a1"
    before = api.event_count()
    again = browser.post(f"{V1}/desktop/contacts/{cid}/call/mute", headers=headers)
    assert again.status_code == 409 and again.json()["error_id"] == "invalid_state"
    other, other_headers = _session(api, "ag2")
    theirs = other.post(f"{V1}/desktop/contacts/{cid}/call/unmute", headers=other_headers)
    assert theirs.status_code in (403, 404, 409), theirs.text  # not a2's call
    assert api.event_count() == before
    unmuted = browser.post(f"{V1}/desktop/contacts/{cid}/call/unmute", headers=headers)
    assert unmuted.status_code == 200, unmuted.text
    (contact,) = [x for x in unmuted.json()["contacts"] if x["contact_id"] == cid]
    assert "muted" not in contact["attributes"]
    assert [e.agent_id for e in _stored(api, ev.CallMuted)] == ["a1"]
    assert [e.agent_id for e in _stored(api, ev.CallUnmuted)] == ["a1"]
    twice = browser.post(f"{V1}/desktop/contacts/{cid}/call/unmute", headers=headers)
    assert twice.status_code == 409 and "not muted" in twice.json()["message"]


def test_given_an_agents_call_when_it_sends_digits_then_they_are_logged_and_bad_ones_refused(
    call: tuple[Api, str],
) -> None:
    api, cid = call
    browser, headers = _session(api, "ag1")
    url = f"{V1}/desktop/contacts/{cid}/digits"
    sent = browser.post(url, json={"digits": "12#*A"}, headers=headers)
    assert sent.status_code == 200, sent.text
    (logged,) = _stored(api, ev.DigitsSentToCaller)
    assert (logged.contact_id, logged.agent_id, logged.digits) == (cid, "a1", "12#*A")
    before = api.event_count()
    for digits in ("", "12x", "一二", "1" * 33):
        refused = browser.post(url, json={"digits": digits}, headers=headers)
        assert refused.status_code == 422, (digits, refused.text)
    # On hold the caller hears the music: keys are refused until the call is resumed.
    assert browser.post(f"{V1}/desktop/contacts/{cid}/call/hold", headers=headers).is_success
    held = api.event_count()
    on_hold = browser.post(url, json={"digits": "5"}, headers=headers)
    assert on_hold.status_code == 409 and "on hold" in on_hold.json()["message"], on_hold.text
    assert api.event_count() == held == before + 1  # only ContactHeld


def test_given_a_chat_contact_when_muted_then_refused_as_not_a_call(make_api: MakeApi) -> None:
    with make_api() as api:
        client = api.client
        assert client.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海"}).is_success
        queue = {"queue_id": "chat", "site_id": "sh", "channel": "chat"}
        assert client.post(f"{V1}/queues", json=queue).is_success
        assert client.post(f"{V1}/agents", json={"agent_id": "a1", "site_id": "sh"}).is_success
        assert client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).is_success
        made = client.post(f"{V1}/contacts", json={"queue_id": "chat"}).json()
        cid = made["contact_id"]
        accept = {"offer_id": made["offer_id"], "agent_id": "a1"}
        assert client.post(f"{V1}/contacts/{cid}/accept", json=accept).is_success
        before = api.event_count()
        for command in (c.MuteCall(cid), c.SendDigits(cid, "1")):
            with pytest.raises(InvalidState) as refused:
                client.portal.call(api.platform.engine.execute, command)  # type: ignore[union-attr]
            assert refused.value.text_key == "error.not_a_call"
        assert api.event_count() == before
