"""How much mail one sender may hand the SMTP listener: bytes accepted per envelope sender
(``MAIL FROM``, case-insensitive) over a sliding window, so an unauthenticated sender cannot
fill memory or disk without bound. Used from the listener's event loop only."""

from __future__ import annotations

from collections import OrderedDict, deque

__all__ = ["SenderQuota"]


class SenderQuota:
    """At most ``limit_bytes`` accepted per sender within the last ``window_s`` seconds;
    remembers at most ``max_senders`` senders (the least recent are forgotten first)."""

    def __init__(self, limit_bytes: int, window_s: float = 3600.0, max_senders: int = 100_000):
        if limit_bytes < 1 or not window_s > 0 or max_senders < 1:
            raise ValueError("limit_bytes and max_senders must be ≥ 1 and window_s > 0")
        self.limit_bytes = limit_bytes
        self.window_s = window_s
        self.max_senders = max_senders
        self._accepted: OrderedDict[str, deque[tuple[float, int]]] = OrderedDict()

    def remaining(self, sender: str, now: float) -> int:
        """Bytes ``sender`` may still send now (0 when its quota is used up)."""
        return max(0, self.limit_bytes - sum(size for _, size in self._recent(sender, now)))

    def add(self, sender: str, size: int, now: float) -> None:
        """Count ``size`` bytes accepted from ``sender`` at ``now``."""
        key = sender.strip().casefold()
        self._recent(key, now)
        self._accepted.setdefault(key, deque()).append((now, size))
        self._accepted.move_to_end(key)
        while len(self._accepted) > self.max_senders:
            self._accepted.popitem(last=False)

    def _recent(self, sender: str, now: float) -> deque[tuple[float, int]]:
        key = sender.strip().casefold()
        accepted = self._accepted.get(key)
        if accepted is None:
            return deque()
        while accepted and accepted[0][0] <= now - self.window_s:
            accepted.popleft()
        if not accepted:
            del self._accepted[key]
        return accepted
