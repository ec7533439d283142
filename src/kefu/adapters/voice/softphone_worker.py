"""The browser softphones' media in a worker process, driven by requests and events.

aiortc's ICE, DTLS and SRTP are per-packet Python work (measured with bench/softphone.py:
20 browser calls on the server's loop made it wake 164 ms late at p99), so no
:class:`~kefu.adapters.voice.webrtc.BrowserPhone` lives in the server process: the server
keeps each leg's signalling (who it rings, the SDP it relays) and asks a worker process,
over the media worker's control channel (:mod:`~kefu.adapters.voice.worker_channel`), to
open a phone facing the engine's leg, apply the browser's answer and close it. The worker
runs its own asyncio loop; it reports a peer connection that failed as an event.

Requests are ``(request id, name, args)``; the worker answers ``("reply", id, ok, value)``
and sends events as ``("failed", leg id)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import resource
import socket
import time
from collections.abc import Callable
from typing import Any

from kefu.adapters.voice.worker_channel import (
    MessageReader,
    raise_priority,
    send_message,
    spawn_worker,
)

__all__ = ["SoftphoneRefused", "SoftphoneWorker", "WorkerGone"]

_log = logging.getLogger(__name__)
_READY = "ready"
# A worker starts a fresh interpreter and imports aiortc and numpy: allow for a loaded machine.
_START_TIMEOUT_S = 60.0


class SoftphoneRefused(ValueError):
    """The worker refused a request (e.g. an SDP answer aiortc cannot use)."""


class WorkerGone(RuntimeError):
    """The softphone worker is not running (never started, stopped, or it died)."""


def _worker_main(control: socket.socket, host: str, realtime: bool) -> None:
    from threadpoolctl import threadpool_limits

    if realtime:  # the phones' audio, like the media worker's, must get the CPU on time
        raise_priority("softphone")

    # One call's frames are tiny: BLAS threads would only spin on the other cores.
    with threadpool_limits(limits=1, user_api="blas"):
        asyncio.run(_serve(control, host))


async def _serve(control: socket.socket, host: str) -> None:
    from aiortc.exceptions import InvalidAccessError, InvalidStateError

    from kefu.adapters.voice.webrtc import BrowserPhone

    loop = asyncio.get_running_loop()
    control.setblocking(False)
    done = asyncio.Event()
    phones: dict[str, BrowserPhone] = {}
    tasks: set[asyncio.Task[None]] = set()
    refusals = (ValueError, InvalidStateError, InvalidAccessError)

    def send(message: Any) -> None:
        control.setblocking(True)
        try:
            send_message(control, message)
        finally:
            control.setblocking(False)

    async def open_phone(leg_id: str, engine: tuple[str, int]) -> tuple[int, str]:
        phone = BrowserPhone(host)
        phones[leg_id] = phone

        @phone.pc.on("connectionstatechange")
        def _state() -> None:
            if phone.pc.connectionState == "failed" and phones.get(leg_id) is phone:
                send(("failed", leg_id))

        port = await phone.start()
        phone.connect(*engine)
        return port, await phone.offer()

    async def close_phone(leg_id: str) -> None:
        phone = phones.pop(leg_id, None)
        if phone is not None:
            await phone.close()

    async def handle(request_id: int, name: str, args: tuple[Any, ...]) -> None:
        try:
            if name == "open":
                value: Any = await open_phone(*args)
            elif name == "answer":
                leg_id, sdp = args
                await phones[leg_id].answer(sdp)
                value = None
            elif name == "close":
                await close_phone(*args)
                value = None
            elif name == "counts":
                phone = phones[args[0]]
                value = (phone.received_frames, phone.sent_frames)
            elif name == "lag":
                value = await _loop_lag(*args)
            else:
                raise KeyError(name)
        except refusals as exc:
            send(("reply", request_id, False, ("refused", str(exc))))
        except KeyError as exc:
            send(("reply", request_id, False, ("unknown", str(exc))))
        except Exception as exc:  # reported to the server, which ends the leg
            _log.exception("softphone request %s failed", name)
            send(("reply", request_id, False, ("error", str(exc))))
        else:
            send(("reply", request_id, True, value))

    reader = MessageReader(control)

    def on_readable() -> None:
        try:
            messages = reader.read()
        except (OSError, ValueError):
            messages = None
        if messages is None:
            done.set()
            return
        for request_id, name, args in messages:
            task = loop.create_task(handle(request_id, name, args))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    loop.add_reader(control.fileno(), on_readable)
    send(_READY)
    await done.wait()
    loop.remove_reader(control.fileno())
    for task in list(tasks):
        task.cancel()
    for leg_id in list(phones):
        with contextlib.suppress(Exception):
            await close_phone(leg_id)
    control.close()


async def _loop_lag(seconds: float) -> dict[str, float]:
    """How late this loop wakes from 10 ms sleeps over *seconds* (ms: p50, p99, max) and
    the CPU the process used meanwhile (cores)."""
    late: list[float] = []
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        late.append((time.monotonic() - before - 0.01) * 1000)
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    late.sort()
    return {
        "lateness_ms_p50": round(late[len(late) // 2], 2),
        "lateness_ms_p99": round(late[int(len(late) * 0.99)], 2),
        "lateness_ms_max": round(late[-1], 2),
        "cores": round(used / (time.monotonic() - start), 3),
    }


class SoftphoneWorker:
    """Browser phones in a child process; *on_failed* hears of a leg whose peer connection
    failed, *on_exit* that the worker died (every leg's media is gone); *realtime* asks
    for SCHED_FIFO scheduling in the worker."""

    def __init__(
        self,
        host: str,
        on_failed: Callable[[str], None] | None = None,
        on_exit: Callable[[], None] | None = None,
        *,
        realtime: bool = False,
    ) -> None:
        self.host = host
        self.realtime = realtime
        self._on_failed = on_failed
        self._on_exit = on_exit
        self._control: socket.socket | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: MessageReader | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)

    @property
    def running(self) -> bool:
        return self._control is not None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        """Start the worker process (its own interpreter: spawn, not fork)."""
        self._loop = asyncio.get_running_loop()
        self._process, ours = await spawn_worker(
            _worker_main, "kefu-softphones", self.host, self.realtime
        )
        self._control = ours
        self._reader = MessageReader(ours)
        self._ready = self._loop.create_future()
        self._loop.add_reader(ours.fileno(), self._on_messages)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), _START_TIMEOUT_S)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close the control socket (the worker closes its phones and exits) and reap it."""
        self._disconnect()
        if self._process is not None:
            process = self._process
            self._process = None
            await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
            if process.is_alive():
                process.kill()

    async def open(self, leg_id: str, engine: tuple[str, int]) -> tuple[int, str]:
        """Open *leg_id*'s browser phone, sending the browser's audio to the engine's leg at
        *engine*; returns the phone's RTP port (for the engine's leg to send to) and the SDP
        offer for the browser (PCMU only, ICE candidates gathered)."""
        port, sdp = await self._request("open", leg_id, engine)
        return int(port), str(sdp)

    async def answer(self, leg_id: str, sdp: str) -> None:
        """Apply the browser's SDP answer; :class:`SoftphoneRefused` when it cannot be."""
        await self._request("answer", leg_id, sdp)

    async def close(self, leg_id: str) -> None:
        """Close the leg's peer connection and RTP socket (nothing when already gone)."""
        with contextlib.suppress(WorkerGone):
            await self._request("close", leg_id)

    async def counts(self, leg_id: str) -> tuple[int, int]:
        """Frames of the engine's audio received for the browser, and of the browser's
        audio sent to the engine, on the leg so far."""
        received, sent = await self._request("counts", leg_id)
        return int(received), int(sent)

    async def loop_lag(self, seconds: float) -> dict[str, float]:
        """The worker loop's lateness over *seconds* and the CPU it used (see bench)."""
        figures: dict[str, float] = await self._request("lag", seconds)
        return figures

    async def _request(self, name: str, *args: Any) -> Any:
        if self._control is None or self._loop is None:
            raise WorkerGone("the softphone worker is not running")
        request_id = next(self._ids)
        reply: asyncio.Future[Any] = self._loop.create_future()
        self._pending[request_id] = reply
        self._control.setblocking(True)
        try:
            send_message(self._control, (request_id, name, args))
        except OSError as exc:
            self._pending.pop(request_id, None)
            raise WorkerGone("the softphone worker is not running") from exc
        finally:
            if self._control is not None:
                self._control.setblocking(False)
        return await reply

    def _on_messages(self) -> None:
        assert self._reader is not None
        try:
            messages = self._reader.read()
        except (OSError, ValueError):
            messages = None
        if messages is None:  # the worker died: nothing more will come
            self._disconnect()
            if self._on_exit is not None:
                self._on_exit()
            return
        for message in messages:
            if message == _READY:
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
            elif message[0] == "reply":
                _, request_id, ok, value = message
                reply = self._pending.pop(request_id, None)
                if reply is None or reply.done():
                    continue
                if ok:
                    reply.set_result(value)
                elif value[0] == "refused":
                    reply.set_exception(SoftphoneRefused(value[1]))
                else:
                    reply.set_exception(RuntimeError(f"softphone worker: {value[1]}"))
            elif message[0] == "failed" and self._on_failed is not None:
                self._on_failed(message[1])

    def _disconnect(self) -> None:
        """Forget the channel; every request waiting for a reply fails."""
        if self._control is not None and self._loop is not None:
            self._loop.remove_reader(self._control.fileno())
            self._control.close()
        self._control = None
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(WorkerGone("the softphone worker exited at start"))
        pending, self._pending = self._pending, {}
        for reply in pending.values():
            if not reply.done():
                reply.set_exception(WorkerGone("the softphone worker exited"))
