"""Web chat over the WebSocket and the agent desktop over HTTP, in one running app: a
customer writes in Chinese, waits with a position, an agent accepts and replies, transfers
with a note, a second agent sees the history and wraps up. Malformed, oversized and refused
frames get a clear error and store nothing; agents act only as themselves."""

from __future__ import annotations

from typing import Any

import pytest
from channels_server_helpers import Center, next_frame
from starlette.websockets import WebSocketDisconnect


def hello(ws: object, **fields: object) -> dict[str, object]:
    ws.send_json({"type": "hello", **fields})  # type: ignore[attr-defined]
    return next_frame(ws, "welcome")


def status(ws: object, state: str) -> dict[str, object]:
    """The first status frame in ``state``. Frames of the states before it (waiting,
    offered) may still be on their way when the agent acts: they are passed over, any
    other state is returned, so the assertion on it fails."""
    earlier = {"active": ("queued", "offered"), "closed": ("active",)}.get(state, ())
    while True:
        frame = next_frame(ws, "status")
        del frame["type"]
        if frame.get("state") not in earlier:
            return frame


def say(ws: object, cseq: int, text: str, **profile: object) -> dict[str, object]:
    ws.send_json({"type": "message", "cseq": cseq, "text": text, "profile": profile})  # type: ignore[attr-defined]
    return next_frame(ws, "ack")


def test_given_a_customer_when_writing_then_acked_once_and_told_the_wait(center: Center) -> None:
    with center.client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws)
        assert welcome["status"] == {"state": "new"}
        assert [t["id"] for t in welcome["topics"]] == ["chat-billing", "chat-tech"]
        ack = say(ws, 1, "你好，我的宽带断了", name="张三", topic="chat-tech")
        records = center.records()
        # A resend after a lost ack is acknowledged again and stored once.
        again = say(ws, 1, "你好，我的宽带断了", name="张三", topic="chat-tech")
        assert again["conversation_id"] == ack["conversation_id"]
        assert center.records() == records
        status = next_frame(ws, "status")
        assert status["state"] == "queued" and status["position"] == 1
    conv = center.channels.state.conversation(str(ack["conversation_id"]))
    assert [m.text for m in conv.messages] == ["你好，我的宽带断了"]
    contact_id = center.channels.state.contact_of[conv.conversation_id]
    assert center.platform.engine.router.contacts[contact_id].queue_id == "chat-tech"


def test_given_a_reconnect_then_only_missed_messages_come_and_the_token_is_kept(
    center: Center,
) -> None:
    with center.client.websocket_connect("/ws/chat") as ws:
        token = hello(ws)["token"]
        ack = say(ws, 1, "第一条", topic="chat-billing")
        say(ws, 2, "第二条")
    with center.client.websocket_connect("/ws/chat") as ws:
        welcome = hello(ws, token=token, conversation_id=ack["conversation_id"], last_seq=1)
        assert welcome["token"] == token
        assert [m["text"] for m in welcome["messages"]] == ["第二条"]
    with center.client.websocket_connect("/ws/chat") as ws:
        forged = hello(ws, token="somebody-else.0123456789abcdef01234567")
        assert forged["token"] != token and forged["conversation_id"] is None


def test_given_bad_frames_then_each_gets_a_clear_error_and_nothing_is_stored(
    center: Center,
) -> None:
    records = center.records()
    with center.client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_text("not json {")
        assert next_frame(ws, "error")["code"] == "malformed"
        ws.send_text("[1, 2]")
        assert next_frame(ws, "error")["code"] == "malformed"
        ws.send_json({"type": "message", "cseq": 0, "text": "x"})
        assert next_frame(ws, "error")["code"] == "malformed"
        ws.send_json({"type": "message", "cseq": 1, "text": "x" * 4001})
        assert next_frame(ws, "error") == {
            "type": "error",
            "code": "invalid_text",
            "message": "a message has 1–4000 characters",
            "cseq": 1,
        }
        ws.send_json({"type": "message", "cseq": 2, "text": "hi", "profile": {"email": "不是邮箱"}})
        assert next_frame(ws, "error")["code"] == "invalid_identifier"
        ws.send_json({"type": "message", "cseq": 3, "text": "hi", "profile": {"topic": "mail"}})
        assert next_frame(ws, "error")["code"] == "unknown_topic"  # not one offered
        ws.send_text("x" * 20_000)
        assert next_frame(ws, "error")["code"] == "too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009
    assert center.records() == records
    assert list(center.channels.state.directory.customers()) == []
    with center.client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "message", "cseq": 1, "text": "no hello"})
        assert next_frame(ws, "error")["code"] == "hello_expected"


