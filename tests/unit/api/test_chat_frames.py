"""The web chat socket's frames byte for byte: on the manual clock, a customer's widget
says hello, is refused a malformed frame, writes, waits in line, is answered by an agent who
types and replies, is wrapped up, and comes back; another is greeted by an IVR flow. Each
frame is the exact text recorded in ``golden/`` (the token, random per run, masked). The
frames' read models may change; what the widget receives may not."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import Api, MakeApi
from golden_helpers import check_golden

from kefu.adapters.channels.webchat import frames
from kefu.domain.model import AgentSpec, Channel
from kefu.service.routing import commands as c

V1 = "/api/v1"
TOKEN = (r'"token":"[^"]+"', '"token":"…"')


def _until(ws: Any, kind: str, **fields: Any) -> str:
    """The text of the first frame of type ``kind`` whose ``fields`` match; the frames
    passed over are kept for later calls (messages, statuses and acks may come in any
    order)."""
    kept: list[str] = ws.__dict__.setdefault("kept", [])

    def wanted(text: str) -> bool:
        frame = json.loads(text)
        return bool(frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()))

    for text in kept:
        if wanted(text):
            kept.remove(text)
            return text
    for _ in range(30):
        text = str(ws.receive_text())
        if wanted(text):
            return text
        kept.append(text)
    raise AssertionError(f"no {kind} frame {fields}")


def _desk(api: Api, agent: dict[str, str], path: str, body: Any = None) -> Any:
    answer = api.client.post(f"{V1}/desktop{path}", json=body, headers=agent)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _center(api: Api) -> dict[str, str]:
    """Site sh with a chat queue and agent a1 (王小明); a1's bearer headers."""
    client = api.client
    assert client.post(f"{V1}/sites", json={"site_id": "sh", "name": "上海中心"}).status_code == 201
    queue = {"queue_id": "chat", "site_id": "sh", "channel": "chat", "name": "在线 Chat"}
    assert client.post(f"{V1}/queues", json=queue).status_code == 201
    spec = AgentSpec("a1", capacity={Channel.CHAT: 2}, site_id="sh", name="王小明")
    client.portal.call(api.platform.engine.execute, c.DefineAgent(spec))
    api.user("agent-a1", "agent", sites=("sh",), agent_id="a1")
    return api.token("agent-a1")


def test_given_a_chat_from_hello_to_wrap_up_when_the_socket_talks_then_frames_are_golden(
    make_api: MakeApi,
) -> None:
    with make_api(chat_wait_interval_s=0.05) as api:
        a1 = _center(api)
        with api.client.websocket_connect("/ws/chat") as ws:
            ws.send_json({"type": "hello", "site_id": "sh"})
            welcome = _until(ws, "welcome")
            token = json.loads(welcome)["token"]
            check_golden("chat_welcome_new.json", welcome, TOKEN)
            ws.send_text("not json")
            check_golden("chat_error_malformed.json", _until(ws, "error"))
            ws.send_json({"type": "wave"})
            check_golden("chat_error_unknown.json", _until(ws, "error"))
            ws.send_json({"type": "message", "cseq": 1, "text": "  ", "profile": {}})
            check_golden("chat_error_text.json", _until(ws, "error"))
            profile = {"name": "王芳", "phone": "13800138000", "topic": "chat"}
            ws.send_json({"type": "message", "cseq": 1, "text": "账单有问题", "profile": profile})
            ack = _until(ws, "ack")
            check_golden("chat_ack.json", ack)
            check_golden("chat_message_customer.json", _until(ws, "message", seq=1))
            check_golden("chat_status_queued.json", _until(ws, "status", state="queued"))
            api.clock.advance(4)
            _desk(api, a1, "/state", {"presence": "ready"})
            (offer,) = api.client.get(f"{V1}/desktop", headers=a1).json()["offers"]
            accept = {"offer_id": offer["offer_id"]}
            _desk(api, a1, f"/offers/{offer['contact_id']}/accept", accept)
            check_golden("chat_status_active.json", _until(ws, "status", state="active"))
            conv = json.loads(ack)["conversation_id"]
            _desk(api, a1, f"/conversations/{conv}/typing")
            check_golden("chat_typing.json", _until(ws, "typing"))
            with api.login("agent-a1").websocket_connect("/ws/desktop") as desktop:
                _until(desktop, "desktop")
                ws.send_json({"type": "typing"})
                check_golden("desktop_typing.json", _until(desktop, "typing"))
            api.clock.advance(6)
            _desk(api, a1, f"/conversations/{conv}/reply", {"text": "您好，请问哪一笔？"})
            check_golden("chat_message_agent.json", _until(ws, "message", seq=2))
            _desk(api, a1, f"/conversations/{conv}/wrap-up", {"disposition": "resolved"})
            check_golden("chat_status_closed.json", _until(ws, "status", state="closed"))
        with api.client.websocket_connect("/ws/chat") as again:
            hello = {"type": "hello", "token": token, "conversation_id": conv, "last_seq": 1}
            again.send_json(hello)
            check_golden("chat_welcome_back.json", _until(again, "welcome"), TOKEN)


