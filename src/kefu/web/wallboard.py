"""The supervisor wallboard: a page and a WebSocket that pushes fresh figures.

Every committed batch of events feeds the projection and, while a wallboard is open, wakes
the broadcaster, which sends each connected client a snapshot for its sites, at most every
``MIN_GAP_S`` seconds (longer with thousands open: ``FRAMES_PER_S``) and at least every
``wallboard_interval_s`` (so waits and times in state keep counting). With no wallboard
open nothing is built or sent: the broadcaster only records the contacts waiting for the
chart's history, once per sample spacing.

Only supervisors and admins see it, by session cookie (or bearer token): without one the
page redirects to the login page and the WebSocket closes with 4401; an agent, another
site or a cross-site ``Origin`` closes it with 4403. A supervisor sees its sites only;
connections are checked again every few seconds and after every change of rights
(:class:`kefu.adapters.sockets.guard.SocketGuard`): a logout, an expired session or a
deactivated user ends them (4401); a supervisor who lost the site shown is closed with
4403, and one shown all its sites then sees only those it still has.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from kefu.adapters.sockets.guard import FORBIDDEN, UNAUTHENTICATED, SocketGuard
from kefu.adapters.sockets.hub import PushHub
from kefu.config import Settings
from kefu.service import RoutingEngine, StoredEvent
from kefu.service.security import Principal, Role, Scope, Security, as_seen_by, csrf_token
from kefu.service.wallboard import WallboardProjection, WallboardSnapshot
from kefu.web._http import origin_ok, user_of
from kefu.web.auth_pages import AuthPages
from kefu.web.i18n import page_templates

__all__ = ["Wallboard"]

HERE = Path(__file__).resolve().parent
MIN_GAP_S = 0.05
"""Seconds from the start of one broadcast to the next at the least: under load a change
is always pending, so this sets how fresh the figures are (and the chart is rebuilt only
every :data:`kefu.service.wallboard.CHART_S`)."""
FRAMES_PER_S = 5000
"""Wallboard frames a process sends per second at the most: past 250 open wallboards the
gap between broadcasts grows with them (1 s with 5,000), or the sending would take all of
a core (5,000 wallboards on one process took 41,000 frames a second)."""


def broadcast_gap(clients: int) -> float:
    """Seconds from the start of one broadcast to the next with ``clients`` wallboards
    open (:data:`MIN_GAP_S`, longer past :data:`FRAMES_PER_S`)."""
    return max(MIN_GAP_S, clients / FRAMES_PER_S)


class _Client:
    """A connected wallboard: whose it is, the site asked for (None: all of the caller's)
    and the sites it shows."""

    __slots__ = ("asked", "principal", "sites")

    def __init__(
        self, principal: Principal, asked: str | None, sites: frozenset[str] | None
    ) -> None:
        self.principal = principal
        self.asked = asked
        self.sites = sites


class Wallboard(PushHub[_Client]):
    """Routes, WebSocket clients and the broadcaster of one engine's wallboard."""

    def __init__(self, engine: RoutingEngine, settings: Settings, security: Security) -> None:
        super().__init__(
            "wallboard",
            refresh_s=settings.wallboard_interval_s,
            min_gap_s=MIN_GAP_S,
            # the time a broadcast takes (waiting for the batch it saw to be stored) is
            # not added to the gap
            gap_from_start=True,
            guard=SocketGuard(security, settings.socket_recheck_s),
        )
        self.engine = engine
        self.settings = settings
        self.security = security
        self.interval_s = settings.wallboard_interval_s
        self.projection = WallboardProjection(engine, settings.timezone)
        self.templates = page_templates()
        self.auth = AuthPages(security, settings, self.templates)
        self._loading: list[StoredEvent] | None = None
        self.engine_reads = 0
        """Times the broadcaster read the engine (a snapshot round or a sample)."""
        self.router = APIRouter(include_in_schema=False)
        self.router.include_router(self.auth.router)
        self.router.add_api_route("/wallboard", self.page, methods=["GET"])
        self.router.add_api_websocket_route("/ws/wallboard", self.socket)

    @property
    def clients(self) -> dict[WebSocket, _Client]:
        """The connected wallboards (the hub's sockets)."""
        return self.sockets

    # -- life cycle --------------------------------------------------------------------
    def subscribe(self) -> list[Callable[[], None]]:
        return [self.engine.subscribe(self._on_events)]

    async def prepare(self) -> None:
        await self._load()

    def mount_static(self, app: FastAPI) -> None:
        app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    async def _load(self) -> None:
        # Batches committed while the stored log is read are kept and fed afterwards
        # (duplicates are skipped by sequence number).
        self._loading = []
        try:
            await self.projection.load()
            self.projection.consume(self._loading)
        finally:
            self._loading = None

    def _on_events(self, batch: Sequence[StoredEvent]) -> None:
        if self._loading is not None:
            self._loading.extend(batch)
        else:
            self.projection.consume(batch)
        if self.clients:  # with no wallboard open, a commit costs no broadcast round
            self.mark()

    # -- pages -------------------------------------------------------------------------
    async def page(self, request: Request, site_id: str | None = None) -> Response:
        user = await self.auth.user(request)
        if user is None:
            return RedirectResponse("/login?next=/wallboard", status_code=303)
        user = as_seen_by(self.engine, user)
        if user.role is Role.AGENT:
            return self.auth.signed_in_page(request, user, status_code=403, notice="forbidden")
        return self.templates.TemplateResponse(
            request,
            "wallboard.html",
            {
                "site_id": site_id or "",
                "user": user,
                "csrf_token": csrf_token(self.settings.secret_key, user),
            },
        )

    def _sites(self, principal: Principal, site_id: str | None) -> frozenset[str] | None:
        """The sites a connection shows; :class:`LookupError` when not allowed."""
        if principal.role is Role.AGENT or Scope.READ not in principal.scopes:
            raise LookupError("the wallboard is for supervisors and admins")
        if principal.is_admin:
            return None if site_id is None else frozenset({site_id})
        if site_id is None:
            return principal.sites
        if site_id not in principal.sites:
            raise LookupError(f"site {site_id} is not one of the caller's")
        return frozenset({site_id})

    async def socket(self, websocket: WebSocket) -> None:
        site_id = websocket.query_params.get("site_id") or None
        await websocket.accept()
        same_site = origin_ok(websocket)
        principal = await user_of(websocket, self.security) if same_site else None
        if principal is None:
            code = UNAUTHENTICATED if same_site else FORBIDDEN
            await websocket.close(code=code, reason="login_required")
            return
        principal = as_seen_by(self.engine, principal)
        try:
            sites = self._sites(principal, site_id)
        except LookupError as exc:
            await websocket.close(code=FORBIDDEN, reason=str(exc))
            return
        client = _Client(principal, site_id, sites)
        guard = self.guard
        assert guard is not None
        guard.watch(
            websocket,
            principal,
            lambda now: self._still_allowed(client, now),
            on_close=lambda: self.clients.pop(websocket, None),
        )
        try:
            await websocket.send_json((await self.snapshot(sites)).to_json())
            self.clients[websocket] = client
            while True:
                message = await websocket.receive_json()
                if isinstance(message, dict) and "site_id" in message:
                    wanted = message["site_id"] or None
                    try:
                        client.sites = self._sites(client.principal, wanted)
                    except LookupError as exc:
                        await websocket.close(code=FORBIDDEN, reason=str(exc))
                        return
                    client.asked = wanted
                    await websocket.send_json((await self.snapshot(client.sites)).to_json())
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        finally:
            guard.forget(websocket)
            self.clients.pop(websocket, None)

    def _still_allowed(self, client: _Client, principal: Principal) -> bool:
        """Whether the caller, with its rights as they are now, may see the site it asked
        for; the sites shown follow its rights (a lost site is no longer shown)."""
        principal = as_seen_by(self.engine, principal)
        try:
            client.sites = self._sites(principal, client.asked)
        except LookupError:
            return False
        client.principal = principal
        return True

    # -- broadcasting ------------------------------------------------------------------
    async def snapshot(self, sites: frozenset[str] | None) -> WallboardSnapshot:
        """The snapshot of ``sites`` now (its ``to_json`` is the frame)."""
        snapshots = await self.engine.query(lambda _engine: self.projection.snapshots([sites]))
        return snapshots[sites]

    async def push(self, changed: bool) -> None:
        del changed  # waits and times in state keep counting: every round sends
        if self.projection.needs_new_day():
            await self._load()
        if self.clients:
            await self.broadcast()
        elif self.projection.sample_due(self.engine.now()):
            # The chart's history keeps growing while no wallboard is open: one reading
            # of the engine per sample spacing, not one per round.
            self.engine_reads += 1
            await self.engine.query(lambda _engine: self.projection.sample_now())

    async def broadcast(self) -> None:
        """Send every client the snapshot of its sites: one reading of the engine and of
        the KPIs for all of them, one snapshot per set of sites (nothing without
        clients)."""
        clients = list(self.clients.items())
        self.min_gap_s = broadcast_gap(len(clients))
        if not clients:
            return
        self.engine_reads += 1
        views = [client.sites for _, client in clients]
        # Not waiting for the open batch to be stored: its contacts' KPIs come with its
        # committed events anyway, and the next broadcast follows within MIN_GAP_S.
        snapshots = await self.engine.query(
            lambda _engine: self.projection.snapshots(views), stored=False
        )
        # Rendered after the lock is released, and encoded once per set of sites (as
        # send_json would, for each of thousands of sockets on a web node).
        frames = {
            sites: json.dumps(snapshot.to_json(), separators=(",", ":"), ensure_ascii=False)
            for sites, snapshot in snapshots.items()
        }
        for websocket, client in clients:
            try:
                await websocket.send_text(frames[client.sites])
            except Exception:
                self.clients.pop(websocket, None)
