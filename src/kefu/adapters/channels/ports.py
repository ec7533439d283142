"""The ports between channel adapters and the rest of kefu.

Adapters turn traffic into an :class:`~kefu.service.channel_ports.Inbound` (the service's
own value) and hand it to an :class:`InboundSink` (the server implements it; tests use a
hand-written one). :class:`SeenMessages` remembers provider message ids so a replayed
delivery is ignored. Instants are seconds since the Unix epoch.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Protocol

from kefu.service.channel_ports import Inbound

__all__ = ["InMemorySeenMessages", "InboundSink", "SeenMessages"]


class InboundSink(Protocol):
    """Receives inbound messages. It must not block for long (it runs on the event loop of
    the SMTP listener); raising refuses the message, which the adapter answers with a
    temporary failure so the sender retries, and stores nothing."""

    def on_message(self, message: Inbound) -> None: ...


class SeenMessages(Protocol):
    """Provider message ids already accepted, for idempotent webhooks."""

    def claim(self, key: str, now: float) -> bool:
        """Record ``key``; ``True`` the first time, ``False`` if it was seen (a replay)."""
        ...

    def release(self, key: str) -> None:
        """Forget ``key`` (its delivery failed after the claim, so a retry must pass)."""
        ...


class InMemorySeenMessages:
    """:class:`SeenMessages` in a dictionary; keys older than ``retention_s`` seconds are
    forgotten (default 7 days, far beyond any provider's retry schedule). Thread-safe."""

    def __init__(self, retention_s: float = 7 * 86400.0) -> None:
        if retention_s <= 0:
            raise ValueError(f"retention_s must be > 0 seconds, got {retention_s}")
        self._retention = retention_s
        self._seen: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def claim(self, key: str, now: float) -> bool:
        with self._lock:
            while self._order and self._order[0][0] < now - self._retention:
                at, old = self._order.popleft()
                if self._seen.get(old) == at:
                    del self._seen[old]
            if key in self._seen:
                return False
            self._seen[key] = now
            self._order.append((now, key))
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def __len__(self) -> int:
        return len(self._seen)
