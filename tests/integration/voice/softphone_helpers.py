"""The real agent desktop in headless chromium answering calls in the browser: the web
server on the test center's loop, a fake microphone playing a tone, an agent logged in
who ticked "Answer calls in this browser"; and what a caller's sipp scenario needs.

ICE: aioice and chromium leave out 127.0.0.1 candidates, so the WebRTC peers meet on the
machine's own interface address; the traffic never leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from phone_helpers import PhoneCenter, RtpSink
from voice_helpers import SCENARIOS, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode, ulaw_encode

__all__ = [
    "CHROMIUM",
    "HEARD_TAP",
    "PASSWORD",
    "RAW_MICROPHONE",
    "UNTIL_BYE_S",
    "agent_desktop",
    "caller_scenario",
    "dominant_hz",
    "heard_count",
    "heard_since",
    "require_chromium",
    "rms",
    "tone_wav",
    "wait_received",
    "wait_tone",
]

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse 正确"

HEARD_TAP = """
(() => {
  // What the page's softphone receives, as bytes: each encoded frame (PCMU, decrypted) is
  // copied to window.kefuHeard on its way to the decoder (headless audioLevel reads 0).
  const Native = window.RTCPeerConnection;
  window.kefuHeard = [];
  const keep = (frame) => window.kefuHeard.push(Array.from(new Uint8Array(frame.data)));
  const legacy = "createEncodedStreams" in RTCRtpReceiver.prototype;
  let worker = null;
  if (!legacy) {
    const code = "onrtctransform = (e) => { const t = e.transformer;" +
      " t.readable.pipeThrough(new TransformStream({ transform(f, c) {" +
      " self.postMessage(Array.from(new Uint8Array(f.data))); c.enqueue(f); } }))" +
      ".pipeTo(t.writable); };";
    worker = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
    worker.onmessage = (e) => window.kefuHeard.push(e.data);
  }
  window.RTCPeerConnection = function (config) {
    const pc = new Native(legacy ? { ...config, encodedInsertableStreams: true } : config);
    pc.addEventListener("track", (e) => {
      if (!legacy) { e.receiver.transform = new RTCRtpScriptTransform(worker, {}); return; }
      const s = e.receiver.createEncodedStreams();
      s.readable.pipeThrough(new TransformStream({ transform(f, c) { keep(f); c.enqueue(f); } }))
        .pipeTo(s.writable);
    });
    if (legacy) {
      const addTrack = pc.addTrack.bind(pc);
      pc.addTrack = (...args) => {
        const sender = addTrack(...args);
        const s = sender.createEncodedStreams();
        s.readable.pipeTo(s.writable);
        return sender;
      };
    }
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();
"""
"""An init script for :func:`agent_desktop`: the softphone's received audio, byte for
byte, in ``window.kefuHeard`` (read with :func:`heard_since`)."""

RAW_MICROPHONE = """
(() => {
  // The fake microphone's tone as it is: chromium's echo canceller and gain control would
  // turn it down while the page plays what it receives (a test measures kefu's mixing).
  const media = navigator.mediaDevices, native = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) => native({ ...constraints, audio: {
    echoCancellation: false, autoGainControl: false, noiseSuppression: false } });
})();
"""
"""An init script for :func:`agent_desktop`: no voice processing on the microphone."""


def heard_count(page: Any) -> int:
    """How many audio frames the page's softphone has received (with :data:`HEARD_TAP`)."""
    return int(page.evaluate("() => window.kefuHeard.length"))


def heard_since(page: Any, start: int) -> bytes:
    """The µ-law audio the page's softphone received from frame *start* on."""
    frames = page.evaluate("(i) => window.kefuHeard.slice(i)", start)
    return b"".join(bytes(frame) for frame in frames)


def require_chromium() -> Any:
    """Playwright's sync API, or skip when chromium or Playwright is missing."""
    if not CHROMIUM.is_file() and os.environ.get("KEFU_REQUIRE_SERVICES") != "1":
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api")


def tone_wav(path: Path, hz: float, seconds: float = 5.0, rate: int = 48_000) -> Path:
    """A WAV file of a sine at *hz* (half of full scale), for the fake microphone (chromium
    loops it) or as music on hold."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dominant_hz(ulaw: bytes) -> float:
    """The strongest frequency (Hz) of 8 kHz µ-law audio."""
    samples = ulaw_decode(ulaw).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum[1:])) + 1])


def rms(ulaw: bytes) -> float:
    """The root mean square of 8 kHz µ-law audio (16-bit linear units)."""
    samples = ulaw_decode(ulaw).astype(np.float64)
    return float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0


def wait_tone(sink: RtpSink, hz: float, timeout_s: float = 20.0) -> bool:
    """Whether the caller's *sink* comes to hear a tone at *hz* (within 20 Hz, loud) within
    *timeout_s*: the browser's microphone reaches kefu some time after the call is
    answered, later on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        piece = sink.take(0.25)
        if len(piece) >= 1600 and abs(dominant_hz(piece) - hz) < 20 and rms(piece) > 1000:
            return True
    return False


def caller_scenario(workdir: Path, hz: float, stay_ms: int | None) -> Path:
    """A caller (``talk_to_agent.xml``) who talks at once (a tone at *hz*, for the whole
    call) and hangs up *stay_ms* after its ACK, or, with ``None``, stays until kefu hangs
    up (the test ends the call from the desktop: a loaded machine that is slow to answer
    in the browser cannot run the call out of time); its files in *workdir*."""
    workdir.mkdir()
    seconds = UNTIL_BYE_S if stay_ms is None else stay_ms // 1000 + 2
    t = np.arange(8000 * seconds) / 8000
    write_rtp_pcap(workdir / "tone.pcap", ulaw_encode(8000 * np.sin(2 * np.pi * hz * t)))
    scenario = workdir / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    talk = talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="200"/>')
    if stay_ms is None:
        head, _, _ = talk.partition('  <pause milliseconds="3500"/>')
        talk = head + _WAIT_FOR_BYE.format(timeout_ms=UNTIL_BYE_S * 1000)
    else:
        talk = talk.replace('<pause milliseconds="3500"/>', f'<pause milliseconds="{stay_ms}"/>')
    scenario.write_text(talk)
    return scenario


UNTIL_BYE_S = 90
"""How long a caller who waits for kefu's BYE stays at most (s); give ``run_sipp`` as much."""
_WAIT_FOR_BYE = """  <recv request="BYE" timeout="{timeout_ms}"/>

  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


@contextmanager
def agent_desktop(
    center: PhoneCenter,
    sync_api: Any,
    workdir: Path,
    agent: str,
    tone_hz: float,
    init_script: str | None = None,
) -> Iterator[Any]:
    """*agent* (user ``agent-<agent>``, site sh) logged in to the agent desktop in headless
    chromium whose microphone plays a tone at *tone_hz*, answering calls in the browser;
    yields the page (*init_script* runs in each page first, e.g. :data:`HEARD_TAP`)."""
    wav = tone_wav(workdir / f"{agent}-mic.wav", tone_hz)
    center.platform.security.users.create(
        username=f"agent-{agent}", password=PASSWORD, role="agent", sites=("sh",), agent_id=agent
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(center.platform.app, host="127.0.0.1", port=port, lifespan="off")
    )
    serving = asyncio.run_coroutine_threadsafe(server.serve(), center.loop)
    assert center.wait_for(lambda: server.started), "the web server did not start"
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(workdir / f"{agent}-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
            ],
        )
        context.set_default_timeout(15_000)
        if init_script is not None:
            context.add_init_script(init_script)
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/login")
            page.fill("input[name=username]", f"agent-{agent}")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.locator("form [type=submit]").click()
            page.goto(f"http://127.0.0.1:{port}/desktop")
            page.locator("#softphone-browser").check()
            softphones = center.door.door.softphones
            assert center.wait_for(lambda: softphones.endpoint(agent) == "browser")
            yield page
        finally:
            context.close()
            server.should_exit = True
            serving.result(timeout=10)


def wait_received(page: Any, at_least: int, timeout_s: float = 20.0) -> dict[str, Any]:
    """The page's softphone stats once more than *at_least* bytes came from the caller."""
    deadline = time.monotonic() + timeout_s
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = page.evaluate("() => window.kefuSoftphone.stats()")
        if stats["received"] > at_least:
            break
        time.sleep(0.25)
    return stats
