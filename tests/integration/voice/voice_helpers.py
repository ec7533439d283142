"""A kefu SIP front door on its own event-loop thread, and sipp runs against it."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kefu.adapters.voice.demo_flow import DemoFlow
from kefu.adapters.voice.prompts import PromptLibrary
from kefu.adapters.voice.routes import NumberRoute
from kefu.adapters.voice.sip import ClipSource, SipFrontDoor

T = TypeVar("T")
SIPP_PCAPS = Path("/usr/share/sip-tester")
SCENARIOS = Path(__file__).parent / "scenarios"


def require_tool(name: str) -> str:
    """The tool's path; skipped when missing unless KEFU_REQUIRE_SERVICES=1 (then failed)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("KEFU_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class VoiceServer:
    """The front door and its demo flow, running on a private loop thread."""

    door: SipFrontDoor
    flow: DemoFlow
    loop: asyncio.AbstractEventLoop

    @property
    def port(self) -> int:
        return self.door.port

    def call(self, fn: Callable[[], T]) -> T:
        """Run *fn* on the server's loop and return its result (5 s at most)."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except Exception as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(timeout=5)

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        """Poll *predicate* on the server's loop until true or *timeout_s* seconds passed."""
        deadline = self.loop.time() + timeout_s
        while self.loop.time() < deadline:
            if self.call(predicate):
                return True
            threading.Event().wait(0.05)
        return False


@contextmanager
def voice_server(
    clips: ClipSource | Path,
    *,
    flow: DemoFlow | None = None,
    numbers: dict[str, NumberRoute] | None = None,
    media_process: bool = False,
    max_calls: int = 500,
    ring_timeout_s: float = 60.0,
) -> Iterator[VoiceServer]:
    """Start a front door on a free 127.0.0.1 port (UDP and TCP) with *flow* driving calls
    (media on the server's loop, or in a worker process with *media_process*)."""
    flow = flow or DemoFlow()
    source: ClipSource = PromptLibrary(clips) if isinstance(clips, Path) else clips
    loop = asyncio.new_event_loop()
    door = SipFrontDoor(
        host="127.0.0.1",
        port=0,
        sink=flow,
        clips=source,
        numbers=numbers,
        media_process=media_process,
        max_calls=max_calls,
        ring_timeout_s=ring_timeout_s,
    )
    flow.port = door
    thread = threading.Thread(target=loop.run_forever, name="kefu-voice-test", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(door.start(), loop).result(timeout=10)
    try:
        yield VoiceServer(door, flow, loop)
    finally:
        asyncio.run_coroutine_threadsafe(door.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def run_sipp(
    server_port: int,
    workdir: Path,
    *args: str,
    timeout_s: float = 30.0,
    service: str = "10086",
) -> subprocess.CompletedProcess[str]:
    """Run one sipp call against 127.0.0.1:*server_port*, bounded in time; logs in *workdir*."""
    sipp = require_tool("sipp")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    local_port = probe.getsockname()[1]
    probe.close()
    pcap = workdir / "pcap"
    if not pcap.exists():
        pcap.symlink_to(SIPP_PCAPS)
    command = [
        sipp, f"127.0.0.1:{server_port}", "-i", "127.0.0.1", "-p", str(local_port), "-m", "1",
        "-s", service,
        "-timeout", f"{int(timeout_s)}s", "-timeout_error", "-trace_err", "-trace_msg",
        "-nostdin", *args,
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 10, check=False
    )


def sipp_log(workdir: Path) -> str:
    """The messages and errors sipp traced, for assertion messages."""
    texts: list[Any] = []
    for path in sorted(workdir.glob("*_messages.log")) + sorted(workdir.glob("*_errors.log")):
        texts.append(path.read_text(errors="replace")[-4000:])
    return "\n".join(texts)


def write_rtp_pcap(path: Path, payload: bytes, payload_type: int = 0) -> None:
    """Write *payload* (G.711, 8 kHz) as 20 ms RTP packets into a pcap file for sipp to play.

    Ethernet/IPv4/UDP framing with placeholder addresses: sipp's ``play_pcap_audio`` keeps
    only the RTP part and sends it to the peer's media address.
    """
    frames = [payload[i : i + 160] for i in range(0, len(payload), 160)]
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for index, frame in enumerate(frames):
        rtp = struct.pack("!BBHII", 0x80, payload_type, index, index * 160, 0x4B454655) + frame
        udp = struct.pack("!HHHH", 40000, 40002, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), index, 0, 64, 17, 0,
            bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
        ) + udp  # fmt: skip
        packet = b"\x00" * 12 + b"\x08\x00" + ip
        micros = index * 20_000
        out += struct.pack(
            "<IIII", micros // 1_000_000, micros % 1_000_000, len(packet), len(packet)
        )
        out += packet
    path.write_bytes(bytes(out))
