"""The signed webhook for SMS and social posts, called directly as the HTTP route will."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.adapters.channels.ports import InMemorySeenMessages
from kefu.adapters.channels.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers
from kefu.adapters.channels.webhook import WebhookConfig, WebhookHandler, handle_webhook
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channel_ports import Inbound

SECRET = b"s3cret-shared-with-the-provider"
NOW = 1_700_000_000.0
CONFIG = WebhookConfig(secrets=(SECRET,), tolerance_s=300.0, max_body_bytes=32_768)


@dataclass
class RecordingSink:
    received: list[Inbound] = field(default_factory=list)
    fail: bool = False

    def on_message(self, message: Inbound) -> None:
        if self.fail:
            raise RuntimeError("database unavailable")
        self.received.append(message)


def sms(message_id: str = "sms-1", **fields: Any) -> dict[str, Any]:
    return {
        "type": "sms",
        "message_id": message_id,
        "from": "138 0013 8000",
        "to": "95588",
        "text": "我的银行卡被锁了，怎么办？",
        **fields,
    }


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@pytest.fixture
def handler() -> tuple[WebhookHandler, RecordingSink, InMemorySeenMessages]:
    sink, seen = RecordingSink(), InMemorySeenMessages()
    return WebhookHandler(CONFIG, sink, seen), sink, seen


def deliver(handler: WebhookHandler, payload: Any, *, sent: float = NOW, now: float = NOW) -> Any:
    body = payload if isinstance(payload, bytes) else body_of(payload)
    return handler(signed_headers(SECRET, body, sent), body, now)


def test_given_signed_sms_when_delivered_then_accepted_as_inbound_message(handler: Any) -> None:
    webhook, sink, _ = handler
    result = deliver(webhook, sms(sent_at=NOW - 3))
    assert (result.status, result.http_status, result.reason) == ("accepted", 200, "accepted")
    (message,) = sink.received
    assert message.channel is Channel.SMS
    assert message.sender == (Identifier(IdentifierKind.PHONE, "+8613800138000"),)
    assert message.text == "我的银行卡被锁了，怎么办？"
    assert (message.external_id, message.recipients, message.sent_at) == (
        "sms-1",
        ("95588",),
        NOW - 3,
    )
    assert message.at == NOW
    assert result.to_dict() == {
        "status": "accepted",
        "reason": "accepted",
        "detail": "message accepted",
        "message_id": "sms-1",
    }


def test_given_social_reply_post_when_delivered_then_threaded_by_parent_post(handler: Any) -> None:
    webhook, sink, _ = handler
    post = {
        "type": "social",
        "message_id": "evt-9",
        "platform": "Weibo",
        "author_handle": "@李四",
        "author_name": "李四",
        "text": "@某银行 客服电话一直打不通！",
        "post_id": "p-200",
        "in_reply_to": "p-100",
        "url": "https://weibo.example/p-200",
    }
    assert deliver(webhook, post).status == "accepted"
    (message,) = sink.received
    assert message.channel is Channel.SOCIAL and message.public
    assert message.sender == (Identifier(IdentifierKind.SOCIAL, "weibo:李四"),)
    assert (message.external_id, message.thread_refs) == ("p-200", ("p-100",))
    assert message.metadata["url"] == "https://weibo.example/p-200"


def test_given_replayed_delivery_when_delivered_again_then_ignored_as_duplicate(
    handler: Any,
) -> None:
    webhook, sink, _ = handler
    assert deliver(webhook, sms()).status == "accepted"
    again = deliver(webhook, sms(text="重发"), sent=NOW + 60, now=NOW + 61)
    assert (again.status, again.http_status, again.reason) == ("duplicate", 200, "duplicate")
    assert len(sink.received) == 1
    assert deliver(webhook, sms("sms-2"), now=NOW + 62, sent=NOW + 62).status == "accepted"
    assert len(sink.received) == 2


def test_given_sink_failure_when_delivered_then_503_and_retry_passes(handler: Any) -> None:
    webhook, sink, seen = handler
    sink.fail = True
    failed = deliver(webhook, sms())
    assert (failed.http_status, failed.reason) == (503, "sink_unavailable")
    assert len(seen) == 0
    sink.fail = False
    assert deliver(webhook, sms()).status == "accepted"


def test_given_bad_signature_when_delivered_then_401_and_nothing_stored(handler: Any) -> None:
    webhook, sink, seen = handler
    body = body_of(sms())
    headers = signed_headers(b"another-secret-of-enough-length", body, NOW)
    result = webhook(headers, body, NOW)
    assert (result.status, result.http_status, result.reason) == ("rejected", 401, "bad_signature")
    tampered = signed_headers(SECRET, body, NOW)
    result = webhook(tampered, body.replace("锁".encode(), "冻".encode()), NOW)
    assert result.reason == "bad_signature"
    assert sink.received == [] and len(seen) == 0


@pytest.mark.parametrize(
    ("sent", "reason"), [(NOW - 301, "stale_timestamp"), (NOW + 301, "stale_timestamp")]
)
def test_given_old_or_future_timestamp_when_delivered_then_401(
    handler: Any, sent: float, reason: str
) -> None:
    webhook, sink, _ = handler
    result = deliver(webhook, sms(), sent=sent)
    assert (result.http_status, result.reason) == (401, reason)
    assert sink.received == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_signature"),
        ({TIMESTAMP_HEADER: "soon", SIGNATURE_HEADER: "v1=00"}, "bad_timestamp"),
        ({TIMESTAMP_HEADER: str(int(NOW)), SIGNATURE_HEADER: "sha1=abc"}, "bad_signature"),
    ],
)
def test_given_missing_or_bad_headers_when_delivered_then_401(
    handler: Any, headers: dict[str, str], reason: str
) -> None:
    webhook, sink, _ = handler
    result = webhook(headers, body_of(sms()), NOW)
    assert (result.http_status, result.reason) == (401, reason)
    assert sink.received == []


def test_given_lower_case_headers_and_rotated_secrets_when_delivered_then_accepted() -> None:
    sink = RecordingSink()
    old, new = b"old-secret-0123456789", b"new-secret-0123456789"
    webhook = WebhookHandler(WebhookConfig(secrets=(new, old)), sink, InMemorySeenMessages())
    body = body_of(sms())
    headers = {
        TIMESTAMP_HEADER.lower(): str(int(NOW)),
        SIGNATURE_HEADER.lower(): sign(old, str(int(NOW)), body),
    }
    assert webhook(headers, body, NOW).status == "accepted"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"'],
    ids=["syntax", "utf8", "list", "str"],
)
def test_given_malformed_json_when_delivered_then_400_and_nothing_stored(
    handler: Any, body: bytes
) -> None:
    webhook, sink, seen = handler
    result = deliver(webhook, body)
    assert (result.http_status, result.reason) == (400, "malformed_json")
    assert sink.received == [] and len(seen) == 0


@pytest.mark.parametrize(
    ("payload", "field_name"),
    [
        ({"type": "sms", "from": "13800138000", "text": "x"}, "sms.message_id"),
        (sms(**{"from": "not-a-phone"}), "sms.from"),
        ({"type": "fax", "message_id": "1"}, "(body)"),
        ({**sms(), "text": "长" * 5001}, "sms.text"),
        (
            {"type": "social", "message_id": "1", "platform": "weibo", "text": "x"},
            "social.author_handle",
        ),
    ],
)
def test_given_invalid_payload_when_delivered_then_422_names_the_field(
    handler: Any, payload: dict[str, Any], field_name: str
) -> None:
    webhook, sink, _ = handler
    result = deliver(webhook, payload)
    assert (result.http_status, result.reason) == (422, "invalid_payload")
    assert field_name in [e["field"] for e in result.errors]
    assert field_name in result.detail
    assert sink.received == []


def test_given_oversized_body_when_delivered_then_413_before_anything_else(handler: Any) -> None:
    webhook, sink, _ = handler
    result = webhook({}, b"x" * 32_769, NOW)
    assert (result.http_status, result.reason) == (413, "body_too_large")
    assert sink.received == []


def test_given_weak_configuration_when_built_then_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        WebhookConfig(secrets=(b"short",))
    with pytest.raises(ValueError, match="tolerance_s"):
        WebhookConfig(secrets=(SECRET,), tolerance_s=0)


def test_given_plain_function_when_called_then_same_as_handler() -> None:
    sink, seen = RecordingSink(), InMemorySeenMessages()
    body = body_of(sms())
    result = handle_webhook(
        signed_headers(SECRET, body, NOW), body, NOW, config=CONFIG, sink=sink, seen=seen
    )
    assert result.status == "accepted" and "sms:sms:sms-1" in seen


@given(st.binary(max_size=300), st.integers(0, 299))
def test_property_any_change_to_a_signed_body_is_rejected(body: bytes, position: int) -> None:
    headers = signed_headers(SECRET, body, NOW)
    sink = RecordingSink()
    webhook = WebhookHandler(CONFIG, sink, InMemorySeenMessages())
    altered = bytearray(body + b"!")
    altered[position % len(altered)] ^= 0x01
    result = webhook(headers, bytes(altered), NOW)
    assert result.reason == "bad_signature"
    assert sink.received == []


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_given_a_signed_body_nested_30000_deep_when_delivered_then_400_malformed_json(
    opening: str,
) -> None:
    sink = RecordingSink()
    roomy = WebhookConfig(secrets=(SECRET,), tolerance_s=300.0, max_body_bytes=1_000_000)
    closing = "]" if opening == "[" else "}"
    body = (opening * 30_000 + "1" + closing * 30_000).encode()
    result = deliver(WebhookHandler(roomy, sink, InMemorySeenMessages()), body)
    assert (result.http_status, result.reason) == (400, "malformed_json")
    assert "nested" in result.detail and sink.received == []


def test_given_a_store_failure_naming_its_host_when_delivered_then_the_503_does_not_tell_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class HostNamingSink:
        def on_message(self, message: Inbound) -> None:
            raise ConnectionError('connection to server at "db.internal" (10.2.3.4), port 5432')

    failed = WebhookHandler(CONFIG, HostNamingSink(), InMemorySeenMessages())
    result = deliver(failed, sms())
    assert result.http_status == 503
    sent = json.dumps(result.to_dict())
    assert "10.2.3.4" not in sent and "5432" not in sent and "db.internal" not in sent
    assert "10.2.3.4" in caplog.text  # the operator still learns where it failed
