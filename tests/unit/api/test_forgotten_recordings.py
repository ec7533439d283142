"""Recordings of contacts the router has forgotten (as a snapshot forgets the contacts
finished long ago): played from the store's record of the contact with the same rights and
the same audit as a live one, and the contact kept on the customer's timeline."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import Api, MakeApi

from kefu.domain import events as ev
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import Inbound
from kefu.service.engine import RoutingEngine
from kefu.service.routing import commands as c

V1 = "/api/v1"


def _forget(api: Api) -> int:
    """Forget every finished contact, as a snapshot does a day after they finished (their
    report rows, written a moment after their events, stored first)."""

    def forget(engine: RoutingEngine) -> int:
        return engine.router.forget_finished(float("inf"))

    engine = api.platform.engine
    portal = api.client.portal
    assert portal is not None
    portal.call(engine.settle_reports)
    return int(portal.call(engine.query, forget))


def _stored(api: Api, kind: type[ev.Event]) -> list[Any]:
    return [s.event for s in api.store.store.events if isinstance(s.event, kind)]


@pytest.fixture
def forgotten(make_api: MakeApi, tmp_path: Path) -> Iterator[tuple[Api, str, str]]:
    """Site sh with voice queue billing and agents a1 (user ag1), a2 (user ag2); site bj
    with agent b1 (user bg1); supervisors sup-sh and sup-bj. A customer's call to billing,
    answered by a1, recorded into ``<contact id>.wav``, completed, then forgotten by the
    router: (api, contact id, customer id)."""
    with make_api(sip_call_recordings_dir=str(tmp_path)) as api:
        client = api.client
        for site in ("sh", "bj"):
            assert client.post(f"{V1}/sites", json={"site_id": site, "name": site}).is_success
            api.user(f"sup-{site}", "supervisor", sites=(site,))
        queue = {"queue_id": "billing", "site_id": "sh", "name": "账单", "wrapup_s": 0}
        assert client.post(f"{V1}/queues", json=queue).is_success
        for agent, site in (("a1", "sh"), ("a2", "sh"), ("b1", "bj")):
            body = {"agent_id": agent, "site_id": site}
            assert client.post(f"{V1}/agents", json=body).is_success
            api.user(f"{agent[0]}g{agent[1]}", "agent", sites=(site,), agent_id=agent)
        assert client.post(f"{V1}/agents/a1/state", json={"presence": "ready"}).is_success
        channels = api.platform.channels
        assert channels is not None
        inbound = Inbound(
            Channel.VOICE, (Identifier(IdentifierKind.PHONE, "13800138000"),), "来电",
            api.clock.now(), "call:1", topic="billing",
        )  # fmt: skip
        receipt = client.portal.call(channels.receive, inbound)  # type: ignore[union-attr]
        cid = str(receipt.contact_id)
        conv = channels.state.conversation(receipt.conversation_id)
        customer = channels.state.directory.resolve(conv.customer_id)
        offered = client.get(f"{V1}/contacts/{cid}").json()
        accept = {"offer_id": offered["offer_id"], "agent_id": "a1"}
        assert client.post(f"{V1}/contacts/{cid}/accept", json=accept).is_success
        with wave.open(str(tmp_path / f"{cid}.wav"), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes("录音".encode() * 4000)
        client.portal.call(api.platform.engine.execute, c.RecordCall(cid, f"{cid}.wav"))  # type: ignore[union-attr]
        api.clock.advance(60.0)
        assert client.post(f"{V1}/contacts/{cid}/complete").is_success
        client.post(f"{V1}/contacts/{cid}/end-wrapup")
        assert _forget(api) >= 1
        assert client.get(f"{V1}/contacts/{cid}").status_code == 404
        yield api, cid, customer


def test_given_a_forgotten_contact_when_users_play_its_recording_then_rights_and_audit_hold(
    forgotten: tuple[Api, str, str], tmp_path: Path
) -> None:
    api, cid, _ = forgotten
    wav = (tmp_path / f"{cid}.wav").read_bytes()
    url = f"{V1}/contacts/{cid}/recording"
    for user in ("ag1", "sup-sh", "root"):
        played = api.client.get(url, headers=api.token(user))
        assert played.status_code == 200, (user, played.text)
        assert played.headers["content-type"] == "audio/wav" and played.content == wav
    before = api.event_count()
    for user in ("bg1", "sup-bj"):
        refused = api.client.get(url, headers=api.token(user))
        assert refused.status_code == 404 and refused.json()["error_id"] == "unknown_contact"
    other = api.client.get(url, headers=api.token("ag2"))  # same site, not its contact
    assert other.status_code == 403, other.text
    assert api.event_count() == before
    audit = _stored(api, ev.RecordingPlayed)
    assert [(e.contact_id, e.user, e.recording) for e in audit] == [
        (cid, user, f"{cid}.wav") for user in ("ag1", "sup-sh", "root")
    ]
    assert api.client.get(f"{V1}/contacts/nobody/recording").status_code == 404


def test_given_a_forgotten_contact_when_its_customer_timeline_is_read_then_it_is_there(
    forgotten: tuple[Api, str, str],
) -> None:
    api, cid, customer = forgotten
    story = api.client.get(f"{V1}/customers/{customer}/timeline", headers=api.token("sup-sh"))
    assert story.status_code == 200, story.text
    (item,) = [i for i in story.json()["items"] if i["kind"] == "contact"]
    assert item["contact_id"] == cid and item["channel"] == "voice"
    assert (item["state"], item["agent_id"], item["recording"]) == ("completed", "a1", "kept")
    assert item["queues"] == ["billing"] and item["queue_names"] == ["账单"]
    other = api.client.get(f"{V1}/customers/{customer}/timeline", headers=api.token("sup-bj"))
    assert other.status_code == 404 and other.json()["error_id"] == "unknown_customer"
    by_phone = api.client.get(f"{V1}/customers/phone:13800138000/timeline")
    assert [i["contact_id"] for i in by_phone.json()["items"] if i["kind"] == "contact"] == [cid]


def test_given_a_forgotten_contact_whose_recording_was_deleted_when_played_then_404(
    forgotten: tuple[Api, str, str],
) -> None:
    api, cid, customer = forgotten
    engine = api.platform.engine
    deleted = c.DeleteRecording(cid, f"{cid}.wav", "retention")
    api.client.portal.call(engine.execute, deleted)  # type: ignore[union-attr]
    before = api.event_count()
    gone = api.client.get(f"{V1}/contacts/{cid}/recording", headers=api.token("sup-sh"))
    assert gone.status_code == 404 and gone.json()["error_id"] == "no_recording"
    assert api.event_count() == before
    story = api.client.get(f"{V1}/customers/{customer}/timeline").json()["items"]
    assert [i["recording"] for i in story if i["kind"] == "contact"] == ["retention"]


def test_given_a_forgotten_contact_when_its_customer_panel_and_page_are_read_then_playable(
    forgotten: tuple[Api, str, str],
) -> None:
    api, cid, customer = forgotten
    panel = api.client.get(f"{V1}/customers/{customer}", headers=api.token("sup-sh"))
    assert panel.status_code == 200, panel.text
    (entry,) = [e for e in panel.json()["timeline"] if e["contact_id"] == cid]
    assert (entry["queue_id"], entry["agent_id"], entry["recording"]) == ("billing", "a1", "kept")
    other = api.client.get(f"{V1}/customers/{customer}", headers=api.token("sup-bj"))
    assert other.status_code == 404
    page = api.login("sup-sh").get(f"/customers/{customer}")
    assert page.status_code == 200
    assert f'src="/api/v1/contacts/{cid}/recording"' in page.text
    assert api.login("sup-bj").get(f"/customers/{customer}").status_code == 404


def test_given_a_forgotten_contact_when_its_customer_calls_again_then_the_desktop_shows_it(
    forgotten: tuple[Api, str, str],
) -> None:
    api, cid, customer = forgotten
    channels = api.platform.channels
    assert channels is not None
    again = Inbound(
        Channel.VOICE, (Identifier(IdentifierKind.PHONE, "13800138000"),), "又来电",
        api.clock.now(), "call:2", topic="billing",
    )  # fmt: skip
    receipt = api.client.portal.call(channels.receive, again)  # type: ignore[union-attr]
    new = str(receipt.contact_id)
    offered = api.client.get(f"{V1}/contacts/{new}").json()
    accept = {"offer_id": offered["offer_id"], "agent_id": "a1"}
    assert api.client.post(f"{V1}/contacts/{new}/accept", json=accept).is_success

    def shown(screen: dict[str, Any]) -> dict[str, Any]:
        (held,) = [h for h in screen["contacts"] if h["contact_id"] == new]
        assert held["customer"]["customer_id"] == customer
        (entry,) = [e for e in held["customer"]["timeline"] if e["contact_id"] == cid]
        return dict(entry)

    # The agent's screen (as the API and the socket give it): the forgotten call with its
    # queue, agent and recording, from the store's record.
    screen = api.client.get(f"{V1}/desktop", headers=api.token("ag1")).json()
    entry = shown(screen)
    assert (entry["queue_id"], entry["agent_id"], entry["recording"]) == ("billing", "a1", "kept")
    assert entry["outcome"] == "completed"
    # Its recording deleted by retention: the screen says so next time.
    deleted = c.DeleteRecording(cid, f"{cid}.wav", "retention")
    api.client.portal.call(api.platform.engine.execute, deleted)  # type: ignore[union-attr]
    screen = api.client.get(f"{V1}/desktop", headers=api.token("ag1")).json()
    assert shown(screen)["recording"] == "retention"
