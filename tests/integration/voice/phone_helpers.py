"""A platform with its telephone front door on a loop thread, for the voice driver's tests
(the IVR flows of ``flows/``, a bank whose account 1234 has PIN 5678, queues ``phone`` and
``desk`` with agents a1 and a2), and a receiver for the caller's RTP."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from voice_helpers import SCENARIOS, require_tool, run_sipp, sipp_log

from kefu.adapters.clock import SystemClock
from kefu.adapters.scheduler import AsyncioScheduler
from kefu.adapters.voice.front_door import VoiceFrontDoor
from kefu.bootstrap import Platform, build_platform
from kefu.config import Settings
from kefu.domain.ivr import messages as m
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.ivr import IvrPlugins
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory

T = TypeVar("T")
FLOWS = Path(__file__).parent / "flows"


def verify(method: str, identifier: str, secret: str) -> m.VerifyDone:
    """The test's bank: account 1234 has PIN 5678."""
    ok = method == "account_pin" and (identifier, secret) == ("1234", "5678")
    return m.VerifyDone(ok, "1234" if ok else None)


@dataclass
class PhoneCenter:
    platform: Platform
    door: VoiceFrontDoor
    loop: asyncio.AbstractEventLoop
    stored: list[Any]

    def call(self, fn: Callable[[], T]) -> T:
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except Exception as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(timeout=5)

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        for _ in range(int(timeout_s / 0.05)):
            if self.call(predicate):
                return True
            threading.Event().wait(0.05)
        return False

    def events(self, kind: type[T]) -> list[T]:
        """The stored routing events of *kind*."""
        return [e for e in self.call(lambda: list(self.stored)) if isinstance(e, kind)]


def phone_settings(prompts_dir: Path, **extra: Any) -> Settings:
    """The test center's settings (*extra* overrides)."""
    values: dict[str, Any] = {
        "env": "test",
        "ivr_flows": "voice=phone",
        "ivr_flow_files": f"{FLOWS / 'phone.yaml'},{FLOWS / 'desk.yaml'}",
        "sip_numbers": "10086=phone,10087=desk",
        "sip_agents": "a2=secret2",
        "sip_prompts_dir": str(prompts_dir),
        "sip_media_process": False,
        "sip_announce_every_s": 1.5,
    }
    return Settings(**(values | extra))


@contextmanager
def phone_center(settings: Settings) -> Iterator[PhoneCenter]:
    """The platform and its front door (on a free port) on their own loop thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="kefu-ivr-calls", daemon=True)
    thread.start()
    life = AsyncExitStack()
    stored: list[Any] = []

    async def start() -> tuple[Platform, VoiceFrontDoor]:
        clock = SystemClock()
        platform = build_platform(
            settings,
            uow_factory=InMemoryUnitOfWorkFactory(),
            clock=clock,
            scheduler=AsyncioScheduler(clock),
        )
        assert platform.ivr is not None and platform.channels is not None
        platform.ivr.plugins = IvrPlugins(verify=verify)
        platform.engine.subscribe(lambda batch: stored.extend(s.event for s in batch))
        await life.enter_async_context(platform.app.router.lifespan_context(platform.app))
        e = platform.engine.execute
        await e(c.CreateSite("sh", "上海"))
        await e(c.DefineQueue(QueueSpec("phone", Channel.VOICE, {"phone": 1}, aht_s=120), "sh"))
        await e(c.DefineQueue(QueueSpec("desk", Channel.VOICE, {"desk": 1}, aht_s=120), "sh"))
        await e(c.DefineAgent(AgentSpec("a1", {"phone": 1}, site_id="sh")))  # offline: waits
        await e(c.DefineAgent(AgentSpec("a2", {"desk": 1}, site_id="sh")))
        door = VoiceFrontDoor(
            settings,
            platform.channels,
            platform.ivr,
            port=0,
            phones=platform.phones,
            softphone=platform.softphone,
        )
        await door.start()
        life.push_async_callback(door.stop)
        return platform, door

    platform, door = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=120)
    try:
        yield PhoneCenter(platform, door, loop, stored)
    finally:
        asyncio.run_coroutine_threadsafe(life.aclose(), loop).result(timeout=20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RtpSink:
    """The caller's RTP port: keeps what kefu plays to it (PCMU payload) and the RFC 4733
    telephone-event packets it sends (payload type 101, whole packets)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.payload = bytearray()
        self.events: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(2048)
            except TimeoutError:
                continue
            if packet[1] & 0x7F == 0:
                self.payload += packet[12:]
            elif packet[1] & 0x7F == 101:
                self.events.append(packet)

    def take(self, seconds: float) -> bytes:
        """The next *seconds* of what kefu plays here (8,000 bytes a second), however long
        they take to come: on a loaded machine a window of wall time can come back short
        or empty though the call carries audio. Gives up 4 s after the window's end."""
        start = len(self.payload)
        want = int(seconds * 8000)
        deadline = time.monotonic() + seconds + 4.0
        while len(self.payload) - start < want and time.monotonic() < deadline:
            time.sleep(0.02)
        return bytes(self.payload[start : start + want])

    def keys(self) -> str:
        """The keys of the telephone-events received, one per event (its timestamp)."""
        from kefu.adapters.voice.dtmf import parse_telephone_event

        seen: dict[int, str] = {}
        for packet in self.events:
            event = parse_telephone_event(packet[12:])
            if event is not None:
                seen.setdefault(int.from_bytes(packet[4:8], "big"), event.digit)
        return "".join(seen.values())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def register_phone(center: PhoneCenter, workdir: Path, agent: str, password: str) -> int:
    """Register *agent*'s phone (sipp through the digest challenge); returns its port."""
    phone_port = free_udp_port()
    workdir.mkdir()
    register = workdir / "register.xml"
    template = (SCENARIOS / "register.xml").read_text()
    register.write_text(template.replace("AGENT_USER", agent).replace("AGENT_PASSWORD", password))
    done = run_sipp(center.door.port, workdir, "-sf", str(register), "-p", str(phone_port))
    assert done.returncode == 0, sipp_log(workdir)
    return phone_port


def echo_phone(workdir: Path, phone_port: int) -> subprocess.Popen[bytes]:
    """An agent's phone: sipp's built-in UAS on *phone_port*, answering at once and echoing
    the audio it gets, for one call (30 s at most)."""
    sipp = require_tool("sipp")
    return subprocess.Popen(
        [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(phone_port), "-m", "1",
         "-mp", str(free_udp_port()), "-rtp_echo",
         "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
