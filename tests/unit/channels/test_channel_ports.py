"""Seen-message memory, attachment stores and the signature scheme."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.adapters.channels.attachments import FileSystemAttachmentStore, InMemoryAttachmentStore
from kefu.adapters.channels.ports import InMemorySeenMessages
from kefu.adapters.channels.signing import SignatureError, sign, signed_headers, verify
from kefu.domain.errors import NotFound, ValidationError

SECRET = b"0123456789abcdef0123"


def test_given_key_when_claimed_twice_then_second_claim_is_a_replay() -> None:
    seen = InMemorySeenMessages(retention_s=100.0)
    assert seen.claim("sms:a:1", 0.0)
    assert not seen.claim("sms:a:1", 50.0)
    seen.release("sms:a:1")
    assert seen.claim("sms:a:1", 60.0)


def test_given_retention_when_key_is_older_then_forgotten() -> None:
    seen = InMemorySeenMessages(retention_s=100.0)
    seen.claim("old", 0.0)
    seen.claim("new", 90.0)
    assert seen.claim("other", 150.0)
    assert "old" not in seen and "new" in seen and len(seen) == 2
    with pytest.raises(ValueError, match="retention_s"):
        InMemorySeenMessages(retention_s=0)


@pytest.mark.parametrize("kind", ["memory", "fs"])
def test_given_store_when_put_get_delete_then_round_trip(kind: str, tmp_path: Path) -> None:
    store = InMemoryAttachmentStore() if kind == "memory" else FileSystemAttachmentStore(tmp_path)
    key = store.put("发票".encode() * 10, filename="发票.pdf", content_type="application/pdf")
    assert store.get(key) == "发票".encode() * 10
    assert store.keys() == [key]
    store.delete(key)
    store.delete(key)  # gone already: no error
    assert store.keys() == []
    with pytest.raises(NotFound):
        store.get(key)
    with pytest.raises(ValidationError, match="not an attachment key"):
        store.get("../../etc/passwd")


def test_given_signature_when_verified_then_tolerance_both_ways() -> None:
    body = b'{"a": 1}'
    headers = signed_headers(SECRET, body, 1000.0)
    verify([SECRET], headers, body, now=1010.0, tolerance_s=10.0)
    verify([SECRET], headers, body, now=990.0, tolerance_s=10.0)
    with pytest.raises(SignatureError) as info:
        verify([SECRET], headers, body, now=1011.0, tolerance_s=10.0)
    assert info.value.reason == "stale_timestamp"
    assert sign(SECRET, "1000", body) == headers["X-Kefu-Signature"]
    assert headers["X-Kefu-Signature"].startswith("v1=") and len(headers["X-Kefu-Signature"]) == 67
