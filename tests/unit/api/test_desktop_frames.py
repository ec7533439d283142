"""The agent desktop's screen and its deltas byte for byte: a busy desktop on the manual
clock (an offer of a case task, a voice call handed off by the IVR, a chat held with its
messages, notes and customer panel, a chat in wrap-up) gives the exact JSON text recorded
in ``golden/``, from ``GET /api/v1/desktop`` and from ``/ws/desktop`` (the hello, the
screen and a new message's delta). The read models behind them may change; what the route
and the page receive may not."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from api_helpers import Api

from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import AgentSpec, Channel
from kefu.service.channels import ChannelService, Inbound
from kefu.service.routing import commands as c

V1 = "/api/v1"
GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("KEFU_RECORD_GOLDEN") == "1"
"""Set to 1 to rewrite the golden files from what the code sends now."""

IVR_HANDOFF = {
    "ivr.flow": "billing-main@3",
    "ivr.language": "zh",
    "ivr.path": "main:2>bill:1",
    "ivr.path.text": "账单 > 查询余额",
    "ivr.reason": "asked_agent",
    "ivr.verified.method": "account_pin",
    "ivr.verified.identifier": "6222020200112233",
    "ivr.verified.at": "1700000001.5",
    "ivr.self_service": "balance=done;bill_detail=failed",
    "ivr.estimated_wait_s": "45",
    "ivr.slot.account": "6222020200112233",
    "ivr.slot.month": "2026-11",
}


def _check(name: str, text: str) -> None:
    # The web chat's reply ids start with a random prefix per process.
    text = re.sub(r'"chat-out:[0-9a-f]{16}-', '"chat-out:…-', text)
    path = GOLDEN / name
    if RECORD:
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


def _channels(api: Api) -> ChannelService:
    channels = api.platform.channels
    assert channels is not None
    return channels


def _say(api: Api, who: Identifier, text: str, n: int, name: str = "") -> str:
    """A chat message of customer ``who`` to the chat queue; the conversation's id."""
    inbound = Inbound(
        Channel.CHAT, (who,), text, api.clock.now(), f"chat:{who.value}:{n}",
        sender_name=name, topic="chat",
    )  # fmt: skip
    receipt = api.client.portal.call(_channels(api).receive, inbound)
    return str(receipt.conversation_id)