def test_given_an_agent_then_accept_reply_transfer_and_wrap_up_reach_the_customer(
    center: Center,
) -> None:
    assert center.desktop("a1", "POST", "/state", {"presence": "ready"}).status_code == 200
    with center.client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ack = say(
            ws, 1, "我要查询上个月的账单", name="王芳", topic="chat-billing", phone="13800138000"
        )
        conv_id = str(ack["conversation_id"])
        (offer,) = center.screen("a1")["offers"]
        assert offer["customer"]["name"] == "王芳" and offer["seconds_left"] > 0
        # Another agent cannot take a1's offer; a1 takes it.
        body = {"offer_id": offer["offer_id"]}
        refused = center.desktop("a2", "POST", f"/offers/{offer['contact_id']}/accept", body)
        assert refused.status_code == 403
        screen = center.desktop("a1", "POST", f"/offers/{offer['contact_id']}/accept", body).json()
        assert status(ws, "active") == {"state": "active", "agent": "王小明"}
        (held,) = screen["contacts"]
        panel = held["customer"]
        assert panel["name"] == "王芳" and {i["kind"] for i in panel["identifiers"]} == {
            "chat_cookie",
            "phone",
        }
        ws.send_json({"type": "typing"})
        response = center.desktop("a1", "POST", f"/conversations/{conv_id}/typing")
        assert response.status_code == 200
        assert next_frame(ws, "typing") == {"type": "typing"}
        reply = center.desktop(
            "a1", "POST", f"/conversations/{conv_id}/reply", {"text": "您好，请稍等"}
        )
        assert reply.status_code == 200, reply.text
        message = next_frame(ws, "message")
        assert message["from"] == "agent" and message["name"] == "王小明"
        assert message["text"] == "您好，请稍等" and message["seq"] == 2
        # a2 may not reply on a1's conversation.
        other = center.desktop("a2", "POST", f"/conversations/{conv_id}/reply", {"text": "hi"})
        assert other.status_code == 403
        note = {"text": "客户已核实手机号"}
        assert (
            center.desktop("a1", "POST", f"/conversations/{conv_id}/notes", note).status_code == 200
        )
        center.desktop("a2", "POST", "/state", {"presence": "ready"})
        moved = center.desktop(
            "a1",
            "POST",
            f"/conversations/{conv_id}/transfer",
            {"to_agent_id": "a2", "note": "请帮客户核对账单"},
        )
        assert moved.status_code == 200, moved.text
        (offer2,) = center.screen("a2")["offers"]
        body = {"offer_id": offer2["offer_id"]}
        screen2 = center.desktop(
            "a2", "POST", f"/offers/{offer2['contact_id']}/accept", body
        ).json()
        (held2,) = screen2["contacts"]
        conversation = held2["conversation"]
        assert [m["text"] for m in conversation["messages"]] == [
            "我要查询上个月的账单",
            "您好，请稍等",
        ]
        assert [(n["kind"], n["text"]) for n in conversation["notes"]] == [
            ("note", "客户已核实手机号"),
            ("transfer", "请帮客户核对账单"),
        ]
        assert status(ws, "active") == {"state": "active", "agent": "李华"}
        done = center.desktop(
            "a2", "POST", f"/conversations/{conv_id}/wrap-up", {"disposition": "resolved"}
        )
        assert done.status_code == 200, done.text
        assert status(ws, "closed") == {"state": "closed", "outcome": "resolved"}
    timeline = held2["customer"]["timeline"]
    assert [e["channel"] for e in timeline] == ["chat"]


