"""The browser softphone's media path: headless chromium (a fake microphone playing a
1 kHz tone) answers kefu's PCMU offer from ``softphone.js``; kefu's :class:`BrowserPhone`
bridges it to a plain RTP leg standing in for the media engine's caller leg, which sends
a 440 Hz tone. The leg must receive the browser's 1 kHz tone, and the page must receive
audio bytes (headless chromium's ``audioLevel`` reads 0, so bytes are what is checked).

ICE: aioice and chromium leave out 127.0.0.1 candidates, so the peers meet on the
machine's own interface address; the traffic never leaves the machine.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
import wave
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.e2e

STATIC = Path(__file__).resolve().parents[2] / "src" / "kefu" / "web" / "static"
PAGE_URL = "http://localhost:8999/softphone"
AGENT_TONE_HZ = 1000.0
CALLER_TONE_HZ = 440.0
T = TypeVar("T")


class _Loop:
    """An asyncio loop in a thread: kefu's voice process, beside the sync Playwright."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def voice_loop() -> Iterator[_Loop]:
    loop = _Loop()
    try:
        yield loop
    finally:
        loop.stop()


def _tone_wav(path: Path, hz: float, seconds: float = 5.0, rate: int = 48_000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def _dominant_hz(ulaw: bytes) -> float:
    from kefu.adapters.voice.g711 import ulaw_decode

    samples = ulaw_decode(ulaw).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum[1:])) + 1])


class _CallerLeg:
    """The engine's side: sends a 440 Hz µ-law tone as RTP every 20 ms to the phone and
    keeps the payloads the phone sends back."""

    def __init__(self) -> None:
        from kefu.adapters.voice.g711 import ulaw_encode

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.02)
        self.port = int(self.sock.getsockname()[1])
        t = np.arange(8000) / 8000
        self.tone = ulaw_encode(8000 * np.sin(2 * np.pi * CALLER_TONE_HZ * t))
        self.heard = bytearray()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            start = (seq * 160) % 8000
            header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, 0x1234)
            self.sock.sendto(header + self.tone[start : start + 160], ("127.0.0.1", self.target))
            seq += 1
            try:
                while True:
                    data = self.sock.recv(2048)
                    self.heard += data[12:]
            except (TimeoutError, BlockingIOError):
                pass

    def start(self, target: int) -> None:
        self.target = target
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def test_given_a_pcmu_offer_when_the_browser_answers_then_audio_flows_both_ways(
    tmp_path: Path, voice_loop: _Loop
) -> None:
    require_chromium()
    from playwright.sync_api import Route, sync_playwright

    from kefu.adapters.voice.webrtc import BrowserPhone

    wav = _tone_wav(tmp_path / "agent.wav", AGENT_TONE_HZ)
    caller = _CallerLeg()

    async def make() -> tuple[BrowserPhone, int, str]:
        phone = BrowserPhone()
        port = await phone.start()
        phone.connect("127.0.0.1", caller.port)
        return phone, port, await phone.offer()

    phone, phone_port, offer = voice_loop.run(make())
    assert "PCMU/8000" in offer and "opus" not in offer.lower()
    caller.start(phone_port)
    html = '<html><body><script src="/static/softphone.js"></script></body></html>'

    def serve(route: Route) -> None:
        if route.request.url.endswith("/static/softphone.js"):
            script = (STATIC / "softphone.js").read_text()
            route.fulfill(body=script, content_type="text/javascript")
        else:
            route.fulfill(body=html, content_type="text/html")

    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}",
                ],
            )
            try:
                page = context.new_page()
                page.route("http://localhost:8999/**", serve)
                page.goto(PAGE_URL)
                answer = page.evaluate("(sdp) => window.kefuSoftphone.answer(sdp)", offer)
                assert "PCMU" in answer
                voice_loop.run(phone.answer(answer))
                deadline = time.monotonic() + 20
                stats: dict[str, Any] = {}
                while time.monotonic() < deadline:
                    stats = page.evaluate("() => window.kefuSoftphone.stats()")
                    if stats["received"] > 8000 and len(caller.heard) >= 16000:
                        break
                    time.sleep(0.25)
                page.evaluate("() => window.kefuSoftphone.hangUp()")
            finally:
                context.close()
    finally:
        caller.close()
        voice_loop.run(phone.close())

    assert stats["codec"] == "audio/PCMU", stats
    assert stats["received"] > 8000, stats  # > 1 s of the caller's µ-law reached the page
    assert phone.received_frames > 50
    assert len(caller.heard) >= 16000, len(caller.heard)
    # The newest second of what the caller's leg got is the agent's tone.
    assert abs(_dominant_hz(bytes(caller.heard[-8000:])) - AGENT_TONE_HZ) < 20