def test_given_a_chat_greeted_by_a_flow_when_the_customer_writes_then_frames_are_golden(
    make_api: MakeApi,
) -> None:
    with make_api(chat_wait_interval_s=0.05, ivr_flows="chat=bank") as api:
        _center(api)
        with api.client.websocket_connect("/ws/chat") as ws:
            ws.send_json({"type": "hello"})
            check_golden("chat_welcome_flow.json", _until(ws, "welcome"), TOKEN)
            ws.send_json({"type": "message", "cseq": 1, "text": "你好", "profile": {}})
            check_golden("chat_flow_message.json", _until(ws, "message", seq=1))
            check_golden("chat_status_ivr.json", _until(ws, "status", state="ivr"))
            check_golden("chat_flow_question.json", _until(ws, "message", seq=2))


def test_given_two_chats_in_a_flow_when_one_answers_then_only_its_status_is_looked_at(
    make_api: MakeApi, monkeypatch: Any
) -> None:
    looked: list[str | None] = []
    real = frames.status

    def spy(engine: Any, state: Any, conv_id: str | None, *rest: Any) -> Any:
        looked.append(conv_id)
        return real(engine, state, conv_id, *rest)

    monkeypatch.setattr(frames, "status", spy)
    # No quiet rounds during the test: only what marks a round is looked at.
    with make_api(chat_wait_interval_s=600.0, ivr_flows="chat=bank") as api:
        _center(api)
        client = api.client
        with client.websocket_connect("/ws/chat") as a, client.websocket_connect("/ws/chat") as b:
            convs = []
            for ws in (a, b):
                ws.send_json({"type": "hello"})
                _until(ws, "welcome")
                ws.send_json({"type": "message", "cseq": 1, "text": "你好", "profile": {}})
                convs.append(json.loads(_until(ws, "ack"))["conversation_id"])
                _until(ws, "status", node="language")
            looked.clear()
            a.send_json({"type": "message", "cseq": 2, "text": "2", "profile": {}})
            _until(a, "status", node="account")
            assert looked and set(looked) == {convs[0]}


def test_given_a_conversation_moved_to_another_domain_then_its_status_frame_says_where() -> None:
    moved = frames.StatusFrame(frames.MovedStatus("south", "conv-000003", "https://south.example"))
    assert json.dumps(moved.to_json(), separators=(",", ":")) == (
        '{"type":"status","state":"moved","domain":"south","conversation_id":"conv-000003",'
        '"url":"https://south.example"}'
    )
    unknown = frames.MovedStatus("west", "conv-000001", None).to_json()
    assert unknown["url"] is None, "a domain whose address this node does not know"
