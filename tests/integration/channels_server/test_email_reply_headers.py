"""A customer's mail whose subject hides a CR/LF in an encoded word no longer blocks the
replies of its conversation (header texts are one line on the way in and out), and a reply
that fails is shown on the agent's screen as failed with the reason."""

from __future__ import annotations

import base64
import smtplib
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from channels_server_helpers import Center, LoopThread, RelaySink, open_center

INJECTED = "账单问题\r\nBcc: evil@example.com"


def raw_mail(subject: str) -> bytes:
    encoded = base64.b64encode(subject.encode()).decode()
    return (
        "From: =?utf-8?b?" + base64.b64encode("王芳".encode()).decode() + "?="
        " <wang.fang@example.cn>\r\n"
        "To: support@kefu.example\r\n"
        f"Subject: =?utf-8?b?{encoded}?=\r\n"
        "Message-ID: <crlf-1@example.cn>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "我的账单有问题。\r\n"
    ).encode()


@pytest.fixture
def relay() -> Iterator[RelaySink]:
    loop = LoopThread()
    sink = RelaySink()
    loop.run(sink.start())
    yield sink
    loop.run(sink.stop())
    loop.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there any more


def wait_for(condition: Any, what: str, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found


def reply_to_the_mail(center: Center, text: str) -> str:
    """Mail in, agent a1 accepts and replies; the conversation id."""
    assert center.desktop("a1", "POST", "/state", {"presence": "ready"}).status_code == 200
    server = center.platform.channel_server
    assert server is not None and server.listener is not None
    with smtplib.SMTP("127.0.0.1", server.listener.port, timeout=10) as client:
        client.sendmail("wang.fang@example.cn", ["support@kefu.example"], raw_mail(INJECTED))
    (offer,) = wait_for(lambda: center.screen("a1")["offers"], "the offer")
    accepted = center.desktop(
        "a1", "POST", f"/offers/{offer['contact_id']}/accept", {"offer_id": offer["offer_id"]}
    )
    assert accepted.status_code == 200, accepted.text
    conv: str = accepted.json()["contacts"][0]["conversation"]["conversation_id"]
    replied = center.desktop("a1", "POST", f"/conversations/{conv}/reply", {"text": text})
    assert replied.status_code == 200, replied.text
    return conv


def last_message(center: Center) -> dict[str, Any]:
    (contact,) = center.screen("a1")["contacts"]
    message: dict[str, Any] = contact["conversation"]["messages"][-1]
    return message


def test_given_a_subject_with_an_encoded_crlf_when_the_agent_replies_then_it_is_delivered(
    relay: RelaySink,
) -> None:
    settings = {"smtp_port": 0, "relay_host": "127.0.0.1", "relay_port": relay.port}
    with open_center(**settings) as center:
        reply_to_the_mail(center, "已为您核对账单。")
        wait_for(lambda: relay.received, "the reply at the relay")
        sent = relay.parsed()
        assert str(sent["Subject"]) == "Re: 账单问题 Bcc: evil@example.com"
        assert sent["Bcc"] is None
        assert wait_for(lambda: last_message(center)["delivery"], "the delivery") == "sent"
        first = center.screen("a1")["contacts"][0]["conversation"]["messages"][0]
        assert first["subject"] == "账单问题 Bcc: evil@example.com"


def test_given_an_unreachable_relay_when_the_agent_replies_then_shown_failed_with_the_reason() -> (
    None
):
    settings = {"smtp_port": 0, "relay_host": "127.0.0.1", "relay_port": closed_port()}
    with open_center(**settings) as center:
        reply_to_the_mail(center, "已为您核对账单。")
        failed = wait_for(
            lambda: (m := last_message(center))["delivery"] == "failed" and m, "the failure"
        )
        assert failed["delivery_reason"] == "unreachable"


def test_given_each_failure_reason_then_the_desktop_words_it_in_english_and_chinese(
    center: Center,
) -> None:
    from kefu.adapters.channels.errors import DeliveryFailed
    from kefu.service.channel_errors import delivery_failure

    reasons = {
        delivery_failure(DeliveryFailed("relay down", transient=True)),
        delivery_failure(DeliveryFailed("mailbox unknown", transient=False)),
        delivery_failure(ValueError("header")),
    }
    assert reasons == {"unreachable", "refused", "invalid"}
    for lang in ("en", "zh"):
        words = center.client.get(f"/i18n/{lang}.json").json()["messages"]
        assert all(words.get(f"desktop.failed_{reason}") for reason in reasons), lang
