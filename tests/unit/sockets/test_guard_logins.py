"""The socket guard resolves each login once per check, however many sockets it holds
open, and closes them all when it ends."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from kefu.adapters.sockets.guard import UNAUTHENTICATED, SocketGuard
from kefu.service.security import Principal, Role, Security


@dataclass
class _Credentials:
    """Stands in for the credentials store: counts the lookups of each secret."""

    live: dict[str, Principal]
    lookups: list[str] = field(default_factory=list)

    def token(self, secret: str) -> Principal | None:
        self.lookups.append(secret)
        return self.live.get(secret)

    def session(self, secret: str) -> Principal | None:
        return self.token(secret)


@dataclass
class _Security:
    credentials: _Credentials


@dataclass(eq=False)
class _Socket:
    """A socket opened with a bearer token; keeps the code it was closed with."""

    secret: str
    closed: tuple[int, str] | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.secret}"}

    async def close(self, code: int, reason: str = "") -> None:
        self.closed = (code, reason)


def test_given_many_sockets_of_two_logins_when_rechecked_then_each_login_is_read_once() -> None:
    lead = Principal("u1", "lead", Role.SUPERVISOR, frozenset({"sh"}), via="token")
    credentials = _Credentials({"wall": lead, "desk": lead})
    guard = SocketGuard(cast(Security, _Security(credentials)))
    sockets = [_Socket("wall") for _ in range(50)] + [_Socket("desk")]
    for socket in sockets:
        guard.watch(cast(Any, socket), lead, lambda _principal: True)

    asyncio.run(guard.recheck())
    assert sorted(credentials.lookups) == ["desk", "wall"]
    assert all(s.closed is None for s in sockets)

    del credentials.live["wall"]  # the wallboards' token is revoked
    credentials.lookups.clear()
    asyncio.run(guard.recheck())
    assert sorted(credentials.lookups) == ["desk", "wall"]
    assert [s.closed for s in sockets] == [(UNAUTHENTICATED, "login_ended")] * 50 + [None]
