"""The media engine in a worker process, driven by commands and answering with events.

:class:`MediaWorker` has the :class:`~kefu.adapters.voice.media.MediaEngine` command set, so
the SIP front door uses either. The SIP process binds each leg's UDP socket (so the port
is known when the 200 OK is built) and hands the socket to the worker with the command
(``SCM_RIGHTS``); commands and events go over one Unix stream socket
(:mod:`~kefu.adapters.voice.worker_channel`). The worker runs its own asyncio loop: RTP
pacing never shares a loop (or a GIL) with signalling or the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import socket
from typing import Any

from kefu.adapters.voice.media import Codec, MediaEngine, bind_rtp_socket
from kefu.adapters.voice.port import EventSink, JoinMode, UnknownCall, VoiceEvent
from kefu.adapters.voice.worker_channel import (
    MessageReader,
    raise_priority,
    send_message,
    spawn_worker,
)

__all__ = ["MediaWorker"]

_READY = "ready"
# A worker starts a fresh interpreter and imports numpy: allow for a loaded machine.
_START_TIMEOUT_S = 60.0


def _worker_main(control: socket.socket, host: str, realtime: bool) -> None:
    from threadpoolctl import threadpool_limits

    if realtime:
        # Measured with bench/voice.py on a busy machine: 600 legs went from 14 % of
        # frames late by more than 20 ms to none.
        raise_priority("media")
    # The tone detector's matrix products are small: BLAS threads would only spin on the
    # other cores (measured: 400 legs took 1.3 cores instead of one).
    with threadpool_limits(limits=1, user_api="blas"):
        asyncio.run(_serve(control, host))


async def _serve(control: socket.socket, host: str) -> None:
    loop = asyncio.get_running_loop()
    control.setblocking(False)
    done = asyncio.Event()

    def emit(event: VoiceEvent) -> None:
        control.setblocking(True)
        try:
            send_message(control, event)
        finally:
            control.setblocking(False)

    engine = MediaEngine(host, emit)
    await engine.start()
    reader = MessageReader(control)
    send_message(control, _READY)

    def on_readable() -> None:
        try:
            messages = reader.read()
        except (OSError, ValueError):
            messages = None
        if messages is None:
            done.set()
            return
        for name, args in messages:
            if name == "open":
                leg_id, *_ = args
                engine.adopt_leg(leg_id, socket.socket(fileno=reader.fds.pop(0)))
                continue
            with contextlib.suppress(UnknownCall):  # the leg ended meanwhile
                getattr(engine, name)(*args)

    loop.add_reader(control.fileno(), on_readable)
    await done.wait()
    loop.remove_reader(control.fileno())
    await engine.stop()
    control.close()


class MediaWorker:
    """A :class:`MediaEngine` in a child process, with the same commands; *realtime* asks
    for SCHED_FIFO scheduling in the worker."""

    def __init__(self, host: str, sink: EventSink, *, realtime: bool = False) -> None:
        self.host = host
        self.realtime = realtime
        self._sink = sink
        self._legs: set[str] = set()
        self._control: socket.socket | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: MessageReader | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Start the worker process (its own interpreter: spawn, not fork)."""
        self._loop = asyncio.get_running_loop()
        self._process, ours = await spawn_worker(
            _worker_main, "kefu-media", self.host, self.realtime
        )
        self._control = ours
        self._reader = MessageReader(ours)
        self._ready = self._loop.create_future()
        self._loop.add_reader(ours.fileno(), self._on_events)
        try:
            await asyncio.wait_for(self._ready, _START_TIMEOUT_S)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close the control socket (the worker ends its legs and exits) and reap it."""
        if self._control is not None and self._loop is not None:
            self._loop.remove_reader(self._control.fileno())
            self._control.close()
            self._control = None
        if self._process is not None:
            process = self._process
            await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
            if process.is_alive():
                process.kill()
            self._process = None
        self._legs.clear()

    def open_leg(self, leg_id: str) -> int:
        """Bind the leg's UDP socket here, hand it to the worker, return the port."""
        sock = bind_rtp_socket(self.host)
        try:
            port: int = sock.getsockname()[1]
            self._command("open", leg_id, fds=[sock.fileno()])
        finally:
            sock.close()  # the worker holds its own copy now
        self._legs.add(leg_id)
        return port

    def connect(
        self, leg_id: str, remote: tuple[str, int], codec: Codec, dtmf_pt: int | None
    ) -> None:
        self._command("connect", leg_id, remote, codec, dtmf_pt)

    def play(self, leg_id: str, ulaw: bytes, tag: str = "") -> None:
        self._command("play", leg_id, ulaw, tag)

    def send_digits(self, leg_id: str, digits: str) -> None:
        self._command("send_digits", leg_id, digits)

    def stop_playing(self, leg_id: str) -> None:
        self._command("stop_playing", leg_id)

    def bridge(self, leg_a: str, leg_b: str) -> None:
        if leg_b not in self._legs:
            raise UnknownCall("no media leg with this id", leg_id=leg_b)
        self._command("bridge", leg_a, leg_b)

    def record(self, leg_a: str, leg_b: str, path: str) -> None:
        if leg_b not in self._legs:
            raise UnknownCall("no media leg with this id", leg_id=leg_b)
        self._command("record", leg_a, leg_b, path)

    def pause_recording(self, leg_id: str, paused: bool) -> None:
        self._command("pause_recording", leg_id, paused)

    def mute(self, leg_id: str, muted: bool) -> None:
        self._command("mute", leg_id, muted)

    def listen(self, listener: str, leg_a: str, leg_b: str, mode: JoinMode = "listen") -> None:
        for leg_id in (leg_a, leg_b):
            if leg_id not in self._legs:
                raise UnknownCall("no media leg with this id", leg_id=leg_id)
        self._command("listen", listener, leg_a, leg_b, mode)

    def conference(self, leg_a: str, leg_b: str, leg_c: str) -> None:
        for leg_id in (leg_b, leg_c):
            if leg_id not in self._legs:
                raise UnknownCall("no media leg with this id", leg_id=leg_id)
        self._command("conference", leg_a, leg_b, leg_c)

    def close_leg(self, leg_id: str) -> None:
        if leg_id in self._legs:
            self._command("close_leg", leg_id)
            self._legs.discard(leg_id)

    @property
    def leg_count(self) -> int:
        return len(self._legs)

    def _command(self, name: str, *args: Any, fds: list[int] | None = None) -> None:
        if self._control is None:
            raise RuntimeError("media worker not started")
        if name != "open" and args[0] not in self._legs:
            raise UnknownCall("no media leg with this id", leg_id=args[0])
        self._control.setblocking(True)
        try:
            send_message(self._control, (name, args), fds)
        finally:
            self._control.setblocking(False)

    def _on_events(self) -> None:
        assert self._reader is not None
        try:
            events = self._reader.read()
        except (OSError, ValueError):
            events = None
        if events is None:  # the worker died: nothing more will come
            if self._control is not None and self._loop is not None:
                self._loop.remove_reader(self._control.fileno())
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(RuntimeError("the media worker exited at start"))
            return
        for event in events:
            if event == _READY:
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
                continue
            self._sink(event)
