"""The desktop's hand-over to another routing domain, on a server in no cluster (one
process): no other domain's queue on the screen, and the hand-over refused with a clear
409 (``not_clustered``), nothing written."""

from __future__ import annotations

from api_helpers import Api

DESK = "/api/v1/desktop"


def test_given_one_process_when_an_agent_asks_for_a_handover_then_409_not_clustered(
    center: Api,
) -> None:
    center.user("wang", "agent", sites=("sh",), agent_id="a1")
    agent = center.token("wang")
    screen = center.client.get(DESK, headers=agent)
    assert screen.status_code == 200, screen.text
    assert "domains" not in screen.json()
    before = center.event_count()
    body = {"to_domain": "south", "to_queue_id": "loans", "note": ""}
    refused = center.client.post(f"{DESK}/contacts/c-1/handover", json=body, headers=agent)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error_id"] == "not_clustered"
    assert center.event_count() == before
