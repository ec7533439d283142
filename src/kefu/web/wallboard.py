"""The supervisor wallboard: a page and a WebSocket that pushes fresh figures.

Every committed batch of events feeds the projection and wakes the broadcaster, which sends
each connected client a snapshot for its site, at most every ``MIN_GAP_S`` seconds and at
least every ``wallboard_interval_s`` (so waits and times in state keep counting).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kefu.config import Settings
from kefu.service import RoutingEngine
from kefu.service.ports import StoredEvent
from kefu.service.wallboard import WallboardProjection

__all__ = ["Wallboard"]

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MIN_GAP_S = 0.2


class Wallboard:
    """Routes, WebSocket clients and the broadcaster of one engine's wallboard."""

    def __init__(self, engine: RoutingEngine, settings: Settings) -> None:
        self.engine = engine
        self.interval_s = settings.wallboard_interval_s
        self.projection = WallboardProjection(engine, settings.timezone)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.clients: dict[WebSocket, str | None] = {}
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._loading: list[StoredEvent] | None = None
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/", self.front, methods=["GET"])
        self.router.add_api_route("/wallboard", self.page, methods=["GET"])
        self.router.add_api_websocket_route("/ws/wallboard", self.socket)

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        self._changed = asyncio.Event()
        self._unsubscribe = self.engine.subscribe(self._on_events)
        await self._load()
        self._task = asyncio.create_task(self._broadcast_loop(), name="kefu-wallboard")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for websocket in list(self.clients):
            with contextlib.suppress(Exception):
                await websocket.close(code=1001)
        self.clients.clear()

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
        if self._changed is not None:
            self._changed.set()

    # -- pages -------------------------------------------------------------------------
    async def front(self) -> RedirectResponse:
        return RedirectResponse("/wallboard", status_code=307)

    async def page(self, request: Request, site_id: str | None = None) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request, "wallboard.html", {"site_id": site_id or ""}
        )

    async def socket(self, websocket: WebSocket) -> None:
        site_id = websocket.query_params.get("site_id") or None
        await websocket.accept()
        try:
            await websocket.send_json(await self.snapshot(site_id))
            self.clients[websocket] = site_id
            while True:
                message = await websocket.receive_json()
                if isinstance(message, dict) and "site_id" in message:
                    site_id = message["site_id"] or None
                    self.clients[websocket] = site_id
                    await websocket.send_json(await self.snapshot(site_id))
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        finally:
            self.clients.pop(websocket, None)

    # -- broadcasting ------------------------------------------------------------------
    async def snapshot(self, site_id: str | None) -> dict[str, Any]:
        return await self.engine.query(lambda _engine: self.projection.snapshot(site_id))

    async def _broadcast_loop(self) -> None:
        assert self._changed is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=self.interval_s)
            self._changed.clear()
            try:
                if self.projection.needs_new_day():
                    await self._load()
                await self.broadcast()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("wallboard update failed")
            await asyncio.sleep(MIN_GAP_S)

    async def broadcast(self) -> None:
        """Send every client the snapshot of its site (one snapshot per site)."""
        snapshots: dict[str | None, dict[str, Any]] = {None: await self.snapshot(None)}
        for websocket, site_id in list(self.clients.items()):
            if site_id not in snapshots:
                snapshots[site_id] = await self.snapshot(site_id)
            try:
                await websocket.send_json(snapshots[site_id])
            except Exception:
                self.clients.pop(websocket, None)
