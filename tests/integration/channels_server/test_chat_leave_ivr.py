"""The chat widget and the visual IVR page send ``leave`` when the customer closes the
widget or leaves the page in the middle of a flow: the flow is hung up (the IVR records the
abandon, the conversation closes), unless the conversation's socket is back within the
grace (a reload)."""

from __future__ import annotations

import time
from typing import Any

from channels_server_helpers import Center, next_frame, open_center

from kefu.domain.ivr.events import ivr_event_from_dict
from kefu.testing import wait_until


def _in_flow(center: Center, conv_id: str) -> bool:
    ivr = center.platform.ivr
    assert ivr is not None
    return bool(center.call(center.channels.read, lambda _e, _s: ivr.sessions.get(conv_id)))


def _start(ws: Any, **hello: object) -> tuple[str, str]:
    ws.send_json({"type": "hello", **hello})
    token = next_frame(ws, "welcome")["token"]
    ws.send_json({"type": "message", "cseq": 1, "text": "你好", "profile": {}})
    conv_id = str(next_frame(ws, "ack")["conversation_id"])
    return token, conv_id


def test_given_a_chat_in_a_flow_when_the_customer_leaves_then_the_flow_is_hung_up() -> None:
    with open_center(ivr_flows="chat=bank") as center:
        center.platform.channel_site.chat.leave_grace_s = 0.0  # type: ignore[union-attr]
        with center.client.websocket_connect("/ws/chat") as ws:
            _, conv_id = _start(ws)
            assert _in_flow(center, conv_id)
            ws.send_json({"type": "leave"})
            assert wait_until(lambda: not _in_flow(center, conv_id), 10.0)
        records = center.call(center.channels.read, lambda _e, s: list(s.records))
        kinds = [r.kind for r in records if r.stream == "ivr" and r.subject_id == conv_id]
        assert kinds[-1] == "Abandoned"
        abandoned = ivr_event_from_dict(
            next(r.data for r in reversed(records) if r.kind == "Abandoned")
        )
        assert abandoned.contact_id == conv_id
        conv = center.call(center.channels.read, lambda _e, s: s.conversation(conv_id))
        assert conv.is_closed and conv.outcome == "abandoned"


def test_given_a_reload_within_the_grace_when_leaving_then_the_flow_goes_on() -> None:
    with open_center(ivr_flows="chat=bank") as center:
        center.platform.channel_site.chat.leave_grace_s = 0.3  # type: ignore[union-attr]
        with center.client.websocket_connect("/ws/chat") as first:
            token, conv_id = _start(first)
            first.send_json({"type": "leave"})
        with center.client.websocket_connect("/ws/chat") as again:  # the reloaded page
            again.send_json({"type": "hello", "token": token, "conversation_id": conv_id})
            assert next_frame(again, "welcome")["conversation_id"] == conv_id
            time.sleep(0.6)
            assert _in_flow(center, conv_id)
