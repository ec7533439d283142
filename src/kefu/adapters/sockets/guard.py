"""Push sockets hold only the rights they still have: a :class:`SocketGuard` resolves the
login of each socket it watches again every :data:`RECHECK_S` seconds and at once after any
change of rights in this process (a user changed or deactivated, a logout, a revoked token),
and closes the socket with 4401 when the login ended or 4403 when the caller may no longer
see what the socket shows.

The periodic check reads the store, not the credentials cache, so changes made by another
process (``kefu users`` on the command line) end sockets within :data:`RECHECK_S` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.websockets import WebSocket

from kefu.adapters.sockets.tasks import stop_task, wake_or_timeout
from kefu.service.security import SESSION_COOKIE, Principal, Security

__all__ = ["FORBIDDEN", "RECHECK_S", "UNAUTHENTICATED", "SocketGuard", "presented_secret"]

log = logging.getLogger(__name__)
RECHECK_S = 5.0
"""Seconds between two checks of every watched socket's login, at the most."""
UNAUTHENTICATED = 4401
FORBIDDEN = 4403
LOGIN_ENDED = "login_ended"
NOT_ALLOWED = "not_allowed"
"""Close reasons are short English codes: the pages act on the close code (4401: to the
login page; 4403: the translated ``forbidden`` message or the account page)."""

Allowed = Callable[[Principal], bool]
"""Whether the principal, as it is now, may still see what the socket shows (it may also
narrow what the socket shows, e.g. the sites of a wallboard)."""


def presented_secret(websocket: WebSocket) -> str:
    """The bearer token or, without one, the session cookie a socket was opened with."""
    header = websocket.headers.get("authorization", "")
    return header.partition(" ")[2].strip() or websocket.cookies.get(SESSION_COOKIE, "")


@dataclass(eq=False, slots=True)
class _Watched:
    via: str
    secret: str
    allowed: Allowed
    on_close: Callable[[], object] | None


class SocketGuard:
    """The sockets of one hub whose login is checked again; started and stopped with it."""

    def __init__(self, security: Security, recheck_s: float = RECHECK_S) -> None:
        self.security = security
        self.recheck_s = recheck_s
        self._watched: dict[WebSocket, _Watched] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def watch(
        self,
        websocket: WebSocket,
        principal: Principal,
        allowed: Allowed,
        on_close: Callable[[], object] | None = None,
    ) -> None:
        """Check ``websocket`` from now on, opened by ``principal``; ``on_close`` runs when
        the guard closes it (the hub stops pushing to it)."""
        secret = presented_secret(websocket)
        self._watched[websocket] = _Watched(principal.via, secret, allowed, on_close)

    def forget(self, websocket: WebSocket) -> None:
        self._watched.pop(websocket, None)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        wake = self._wake = asyncio.Event()

        def changed() -> None:
            # Rights change in worker threads (the API runs the security store there).
            loop.call_soon_threadsafe(wake.set)

        self._unsubscribe = self.security.subscribe(changed)
        self._task = asyncio.create_task(self._loop(), name="kefu-socket-guard")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            await stop_task(self._task)
        self._watched.clear()

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            await wake_or_timeout(self._wake, self.recheck_s)
            self._wake.clear()
            try:
                await self.recheck()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking the sockets' logins failed")

    async def recheck(self) -> None:
        """Resolve every watched socket's login in the store (one worker thread, each
        login once) and close those that lost it (4401) or what they show (4403)."""
        watched = list(self._watched.items())
        if not watched:
            return
        principals = await asyncio.to_thread(self._resolve, [w for _, w in watched])
        for (websocket, item), principal in zip(watched, principals, strict=True):
            if websocket not in self._watched:
                continue
            if principal is None:
                await self._close(websocket, item, UNAUTHENTICATED, LOGIN_ENDED)
            elif not item.allowed(principal):
                await self._close(websocket, item, FORBIDDEN, NOT_ALLOWED)

    def _resolve(self, items: list[_Watched]) -> list[Principal | None]:
        # Each login once, however many sockets it holds open (tabs, wallboards on a wall).
        credentials = self.security.credentials
        found: dict[tuple[str, str], Principal | None] = {}
        for item in items:
            login = (item.via, item.secret)
            if login not in found:
                found[login] = (
                    credentials.token(item.secret)
                    if item.via == "token"
                    else credentials.session(item.secret)
                )
        return [found[item.via, item.secret] for item in items]

    async def _close(self, websocket: WebSocket, item: _Watched, code: int, reason: str) -> None:
        self._watched.pop(websocket, None)
        if item.on_close is not None:
            item.on_close()
        with contextlib.suppress(Exception):
            await websocket.close(code=code, reason=reason)
