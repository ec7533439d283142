"""In-process rate limiting: of login attempts, per account (exponential back-off) and per
client address; and of the public kiosk's requests, per client address.

A sliding window counts a client address's attempts; once it has ``limit`` of them within
``window_s`` seconds, further attempts are refused until the oldest one leaves the window.
State lives in this process only (one server process holds one routing engine anyway); an
admin's unlock reaches it through the user's stored ``unlocked_at``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field

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
    """An account takes ``free_failures`` failed logins, then each further one makes the
    clients that failed wait: ``backoff_s`` seconds, doubling with every failure, at most
    ``max_backoff_s``; its record is forgotten ``window_s`` s after the wait ends. A client
    address may fail ``per_address`` times within ``window_s`` s, across all accounts."""

    free_failures: int = 5
    per_address: int = 30
    window_s: float = 300.0
    backoff_s: float = 2.0
    max_backoff_s: float = 900.0


@dataclass(slots=True)
class _Account:
    """Failed logins of one username: how many, the first and the last (instants, s), and
    the client addresses they came from."""

    since: float
    failures: int = 0
    last_at: float = 0.0
    clients: set[str] = field(default_factory=set)

    def wait(self, limits: LoginLimits) -> float:
        """Seconds after the last failure before a client that failed may try again."""
        over = self.failures - limits.free_failures
        if over < 0:
            return 0.0
        return min(limits.max_backoff_s, limits.backoff_s * 2.0 ** min(over, 60))


MAX_CLIENTS_PER_ACCOUNT = 256
"""Addresses remembered per account; past that (guesses from that many places), every
client counts as one that failed, so memory stays bounded: an admin's unlock helps then."""


class LoginRateLimiter:
    """Refuses a login attempt (:class:`TooManyRequests`) while its client address has
    too many recent failures, or while its account is backing off and this client is one
    that failed against it. A client that has not failed is never refused for the
    account's sake, so guessing from elsewhere cannot lock its owner out.

    :meth:`attempt` counts the attempt as a failure before the password is checked (so
    parallel guesses cannot slip past the limits); :meth:`succeeded` takes it back, and
    forgets the account's failures when they were all this client's. Safe to call from
    several threads.
    """

    def __init__(self, limits: LoginLimits | None = None, *, max_keys: int = 20_000) -> None:
        self.limits = limits or LoginLimits()
        self.addresses = SlidingWindow(self.limits.per_address, self.limits.window_s)
        self.max_keys = max_keys
        self._accounts: OrderedDict[str, _Account] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(
        self, username: str, address: str, now: float, *, unlocked_at: float | None = None
    ) -> None:
        """Count an attempt, or refuse it; ``unlocked_at``: when an admin last lifted the
        account's back-off (failures before it are forgotten)."""
        with self._lock:
            account = self._current(username, now, unlocked_at)
            waits = [self.addresses.retry_after(address, now) or 0.0]
            if account is not None and (
                address in account.clients or len(account.clients) >= MAX_CLIENTS_PER_ACCOUNT
            ):
                waits.append(account.last_at + account.wait(self.limits) - now)
            wait = max(waits)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                raise TooManyRequests(
                    f"too many failed logins; try again in {seconds} s",
                    text_key="error.login_backoff",
                    retry_after_s=seconds,
                )
            self.addresses.hit(address, now)
            if account is None:
                account = self._accounts[username] = _Account(since=now)
            self._accounts.move_to_end(username)
            account.failures += 1
            account.last_at = now
            if len(account.clients) < MAX_CLIENTS_PER_ACCOUNT:
                account.clients.add(address)
            while len(self._accounts) > self.max_keys:
                self._accounts.popitem(last=False)

    def succeeded(self, username: str, address: str, at: float) -> None:
        """Take back the attempt made at ``at``: the password was right."""
        with self._lock:
            self.addresses.forget(address, at)
            account = self._accounts.get(username)
            if account is None:
                return
            account.failures -= 1
            account.clients.discard(address)
            if not account.clients or account.failures <= 0:
                del self._accounts[username]

    def unlock(self, username: str) -> None:
        """Forget the account's failures (an admin lifted its back-off)."""
        with self._lock:
            self._accounts.pop(username, None)

    def failures(self, username: str) -> int:
        """The account's failed logins still remembered."""
        with self._lock:
            account = self._accounts.get(username)
            return 0 if account is None else account.failures

    def _current(self, username: str, now: float, unlocked_at: float | None) -> _Account | None:
        account = self._accounts.get(username)
        if account is None:
            return None
        quiet_until = account.last_at + account.wait(self.limits) + self.limits.window_s
        if now >= quiet_until or (unlocked_at is not None and unlocked_at >= account.since):
            del self._accounts[username]
            return None
        return account


class AddressRateLimiter:
    """Refuses (:class:`TooManyRequests`) a client address's request once it made ``limit``
    within ``window_s`` s; every request counts, refused ones excepted. For public
    endpoints without a login, such as the branch kiosk. Safe to call from several threads.
    """

    def __init__(
        self, limit: int, window_s: float, *, message: str, text_key: str | None = None
    ) -> None:
        self.window = SlidingWindow(limit, window_s)
        self.message = message
        self.text_key = text_key
        self._lock = threading.Lock()

    def check(self, address: str, now: float) -> None:
        """Count a request of ``address``, or refuse it; ``message`` may name ``{wait}``."""
        with self._lock:
            wait = self.window.retry_after(address, now)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                raise TooManyRequests(
                    self.message.format(wait=seconds),
                    retry_after_s=seconds,
                    text_key=self.text_key,
                )
            self.window.hit(address, now)
