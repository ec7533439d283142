"""Consultative transfer and the conference over the desktop's API: each step is a
command stored as an event (``ConsultStarted``, ``ConsultCompleted``, ``ConsultCancelled``,
``ConferenceStarted``, ``ConferenceEnded``); every refusal has its error id and stores
nothing; the consulted agent sees the contact but cannot act on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_helpers import Api, MakeApi

from kefu.domain import events as ev

V1 = "/api/v1"


@pytest.fixture
def call(make_api: MakeApi) -> Iterator[tuple[Api, str]]:
    """Voice queues billing and loans at site sh; agents a1, a2 (loans), a3 (loans, not
    ready), users ag1–ag3; one call active with a1, a2 ready."""
    with make_api() as api:
        client = api.client
        assert client.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海"}).is_success
        for queue in ("billing", "loans"):
            body = {"queue_id": queue, "site_id": "sh", "skills": {queue: 1}}
            assert client.post(f"{V1}/queues", json=body).is_success, queue
        for agent, skills in (("a1", {"billing": 5}), ("a2", {"loans": 5}), ("a3", {"loans": 5})):
            body = {"agent_id": agent, "site_id": "sh", "skills": skills}
            assert client.post(f"{V1}/agents", json=body).is_success
            api.user(f"ag{agent[1]}", "agent", sites=("sh",), agent_id=agent)
        assert client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).is_success
        made = client.post(f"{V1}/contacts", json={"queue_id": "billing"}).json()
        cid = made["contact_id"]
        accept = {"offer_id": made["offer_id"], "agent_id": "a1"}
        assert client.post(f"{V1}/contacts/{cid}/accept", json=accept).is_success
        assert client.post(f"{V1}/agents/a2/state", json={"presence": "ready"}).is_success
        yield api, cid


def _stored(api: Api, kind: type[ev.Event]) -> list[Any]:
    return [s.event for s in api.store.store.events if isinstance(s.event, kind)]


def _session(api: Api, user: str) -> tuple[httpx.Client, dict[str, str]]:
    browser = api.login(user)
    return browser, {"X-CSRF-Token": browser.get(f"{V1}/me").json()["csrf_token"]}


def _contact(screen: httpx.Response, cid: str) -> dict[str, Any] | None:
    return next((x for x in screen.json()["contacts"] if x["contact_id"] == cid), None)


def test_given_a_call_when_agent_consults_and_completes_then_the_consulted_agent_serves_it(
    call: tuple[Api, str],
) -> None:
    api, cid = call
    one, h1 = _session(api, "ag1")
    two, h2 = _session(api, "ag2")
    url = f"{V1}/desktop/contacts/{cid}/call"
    started = one.post(f"{url}/consult", json={"to_agent_id": "a2"}, headers=h1)
    assert started.status_code == 200, started.text
    contact = _contact(started, cid)
    assert contact is not None and contact["on_hold"] and contact["attributes"]["consult"] == "a2"
    # The consulted agent sees the call's context, is busy with it, and cannot act on it.
    theirs = two.get(f"{V1}/desktop")
    seen = _contact(theirs, cid)
    assert seen is not None and seen["agent_id"] == "a1"
    assert theirs.json()["agent"]["activity"] == "busy"
    assert two.get(f"{V1}/contacts/{cid}").status_code == 200  # the context, read only
    three, _ = _session(api, "ag3")
    assert three.get(f"{V1}/contacts/{cid}").status_code == 403
    before = api.event_count()
    refused = two.post(f"{url}/consult/complete", json={"note": "x"}, headers=h2)
    assert refused.status_code == 403, refused.text
    again = one.post(f"{url}/consult", json={"to_agent_id": "a3"}, headers=h1)
    assert again.status_code == 409 and again.json()["error_id"] == "consult_in_progress"
    blind = one.post(
        f"{V1}/desktop/contacts/{cid}/transfer", json={"to_agent_id": "a3"}, headers=h1
    )
    assert blind.status_code == 409 and blind.json()["error_id"] == "consult_in_progress"
    assert api.event_count() == before
    done = one.post(f"{url}/consult/complete", json={"note": "要办房贷"}, headers=h1)
    assert done.status_code == 200, done.text
    assert _contact(done, cid) is None  # a1 no longer holds it
    now = _contact(two.get(f"{V1}/desktop"), cid)
    assert now is not None and now["agent_id"] == "a2" and now["notes"] == ["要办房贷"]
    (completed,) = _stored(api, ev.ConsultCompleted)
    assert (completed.agent_id, completed.target_agent_id, completed.note) == (
        "a1",
        "a2",
        "要办房贷",
    )
    (transferred,) = _stored(api, ev.ContactTransferred)
    assert (transferred.from_agent_id, transferred.to_agent_id) == ("a1", "a2")


def test_given_a_consult_when_conferenced_and_ended_then_back_with_first_agent(
    call: tuple[Api, str],
) -> None:
    api, cid = call
    one, h1 = _session(api, "ag1")
    url = f"{V1}/desktop/contacts/{cid}/call"
    assert one.post(f"{url}/consult", json={"to_queue_id": "loans"}, headers=h1).is_success
    (started,) = _stored(api, ev.ConsultStarted)
    assert (started.target_agent_id, started.queue_id) == ("a2", "loans")
    conf = one.post(f"{url}/conference", headers=h1)
    assert conf.status_code == 200, conf.text
    contact = _contact(conf, cid)
    assert contact is not None and contact["attributes"]["conference"] == "a2"
    assert not contact["on_hold"]
    ended = one.post(f"{url}/conference/end", headers=h1)
    assert ended.status_code == 200, ended.text
    contact = _contact(ended, cid)
    assert contact is not None and "consult" not in contact["attributes"]
    assert [e.reason for e in _stored(api, ev.ConferenceEnded)] == ["cancelled"]
    # Cancelling a consult resumes the caller.
    assert one.post(f"{url}/consult", json={"to_agent_id": "a2"}, headers=h1).is_success
    back = one.post(f"{url}/consult/cancel", headers=h1)
    contact = _contact(back, cid)
    assert contact is not None and not contact["on_hold"]
    assert [e.reason for e in _stored(api, ev.ConsultCancelled)] == ["cancelled"]


def test_given_bad_consults_then_each_refused_with_its_error_and_nothing_stored(
    call: tuple[Api, str],
) -> None:
    api, cid = call
    one, h1 = _session(api, "ag1")
    url = f"{V1}/desktop/contacts/{cid}/call"
    before = api.event_count()
    cases = [
        ("consult", {"to_agent_id": "nobody"}, 404, "unknown_agent"),
        ("consult", {"to_agent_id": "a3"}, 409, "consult_target_busy"),  # not ready
        ("consult", {"to_agent_id": "a1"}, 422, "validation_error"),
        ("consult", {}, 422, "validation_error"),
        ("consult/cancel", None, 409, "no_consult"),
        ("consult/complete", {"note": "x"}, 409, "no_consult"),
        ("conference", None, 409, "no_consult"),
        ("conference/end", None, 409, "no_consult"),
    ]
    for path, body, status, error_id in cases:
        answer = one.post(f"{url}/{path}", json=body, headers=h1)
        assert (answer.status_code, answer.json()["error_id"]) == (status, error_id), (path, body)
    assert api.client.post(f"{V1}/agents/a2/state", json={"presence": "not_ready"}).is_success
    before = api.event_count()
    empty = one.post(
        f"{url}/consult", json={"to_queue_id": "loans"}, headers={**h1, "Accept-Language": "zh-CN"}
    )
    assert empty.status_code == 409 and empty.json()["error_id"] == "consult_no_agent"
    assert "没有空闲座席" in empty.json()["message"]
    assert api.event_count() == before
    assert not _stored(api, ev.ConsultStarted)


def test_given_a_chat_contact_when_consulted_then_refused_as_not_a_call(make_api: MakeApi) -> None:
    with make_api() as api:
        client = api.client
        assert client.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海"}).is_success
        queue = {"queue_id": "chat", "site_id": "sh", "channel": "chat"}
        assert client.post(f"{V1}/queues", json=queue).is_success
        for agent in ("a1", "a2"):
            assert client.post(f"{V1}/agents", json={"agent_id": agent, "site_id": "sh"}).is_success
        api.user("ag1", "agent", sites=("sh",), agent_id="a1")
        assert client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).is_success
        made = client.post(f"{V1}/contacts", json={"queue_id": "chat"}).json()
        cid = made["contact_id"]
        accept = {"offer_id": made["offer_id"], "agent_id": "a1"}
        assert client.post(f"{V1}/contacts/{cid}/accept", json=accept).is_success
        assert client.post(f"{V1}/agents/a2/state", json={"presence": "ready"}).is_success
        one, h1 = _session(api, "ag1")
        before = api.event_count()
        answer = one.post(
            f"{V1}/desktop/contacts/{cid}/call/consult", json={"to_agent_id": "a2"}, headers=h1
        )
        assert answer.status_code == 409 and "not a call" in answer.json()["message"]
        assert api.event_count() == before
