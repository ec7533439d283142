"""The outbound webhook sender over real HTTP to a local receiver that checks signatures."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kefu.adapters.channels.errors import DeliveryFailed
from kefu.adapters.channels.signing import SignatureError, verify
from kefu.adapters.channels.webhook_models import OutboundSms, OutboundSocialReply
from kefu.adapters.channels.webhook_send import WebhookSender, WebhookSenderConfig
from kefu.domain.time import ManualClock

SECRET = b"provider-shared-secret-0001"
NOW = 1_700_000_000.0


class Receiver(ThreadingHTTPServer):
    """A provider stand-in: answers each POST with the next scripted status (then 200),
    recording the requests and whether their signature verified."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[int] = []
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = dict(self.headers.items())
        try:
            verify([SECRET], headers, body, now=NOW, tolerance_s=300)
            signed = True
        except SignatureError:
            signed = False
        self.server.requests.append(
            {"path": self.path, "headers": headers, "json": json.loads(body), "signed": signed}
        )
        status = self.server.script.pop(0) if self.server.script else 200
        reply = json.dumps({"ok": status < 300}).encode()
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def sender(url: str, sleeps: list[float], **config: Any) -> WebhookSender:
    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    settings = WebhookSenderConfig(url, SECRET, backoff_s=0.1, max_backoff_s=0.5, **config)
    return WebhookSender(settings, clock=ManualClock(NOW), sleep=record)


def test_given_sms_when_sent_then_provider_gets_signed_json_with_idempotency_key(
    receiver: Receiver,
) -> None:
    sleeps: list[float] = []
    delivery = asyncio.run(
        sender(receiver.url, sleeps).send(
            OutboundSms(message_id="out-1", to="+8613800138000", text="您的验证码是 123456")
        )
    )
    assert (delivery.status_code, delivery.attempts) == (200, 1)
    (request,) = receiver.requests
    assert request["signed"] and request["path"] == "/send"
    assert request["json"] == {
        "type": "sms",
        "message_id": "out-1",
        "to": "+8613800138000",
        "text": "您的验证码是 123456",
    }
    assert request["headers"]["Idempotency-Key"] == "out-1"
    assert sleeps == []


def test_given_provider_errors_when_sent_then_retried_with_backoff_until_success(
    receiver: Receiver,
) -> None:
    receiver.script = [503, 429]
    sleeps: list[float] = []
    reply = OutboundSocialReply(
        message_id="out-2", platform="weibo", text="已私信您", in_reply_to="p-1"
    )
    delivery = asyncio.run(sender(receiver.url, sleeps, max_attempts=3).send(reply))
    assert delivery.attempts == 3
    assert sleeps == [0.1, 0.5]  # doubled backoff, then Retry-After: 1 capped at 0.5 s
    assert all(r["signed"] for r in receiver.requests)
    assert {r["headers"]["Idempotency-Key"] for r in receiver.requests} == {"out-2"}


def test_given_provider_down_when_attempts_exhausted_then_transient_delivery_failure(
    receiver: Receiver,
) -> None:
    receiver.script = [500, 502, 503, 200]
    sleeps: list[float] = []
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(
            sender(receiver.url, sleeps, max_attempts=3).send(
                OutboundSms(message_id="out-3", to="+8613800138000", text="x")
            )
        )
    assert info.value.details == {"attempts": 3, "transient": True}
    assert "HTTP 503" in info.value.message
    assert len(receiver.requests) == 3


def test_given_provider_refuses_when_sent_then_no_retry_and_permanent_failure(
    receiver: Receiver,
) -> None:
    receiver.script = [400]
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(
            sender(receiver.url, []).send(OutboundSms(message_id="out-4", to="+86138", text="x"))
        )
    assert info.value.details["transient"] is False
    assert info.value.details["status_code"] == 400
    assert len(receiver.requests) == 1


def test_given_nothing_listening_when_sent_then_bounded_retries_and_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/send"
    sleeps: list[float] = []
    with pytest.raises(DeliveryFailed, match="after 2 attempts; last: ConnectError"):
        asyncio.run(
            sender(url, sleeps, max_attempts=2).send(OutboundSms(message_id="o", to="1", text="x"))
        )
    assert sleeps == [0.1]


def test_given_bad_sender_configuration_when_built_then_refused() -> None:
    with pytest.raises(ValueError, match="url"):
        WebhookSenderConfig("ftp://x", SECRET)
    with pytest.raises(ValueError, match="max_attempts"):
        WebhookSenderConfig("http://x", SECRET, max_attempts=0)
