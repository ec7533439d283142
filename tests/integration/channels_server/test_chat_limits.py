"""Web chat without a login cannot be used to flood the centre: one client address starts
a limited number of new chats per window, and a widget's pre-chat topic picks only the
chat queues published for its site."""

from __future__ import annotations

from typing import Any

from channels_server_helpers import Center, next_frame, open_center

from kefu.domain.model import Channel, QueueSpec
from kefu.service.routing import commands as c


def hello(ws: Any, **fields: object) -> dict[str, Any]:
    ws.send_json({"type": "hello", **fields})
    return next_frame(ws, "welcome")


def write(ws: Any, cseq: int, text: str, **profile: object) -> dict[str, Any]:
    """The ack or the error answering a message."""
    ws.send_json({"type": "message", "cseq": cseq, "text": text, "profile": profile})
    for _ in range(20):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] in ("ack", "error"):
            return frame
    raise AssertionError("no answer to the message")


def contacts(center: Center) -> int:
    return len(center.platform.engine.router.contacts)


def test_given_one_address_over_its_new_chat_limit_when_starting_chats_then_refused_unstored() -> (
    None
):
    with open_center(chat_max_new_per_address=3, chat_new_window_s=600) as center:
        answers = []
        for n in range(5):
            with center.client.websocket_connect("/ws/chat") as ws:
                hello(ws, lang="zh")  # the widget's language words its refusals
                answers.append(write(ws, 1, f"第 {n} 位客户"))
                if n == 0:  # an open chat goes on: its next messages are not new chats
                    assert write(ws, 2, "还在吗？")["type"] == "ack"
        assert [a["type"] for a in answers] == ["ack", "ack", "ack", "error", "error"]
        refused = answers[3]
        assert refused["code"] == "too_many_requests" and "请" in refused["message"]
        assert "try again" not in refused["message"]  # Chinese only
        assert contacts(center) == 3
        # Once the window has passed, the address starts chats again.
        center.platform.clock.advance(601)  # type: ignore[attr-defined]
        with center.client.websocket_connect("/ws/chat") as ws:
            hello(ws)
            assert write(ws, 1, "过了十分钟")["type"] == "ack"
        assert contacts(center) == 4


def test_given_a_widget_of_a_site_then_it_offers_and_takes_only_that_sites_chat_queues(
    center: Center,
) -> None:
    center.execute(c.CreateSite("bj", "北京中心"))
    center.execute(c.DefineQueue(QueueSpec("chat-bj", Channel.CHAT, aht_s=120), "bj"))
    with center.client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws, site_id="sh")
        assert [t["id"] for t in welcome["topics"]] == ["chat-billing", "chat-tech"]
        records = center.records()
        refused = write(ws, 1, "我要找北京", topic="chat-bj")
        assert refused["type"] == "error" and refused["code"] == "unknown_topic"
        assert center.records() == records and contacts(center) == 0
    with center.client.websocket_connect("/ws/chat") as ws:
        assert [t["id"] for t in hello(ws, site_id="bj")["topics"]] == ["chat-bj"]
        ack = write(ws, 1, "你好")  # no topic: the site's queue, not another site's
        assert ack["type"] == "ack"
    contact_id = center.channels.state.contact_of[ack["conversation_id"]]
    assert center.platform.engine.router.contacts[contact_id].queue_id == "chat-bj"
