"""The public branch kiosk over HTTP: taking a number and asking for an SMS instead of
waiting are limited per client address (429, Retry-After, a reason in English and Chinese,
nothing stored), and an SMS requested at the kiosk goes out when the turn nears."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from channels_server_helpers import Center, open_center
from fastapi.testclient import TestClient

from kefu.domain.model import Channel
from kefu.service.channels import OutboundReply


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
        assert refused.json()["message"].startswith("too many requests from this kiosk")
        # A kiosk page in Chinese is told in Chinese.
        chinese = hall.client.post(
            "/api/v1/branch/tickets", json=body, headers={"Accept-Language": "zh-CN"}
        )
        assert chinese.status_code == 429 and "秒后再试" in chinese.json()["message"]
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


class Texts:
    """The hall's SMS gateway: keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"sms-{len(self.sent) + 1}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


def test_given_kiosk_tickets_when_sms_is_chosen_instead_of_waiting_then_texted_as_the_turn_nears(
    center: Center,
) -> None:
    texts = Texts()
    center.channels.set_gateway(Channel.BRANCH, texts)
    for _ in range(5):
        assert center.api(None, "POST", "/branch/tickets", {"queue_id": "hall"}).status_code == 201
    with_phone = center.api(
        None, "POST", "/branch/tickets", {"queue_id": "hall", "phone": "13900001111"}
    ).json()
    without = center.api(None, "POST", "/branch/tickets", {"queue_id": "hall"}).json()
    assert (with_phone["ahead"], without["ahead"]) == (5, 6)
    for ticket, phone in ((with_phone, "13900001111"), (without, "139 0000 2222")):
        taken = center.api(
            None, "POST", f"/branch/tickets/{ticket['contact_id']}/sms", {"phone": phone}
        )
        assert taken.status_code == 200 and taken.json()["callback"] is True, taken.text
    bad = center.api(None, "POST", f"/branch/tickets/{without['contact_id']}/sms", {"phone": "abc"})
    assert bad.status_code == 422 and bad.json()["message"]
    unknown = center.api(None, "POST", "/branch/tickets/nope/sms", {"phone": "13900003333"})
    assert unknown.status_code == 404
    called = center.api("a1", "POST", "/branch/counter/next")  # a1 takes A001
    assert called.status_code == 200, called.text
    for _ in range(2):  # A001 done, A002 and then A003 called: 3 and then 2 ahead of mine
        center.api("a1", "POST", "/branch/counter/next")
    deadline = time.monotonic() + 5
    while len(texts.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    addresses = sorted(reply.route.address for reply in texts.sent)
    assert addresses == ["+8613900001111", "+8613900002222"]
    assert all(  # in the customer's language only (the site's default: nothing else told)
        "请回到营业厅" in reply.text and "Please come back" not in reply.text
        for reply in texts.sent
    )
