"""An overflow step naming a queue of another routing domain: accepted only for another
domain of the cluster's configuration (``KEFU_ROUTING_DOMAINS``), refused with a clear 4xx
otherwise; when it falls due the contact waits in its queue, marked for the hand-over
the leader makes (``ContactOverflowedOut``)."""

from __future__ import annotations

from typing import Any

from api_helpers import Api, MakeApi

from kefu.domain import events as ev

V1 = "/api/v1"
CLUSTER = {"routing_domain": "north", "routing_domains": "north, south"}


def _queue(domain: str | None, queue_id: str | None = "loans") -> dict[str, Any]:
    step: dict[str, Any] = {"after_s": 30, "queue_id": queue_id}
    if domain is not None:
        step["domain"] = domain
    return {"queue_id": "voice", "site_id": "bj", "overflow": [step]}


def test_given_no_cluster_when_an_overflow_step_names_a_domain_then_it_is_refused(
    make_api: MakeApi,
) -> None:
    with make_api() as api:
        c = api.client
        assert c.post(f"{V1}/sites", json={"site_id": "bj", "name": "北京"}).status_code == 201
        refused = c.post(f"{V1}/queues", json=_queue("south"))
        assert refused.status_code == 422, refused.text
        assert refused.json()["error_id"] == "unknown_routing_domain"
        assert c.get(f"{V1}/queues/voice").status_code == 404


def test_given_a_cluster_when_a_step_names_an_unknown_or_its_own_domain_then_4xx_names_it(
    make_api: MakeApi,
) -> None:
    with make_api(**CLUSTER) as api:
        c = api.client
        assert c.post(f"{V1}/sites", json={"site_id": "bj", "name": "北京"}).status_code == 201
        for domain in ("west", "north"):
            refused = c.post(f"{V1}/queues", json=_queue(domain))
            assert refused.status_code == 422, refused.text
            body = refused.json()
            assert body["error_id"] == "unknown_routing_domain"
            assert body["details"]["domain"] == domain and body["details"]["known"] == "south"
        no_queue = c.post(f"{V1}/queues", json=_queue("south", queue_id=None))
        assert no_queue.status_code == 422, no_queue.text
        assert not [e for e in api.store.store.events if isinstance(e.event, ev.QueueDefined)]


def test_given_a_step_to_another_domain_when_it_falls_due_then_the_contact_waits_marked(
    make_api: MakeApi,
) -> None:
    with make_api(**CLUSTER) as api:
        c = api.client
        assert c.post(f"{V1}/sites", json={"site_id": "bj", "name": "北京"}).status_code == 201
        made = c.post(f"{V1}/queues", json=_queue("south"))
        assert made.status_code == 201, made.text
        assert made.json()["overflow"] == [
            {"after_s": 30.0, "skills": None, "queue_id": "loans", "domain": "south"}
        ]
        contact_id = c.post(f"{V1}/contacts", json={"queue_id": "voice"}).json()["contact_id"]
        api.clock.advance(29)
        assert _due(api) == []
        api.clock.advance(2)
        seen = c.get(f"{V1}/contacts/{contact_id}").json()
        assert seen["state"] == "queued" and seen["queue_id"] == "voice"
        assert _due(api) == [(contact_id, "south", "loans")]
        events = [stored.event for stored in api.store.store.events]
        out = [e for e in events if isinstance(e, ev.ContactOverflowedOut)]
        assert [(e.contact_id, e.step, e.to_domain, e.to_queue_id) for e in out] == [
            (contact_id, 1, "south", "loans")
        ]
        # An abandoned contact is no longer due.
        assert c.post(f"{V1}/contacts/{contact_id}/abandon").status_code == 200
        assert _due(api) == []


def _due(api: Api) -> list[tuple[str, str, str]]:
    """The hand-overs due now (read between requests: the app is idle)."""
    return api.platform.engine.router.waiting_handovers()
