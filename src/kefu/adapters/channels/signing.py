"""The webhook signature scheme, used inbound (verify) and outbound (sign).

``X-Kefu-Timestamp`` is the sending instant in whole seconds since the Unix epoch;
``X-Kefu-Signature`` is ``v1=`` + hex HMAC-SHA256 over ``<timestamp>.<body bytes>``.
Several comma-separated signatures are allowed (one per secret while a secret is rotated).
A delivery is accepted when its timestamp is within ``tolerance_s`` seconds of now (either
way) and one signature matches one secret, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureError",
    "sign",
    "signed_headers",
    "verify",
]

SIGNATURE_HEADER = "X-Kefu-Signature"
TIMESTAMP_HEADER = "X-Kefu-Timestamp"


class SignatureError(Exception):
    """The delivery is not authentic or too old; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``v1=`` signature of ``body`` sent at ``timestamp`` (whole seconds, as text)."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: bytes, body: bytes, now: float) -> dict[str, str]:
    """The two headers for ``body`` sent at ``now`` seconds."""
    timestamp = str(int(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def verify(
    secrets: Sequence[bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance_s: float,
) -> None:
    """Raise :class:`SignatureError` unless the delivery is authentic and fresh."""
    timestamp = _header(headers, TIMESTAMP_HEADER)
    given = _header(headers, SIGNATURE_HEADER)
    if timestamp is None or given is None:
        raise SignatureError(
            "missing_signature",
            f"the {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required",
        )
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("bad_timestamp", f"{TIMESTAMP_HEADER} must be whole seconds")
    if abs(now - int(timestamp)) > tolerance_s:
        raise SignatureError(
            "stale_timestamp",
            f"{TIMESTAMP_HEADER} is more than {tolerance_s:g} s from the server's time",
        )
    candidates = [part.strip() for part in given.split(",") if part.strip().startswith("v1=")]
    matched = False
    for secret in secrets:
        expected = sign(secret, timestamp, body).encode("ascii")
        for candidate in candidates:
            # Check every pair so the time taken does not depend on which one matched.
            matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise SignatureError("bad_signature", "the signature does not match the body")
