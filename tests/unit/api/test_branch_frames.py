"""The branch hall's answers byte for byte: a hall on the manual clock (two services, a
ticket taken by name and one with a phone that asks for an SMS instead, a counter calling
the next number and pausing) gives the exact JSON text recorded in ``golden/`` for the
kiosk's services and tickets, the hall display and the counter. The read models behind
them may change; what the kiosk, the display and the counter receive may not."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from api_helpers import Api, MakeApi

from kefu.domain.model import AgentSpec, Channel
from kefu.service.routing import commands as c

V1 = "/api/v1/branch"
GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("KEFU_RECORD_GOLDEN") == "1"
"""Set to 1 to rewrite the golden files from what the code sends now."""


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if RECORD:
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


@pytest.fixture
def hall(api: Api) -> Api:
    """Site sh with two branch services and two counters (agents k1, k2)."""
    client = api.client
    assert (
        client.post("/api/v1/sites", json={"site_id": "sh", "name": "上海中心"}).status_code == 201
    )
    for body in (
        {"queue_id": "cash", "site_id": "sh", "channel": "branch", "name": "现金 Cash"},
        {"queue_id": "loans", "site_id": "sh", "channel": "branch"},
    ):
        assert client.post("/api/v1/queues", json=body).status_code == 201, body
    for agent_id, name in (("k1", "一号窗口"), ("k2", "")):
        spec = AgentSpec(agent_id, capacity={Channel.BRANCH: 1}, site_id="sh", name=name)
        client.portal.call(api.platform.engine.execute, c.DefineAgent(spec))
    api.user("counter-k1", "agent", sites=("sh",), agent_id="k1")
    return api


def _ok(answer: Any, code: int = 200) -> str:
    assert answer.status_code == code, answer.text
    text: str = answer.text
    return text


def test_given_a_hall_when_tickets_are_taken_and_called_then_the_answers_are_byte_identical(
    hall: Api,
) -> None:
    client, clock = hall.client, hall.clock
    counter = hall.token("counter-k1")
    first = client.post(f"{V1}/tickets", json={"queue_id": "cash", "name": "张三"})
    _check("branch_ticket.json", _ok(first, 201))
    clock.advance(30)
    second = client.post(f"{V1}/tickets", json={"queue_id": "cash", "phone": "13800138000"})
    _ok(second, 201)
    client.post(f"{V1}/tickets", json={"queue_id": "loans", "name": "Li Lei"})
    clock.advance(15)
    sms = client.post(
        f"{V1}/tickets/{second.json()['contact_id']}/sms", json={"phone": "13800138000"}
    )
    _check("branch_sms.json", _ok(sms))
    _check("branch_services.json", _ok(client.get(f"{V1}/services")))
    clock.advance(60)
    _check("branch_next.json", _ok(client.post(f"{V1}/counter/next", headers=counter)))
    clock.advance(120)
    _check("branch_next_again.json", _ok(client.post(f"{V1}/counter/next", headers=counter)))
    _check("branch_pause.json", _ok(client.post(f"{V1}/counter/pause", headers=counter)))
    _check("branch_counter.json", _ok(client.get(f"{V1}/counter", headers=counter)))
    _check("branch_display.json", _ok(client.get(f"{V1}/display")))
    ticket = client.get(f"{V1}/tickets/{first.json()['contact_id']}")
    _check("branch_ticket_read.json", _ok(ticket))


def test_given_the_kiosk_flow_when_an_option_is_tapped_then_the_ticket_is_byte_identical(
    make_api: MakeApi,
) -> None:
    with make_api(ivr_flows="branch=hall") as api:
        client = api.client
        assert (
            client.post("/api/v1/sites", json={"site_id": "hall", "name": "营业厅"}).status_code
            == 201
        )
        for queue_id in ("hall-cash", "hall-account"):
            body = {"queue_id": queue_id, "site_id": "hall", "channel": "branch"}
            assert client.post("/api/v1/queues", json=body).status_code == 201
        api.clock.advance(5)
        made = client.post(f"{V1}/tickets", json={"flow": "hall", "answers": ["1"], "name": "王芳"})
        _check("branch_kiosk_ticket.json", _ok(made, 201))
