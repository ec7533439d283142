"""In-process rate limiting: of login attempts, per username and per client address; and
of the public kiosk's requests, per client address.

A sliding window counts attempts; once a key has ``limit`` of them within ``window_s``
seconds, further attempts are refused until the oldest one leaves the window. State lives
in this process only (one server process holds one routing engine anyway).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from kefu.service.errors import TooManyRequests

__all__ = ["AddressRateLimiter", "LoginLimits", "LoginRateLimiter", "SlidingWindow"]


class SlidingWindow:
    """Failures per key within the last ``window_s`` seconds; keeps at most ``max_keys``
    keys (the least recently failed are forgotten first), so memory stays bounded."""

    def __init__(self, limit: int, window_s: float, *, max_keys: int = 100_000) -> None:
        if limit < 1 or not window_s > 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be ≥ 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str, now: float) -> float | None:
        """Seconds until ``key`` may try again, or ``None`` when it may now."""
        hits = self._prune(key, now)
        if hits is None or len(hits) < self.limit:
            return None
        return max(0.0, hits[0] + self.window_s - now)

    def hit(self, key: str, now: float) -> None:
        hits = self._prune(key, now)
        if hits is None:
            hits = self._hits[key] = deque()
        hits.append(now)
        self._hits.move_to_end(key)
        while len(hits) > self.limit:
            hits.popleft()
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def forget(self, key: str, at: float) -> None:
        """Take back one hit made at ``at`` (an attempt that turned out to succeed)."""
        hits = self._hits.get(key)
        if hits is not None and at in hits:
            hits.remove(at)
            if not hits:
                del self._hits[key]

    def _prune(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """Failed logins allowed per username and per client address within ``window_s`` s."""

    per_username: int = 5
    per_address: int = 20
    window_s: float = 300.0


class LoginRateLimiter:
    """Refuses a login attempt (:class:`TooManyRequests`) while its username or its client
    address has too many recent failures.

    :meth:`attempt` counts the attempt as a failure before the password is checked (so
    parallel guesses cannot slip past the limit); :meth:`succeeded` takes it back and
    clears the username's count. Safe to call from several threads.
    """

    def __init__(self, limits: LoginLimits | None = None) -> None:
        self.limits = limits or LoginLimits()
        self.users = SlidingWindow(self.limits.per_username, self.limits.window_s)
        self.addresses = SlidingWindow(self.limits.per_address, self.limits.window_s)
        self._lock = threading.Lock()

    def attempt(self, username: str, address: str, now: float) -> None:
        with self._lock:
            waits = [
                w
                for w in (
                    self.users.retry_after(username, now),
                    self.addresses.retry_after(address, now),
                )
                if w is not None
            ]
            if waits:
                wait = max(1, math.ceil(max(waits)))
                raise TooManyRequests(
                    f"too many failed logins; try again in {wait} s "
                    f"登录失败次数过多，请 {wait} 秒后再试",
                    retry_after_s=wait,
                )
            self.users.hit(username, now)
            self.addresses.hit(address, now)

    def succeeded(self, username: str, address: str, at: float) -> None:
        with self._lock:
            self.users.reset(username)
            self.addresses.forget(address, at)


class AddressRateLimiter:
    """Refuses (:class:`TooManyRequests`) a client address's request once it made ``limit``
    within ``window_s`` s; every request counts, refused ones excepted. For public
    endpoints without a login, such as the branch kiosk. Safe to call from several threads.
    """

    def __init__(self, limit: int, window_s: float, *, message: str) -> None:
        self.window = SlidingWindow(limit, window_s)
        self.message = message
        self._lock = threading.Lock()

    def check(self, address: str, now: float) -> None:
        """Count a request of ``address``, or refuse it; ``message`` may name ``{wait}``."""
        with self._lock:
            wait = self.window.retry_after(address, now)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                raise TooManyRequests(self.message.format(wait=seconds), retry_after_s=seconds)
            self.window.hit(address, now)