class Desk:
    """Agent a1 at its desktop through ``/api/v1/desktop`` with its bearer token."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.headers = api.token("agent-a1")

    def do(self, path: str, body: Any = None) -> Any:
        answer = self.api.client.post(f"{V1}/desktop{path}", json=body, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def accept_offer(self) -> str:
        (offer,) = self.screen()["offers"]
        self.do(f"/offers/{offer['contact_id']}/accept", {"offer_id": offer["offer_id"]})
        return str(offer["contact_id"])

    def screen(self) -> dict[str, Any]:
        screen: dict[str, Any] = json.loads(self.screen_text())
        return screen

    def screen_text(self) -> str:
        answer = self.api.client.get(f"{V1}/desktop", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.text


@pytest.fixture
def busy(api: Api) -> Desk:
    """Agent a1 (site sh) holding an IVR-handed voice call, a chat with replies, a note and
    a case, a chat in wrap-up, and offered a case's task; a2 beside it, b1 in bj."""
    client, execute = api.client, api.platform.engine.execute
    for site, name in (("sh", "上海中心"), ("bj", "北京中心")):
        assert client.post(f"{V1}/sites", json={"site_id": site, "name": name}).status_code == 201
    for body in (
        {"queue_id": "billing", "site_id": "sh", "name": "账单 Billing", "wrapup_s": 10},
        {"queue_id": "chat", "site_id": "sh", "channel": "chat", "wrapup_s": 30, "shared": True},
        {"queue_id": "loans", "site_id": "sh", "channel": "workitem", "name": "贷款 Loans"},
        {"queue_id": "bj-local", "site_id": "bj"},
    ):
        assert client.post(f"{V1}/queues", json=body).status_code == 201, body
    capacity = {Channel.VOICE: 1, Channel.CHAT: 3, Channel.WORKITEM: 1}
    for agent_id, site, name in (("a1", "sh", "王小明"), ("a2", "sh", "李华"), ("b1", "bj", "")):
        spec = AgentSpec(agent_id, capacity=capacity, exclusive=frozenset(), site_id=site)
        client.portal.call(execute, c.DefineAgent(replace(spec, name=name)))
    client.portal.call(execute, c.SetAgentState("a2", "not_ready", "lunch"))
    api.user("agent-a1", "agent", sites=("sh",), agent_id="a1")
    desk = Desk(api)
    desk.do("/state", {"presence": "ready"})
    api.clock.advance(3)
    # A call the IVR handed over: verified, two self-service attempts, masked numbers.
    call = client.post(f"{V1}/contacts", json={"queue_id": "billing", "attributes": IVR_HANDOFF})
    assert call.status_code == 201, call.text
    api.clock.advance(2)
    desk.accept_offer()
    # A chat: accepted, answered, noted; the customer writes again.
    wang = Identifier(IdentifierKind.PHONE, "13800138000")
    conv = _say(api, wang, "我要查询上个月的账单", 1, name="王芳")
    api.clock.advance(4)
    chat_contact = desk.accept_offer()
    api.clock.advance(6)
    desk.do(f"/conversations/{conv}/reply", {"text": "您好，请稍等，我查一下。"})
    desk.do(f"/conversations/{conv}/notes", {"text": "客户要上个月的明细"})
    api.clock.advance(5)
    _say(api, wang, "好的，谢谢", 2)
    # An English chat, answered and wrapped up: the contact is in wrap-up.
    tom = Identifier(IdentifierKind.EMAIL, "tom@example.com")
    other = _say(api, tom, "Hello, my internet is down", 1, name="Tom")
    api.clock.advance(2)
    desk.accept_offer()
    desk.do(f"/conversations/{other}/reply", {"text": "It works again now."})
    desk.do(f"/conversations/{other}/wrap-up", {"disposition": "resolved"})
    # A case about the chat, whose task is offered to a1.
    case = {"case_type": "inquiry", "title": "账单疑问", "contact_id": chat_contact}
    made = client.post(f"{V1}/cases", json=case)
    assert made.status_code == 201, made.text
    task = client.post(
        f"{V1}/cases/{made.json()['case_id']}/tasks", json={"queue_id": "loans", "task": "核对账单"}
    )
    assert task.status_code == 201, task.text
    api.clock.advance(7)
    return desk


def test_given_a_busy_desktop_when_the_agent_reads_its_screen_then_it_is_byte_identical(
    busy: Desk,
) -> None:
    screen = busy.screen()
    assert [o["channel"] for o in screen["offers"]] == ["workitem"]
    assert [(h["channel"], h["state"]) for h in screen["contacts"]] == [
        ("voice", "active"),
        ("chat", "active"),
        ("chat", "wrapup"),
    ]
    _check("desktop_screen.json", busy.screen_text())


def test_given_a_busy_desktop_when_its_socket_opens_and_a_message_comes_then_frames_are_golden(
    busy: Desk,
) -> None:
    api = busy.api
    browser = api.login("agent-a1")
    with browser.websocket_connect("/ws/desktop") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["csrf_token"]
        hello["csrf_token"] = "…"  # a fresh token per login
        _check("desktop_hello.json", json.dumps(hello, ensure_ascii=False, separators=(",", ":")))
        _check("desktop_socket_screen.json", ws.receive_text())
        _say(api, Identifier(IdentifierKind.PHONE, "13800138000"), "还有一个问题", 3)
        while (text := ws.receive_text()) and json.loads(text)["type"] != "message":
            pass
        _check("desktop_message.json", text)