def test_given_waiting_customers_then_positions_update_as_the_line_moves(center: Center) -> None:
    center.desktop("a1", "POST", "/state", {"presence": "ready"})
    with (
        center.client.websocket_connect("/ws/chat") as first,
        center.client.websocket_connect("/ws/chat") as second,
        center.client.websocket_connect("/ws/chat") as third,
    ):
        for n, ws in enumerate((first, second, third), start=1):
            hello(ws)
            say(ws, 1, f"客户{n}", topic="chat-billing")
        assert next_frame(third, "status")["position"] == 2
        waiting = next_frame(second, "status")
        assert waiting["position"] == 1 and waiting["estimated_wait_s"] == 120
        (offer,) = center.screen("a1")["offers"]
        body = {"offer_id": offer["offer_id"]}
        center.desktop("a1", "POST", f"/offers/{offer['contact_id']}/accept", body)
        conv = center.channels.state.conversation_of[offer["contact_id"]]
        center.desktop("a1", "POST", f"/conversations/{conv}/wrap-up", {"disposition": "resolved"})
        assert next_frame(second, "status")["state"] in ("offered", "active")
        moved = next_frame(third, "status")
        assert moved["position"] == 1 and moved["ahead"] == 0


def test_given_the_desktop_then_only_a_logged_in_agent_uses_it_as_itself(center: Center) -> None:
    anonymous = center.client.get("/api/v1/desktop")
    assert anonymous.status_code == 401
    assert center.desktop("lead", "GET", "").status_code == 403
    page = center.client.get("/desktop", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/desktop"
    browser = center.login("agent-a1")
    shown = browser.get("/desktop")
    assert shown.status_code == 200 and 'data-agent-id="a1"' in shown.text
    assert "script-src 'self'" in shown.headers["content-security-policy"]
    # A change with the session cookie needs the CSRF header.
    assert browser.post("/api/v1/desktop/state", json={"presence": "ready"}).status_code == 403
    with browser.websocket_connect("/ws/desktop") as ws:
        first = ws.receive_json()
        assert first["type"] == "hello" and first["agent_id"] == "a1"
        assert {r["code"] for r in first["vocabulary"]["dispositions"]} >= {"resolved"}
        headers = {"X-CSRF-Token": first["csrf_token"]}
        ok = browser.post("/api/v1/desktop/state", json={"presence": "ready"}, headers=headers)
        assert ok.status_code == 200
        assert center.channels.engine is center.platform.engine
        desktops = center.platform.channel_site
        assert desktops is not None and desktops.desktops.humans.taken("a1")
        view = next_frame(ws, "desktop")["view"]
        assert view["agent"]["agent_id"] == "a1"
    lead = center.login("lead")
    assert lead.get("/desktop").status_code == 403
    with lead.websocket_connect("/ws/desktop") as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4403


def test_given_customers_api_then_agents_see_only_their_customers_and_merges_undo(
    center: Center,
) -> None:
    center.desktop("a1", "POST", "/state", {"presence": "ready"})
    with center.client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ack = say(ws, 1, "合并测试", topic="chat-billing", email="li@example.cn")
    with center.client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        second = say(ws, 1, "另一个浏览器", topic="chat-billing", email="li@example.cn")
    state = center.channels.state
    first_id = state.conversation(str(ack["conversation_id"])).customer_id
    second_id = state.conversation(str(second["conversation_id"])).customer_id
    assert first_id != second_id  # a typed e-mail is never merged automatically
    (offer,) = center.screen("a1")["offers"]
    center.desktop(
        "a1", "POST", f"/offers/{offer['contact_id']}/accept", {"offer_id": offer["offer_id"]}
    )
    assert center.api("a1", "GET", f"/customers/{first_id}").status_code == 200
    assert center.api("a2", "GET", f"/customers/{first_id}").status_code == 404
    assert center.api(None, "GET", f"/customers/{first_id}").status_code == 401
    merged = center.api(
        "lead", "POST", f"/customers/{first_id}/merge", {"merged_id": second_id, "reason": "同一人"}
    )
    assert merged.status_code == 200, merged.text
    panel = merged.json()["customer"]
    assert {i["value"] for i in panel["identifiers"] if i["kind"] == "chat_cookie"} and len(
        [i for i in panel["identifiers"] if i["kind"] == "chat_cookie"]
    ) == 2
    merge_id = merged.json()["merge_id"]
    undo = {"reason": "误合并"}
    assert center.api("a1", "POST", f"/customers/merges/{merge_id}/undo", undo).status_code == 403
    assert center.api("lead", "POST", f"/customers/merges/{merge_id}/undo", undo).status_code == 200
    assert state.directory.get(second_id).merged_into is None
    reads = center.api("lead", "GET", "/customers/" + first_id)
    assert reads.status_code == 200


def screen_showing(ws: object, conv_id: str, text: str | None = None) -> dict[str, object]:
    """The next desktop screen holding ``conv_id`` active (with message ``text``)."""
    for _ in range(20):
        view: dict[str, Any] = next_frame(ws, "desktop")["view"]
        for contact in view["contacts"]:
            conv = contact["conversation"]
            if not conv or conv["conversation_id"] != conv_id or contact["state"] != "active":
                continue
            if text is None or text in [m["text"] for m in conv["messages"]]:
                return view
    raise AssertionError(f"no screen showing {conv_id}")


def conversation_messages(view: dict[str, Any], conv_id: str) -> list[tuple[int, str]]:
    for contact in view["contacts"]:
        conv = contact["conversation"]
        if conv and conv["conversation_id"] == conv_id:
            return [(m["seq"], m["text"]) for m in conv["messages"]]
    return []


def agent_sees(
    ws: object, screen: dict[str, Any], conv_id: str, contact_id: str, upto: int
) -> list[tuple[int, str]]:
    """The conversation's messages as the agent's page holds them once message ``upto``
    arrived, built from the frames the page gets: a delta appends one message (it must be
    the next in order, for this conversation and contact, never one already shown), a screen
    replaces the list. ``screen`` is the last screen the page got."""
    held = conversation_messages(screen, conv_id)
    for _ in range(40):
        frame: dict[str, Any] = ws.receive_json()  # type: ignore[attr-defined]
        if frame["type"] == "message":
            assert (frame["conversation_id"], frame["contact_id"]) == (conv_id, contact_id)
            message = frame["message"]
            assert message["direction"] == "inbound"
            assert held and message["seq"] == held[-1][0] + 1, (held, message)
            held.append((message["seq"], message["text"]))
        elif frame["type"] == "desktop":
            held = conversation_messages(frame["view"], conv_id) or held
        if held and held[-1][0] == upto:
            return held
    raise AssertionError(f"message {upto} never reached the page: {held}")


def test_given_a_held_chat_when_the_customer_writes_then_only_its_agent_gets_the_message(
    center: Center,
) -> None:
    center.desktop("a1", "POST", "/state", {"presence": "ready"})
    one, two = center.login("agent-a1"), center.login("agent-a2")
    with center.client.websocket_connect("/ws/chat") as chat:
        with (
            one.websocket_connect("/ws/desktop") as desk1,
            two.websocket_connect("/ws/desktop") as desk2,
        ):
            next_frame(desk2, "desktop")
            hello(chat)
            conv_id = str(say(chat, 1, "第一条", topic="chat-billing")["conversation_id"])
            (offer,) = center.screen("a1")["offers"]
            body = {"offer_id": offer["offer_id"]}
            center.desktop("a1", "POST", f"/offers/{offer['contact_id']}/accept", body)
            first = screen_showing(desk1, conv_id)
            # Several messages in a row arrive alone, once each, in order. Under load the hub
            # may send a whole screen instead of deltas it would repeat: what the page shows
            # is the same either way.
            for n, text in enumerate(("第二条", "第三条", "第四条"), start=2):
                say(chat, n, text)
            shown = agent_sees(desk1, first, conv_id, offer["contact_id"], upto=4)
            assert shown == [(1, "第一条"), (2, "第二条"), (3, "第三条"), (4, "第四条")]
            # a2's next frames are its own screen after a presence change, no message first.
            center.desktop("a2", "POST", "/state", {"presence": "ready"})
            for _ in range(20):
                frame = desk2.receive_json()
                assert frame["type"] != "message"
                if frame["type"] == "desktop" and frame["view"]["agent"]["presence"] == "ready":
                    break
            # A page that cannot apply a delta asks for its whole screen again.
            desk1.send_json({"type": "resync"})
            screen_showing(desk1, conv_id, "第四条")
        # Written while the agent's desktop is closed: the next screen on reconnect has it.
        say(chat, 5, "第五条")
        with one.websocket_connect("/ws/desktop") as desk1:
            assert desk1.receive_json()["type"] == "hello"
            view = screen_showing(desk1, conv_id, "第五条")
            (held,) = view["contacts"]
            texts = [m["text"] for m in held["conversation"]["messages"]]
            assert texts == ["第一条", "第二条", "第三条", "第四条", "第五条"]
