"""The public branch kiosk over HTTP: taking a number and asking for an SMS instead of
waiting are limited per client address (429, Retry-After, a reason in English and Chinese,
nothing stored), and an SMS requested at the kiosk goes out when the turn nears."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_server_helpers import Center, open_center
from fastapi.testclient import TestClient


@pytest.fixture
def hall() -> Iterator[Center]:
    with open_center(kiosk_max_requests_per_address=3, kiosk_window_s=3600) as center:
        yield center


def test_given_a_kiosk_address_over_its_limit_when_taking_a_number_then_429_and_nothing_stored(
    hall: Center,
) -> None:
    first = hall.api(None, "POST", "/branch/tickets", {"queue_id": "hall"})
    assert first.status_code == 201, first.text
    sms = hall.api(
        None, "POST", f"/branch/tickets/{first.json()['contact_id']}/sms", {"phone": "13900001111"}
    )
    assert sms.status_code == 200, sms.text
    assert hall.api(None, "POST", "/branch/tickets", {"queue_id": "hall"}).status_code == 201
    contacts = len(hall.platform.engine.router.contacts)
    records = hall.records()
    for body in ({"queue_id": "hall"}, {"queue_id": "hall", "phone": "13900002222"}):
        refused = hall.api(None, "POST", "/branch/tickets", body)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        message = refused.json()["message"]
        assert "too many requests" in message and "请" in message and "秒后再试" in message
    again = hall.api(
        None, "POST", f"/branch/tickets/{first.json()['contact_id']}/sms", {"phone": "13900003333"}
    )
    assert again.status_code == 429
    assert len(hall.platform.engine.router.contacts) == contacts and hall.records() == records
    assert hall.api(None, "GET", "/branch/services").status_code == 200  # reading is free
    ticket = hall.api(None, "GET", f"/branch/tickets/{first.json()['contact_id']}")
    assert ticket.status_code == 200 and ticket.json()["callback"] is True


def test_given_another_client_address_when_one_is_limited_then_it_still_takes_numbers(
    hall: Center,
) -> None:
    for _ in range(3):
        assert hall.api(None, "POST", "/branch/tickets", {"queue_id": "hall"}).status_code == 201
    assert hall.api(None, "POST", "/branch/tickets", {"queue_id": "hall"}).status_code == 429
    other = TestClient(hall.platform.app, client=("10.0.0.8", 50000))
    other.portal = hall.client.portal  # the running app's loop, not a second startup
    taken = other.post("/api/v1/branch/tickets", json={"queue_id": "hall"})
    assert taken.status_code == 201, taken.text
