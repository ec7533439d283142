"""A caller talks to an agent who answers in the browser: sipp dials 10087, the flow queues
the call and offers it to agent a2, who logged in to the agent desktop in headless chromium
(a fake microphone playing a 1 kHz tone) and chose to answer calls in the browser there;
the call rings in the page and a2 clicks Answer; the page answers kefu's PCMU offer
through ``/api/v1/desktop/softphone`` and the driver bridges the caller's RTP leg to the
browser's. The caller must hear
the agent's tone and the page must receive the caller's audio (headless chromium's
``audioLevel`` reads 0, so inbound bytes are what is checked there).

ICE: aioice and chromium leave out 127.0.0.1 candidates, so the WebRTC peers meet on the
machine's own interface address; the traffic never leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from phone_helpers import RtpSink, phone_center, phone_settings
from voice_helpers import SCENARIOS, run_sipp, sipp_log, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode, ulaw_encode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
AGENT_HZ, CALLER_HZ = 1000.0, 440.0
PASSWORD = "correct horse 正确"


def _tone_wav(path: Path, hz: float, seconds: float = 5.0, rate: int = 48_000) -> Path:
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


def _dominant_hz(ulaw: bytes) -> float:
    samples = ulaw_decode(ulaw).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum[1:])) + 1])


def test_given_a_browser_agent_when_a_caller_is_answered_in_the_page_then_both_hear(
    prompts_dir: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.is_file() and os.environ.get("KEFU_REQUIRE_SERVICES") != "1":
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")

    wav = _tone_wav(tmp_path / "agent.wav", AGENT_HZ)
    (tmp_path / "caller").mkdir()
    t = np.arange(8000 * 12) / 8000
    write_rtp_pcap(
        tmp_path / "caller" / "tone.pcap", ulaw_encode(8000 * np.sin(2 * np.pi * CALLER_HZ * t))
    )
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    # The caller talks from the start and stays 12 s: enough for the browser to answer.
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="200"/>').replace(
            '<pause milliseconds="3500"/>', '<pause milliseconds="11500"/>'
        )
    )
    settings = phone_settings(prompts_dir, sip_callback_key="")
    port = free_port()
    with phone_center(settings) as center, sync_api.sync_playwright() as playwright:
        center.platform.security.users.create(
            username="agent-a2", password=PASSWORD, role="agent", sites=("sh",), agent_id="a2"
        )
        server = uvicorn.Server(
            uvicorn.Config(center.platform.app, host="127.0.0.1", port=port, lifespan="off")
        )
        serving = asyncio.run_coroutine_threadsafe(server.serve(), center.loop)
        assert center.wait_for(lambda: server.started), "the web server did not start"
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
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
        sink = RtpSink()
        result: dict[str, Any] = {}
        rtp_port = sink.sock.getsockname()[1]

        def call() -> None:
            result["done"] = run_sipp(
                center.door.port, tmp_path / "caller", "-sf", str(scenario),
                "-key", "rtpport", str(rtp_port), service="10087",
            )  # fmt: skip

        caller = threading.Thread(target=call, daemon=True)
        stats: dict[str, Any] = {}
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/login")
            page.fill("input[name=username]", "agent-a2")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.locator("form [type=submit]").click()
            page.goto(f"http://127.0.0.1:{port}/desktop")
            # a2 moves its calls from its SIP phone to this browser.
            page.locator("#softphone-browser").check()
            softphones = center.door.door.softphones
            assert center.wait_for(lambda: softphones.endpoint("a2") == "browser")
            center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
            caller.start()
            # The call rings in the desktop: the caller's number and Answer.
            page.locator("#softphone-answer").click(timeout=20_000)
            assert "13800000000" in page.locator("#softphone-caller").inner_text()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                stats = page.evaluate("() => window.kefuSoftphone.stats()")
                if stats["received"] > 8000:
                    break
                time.sleep(0.25)
            caller.join(30)
        finally:
            context.close()
            sink.close()
            server.should_exit = True
            serving.result(timeout=10)
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert stats["codec"] == "audio/PCMU", stats
    assert stats["received"] > 8000, stats  # > 1 s of the caller's audio reached the page
    completed = [e for e in center.stored if isinstance(e, ev.ContactCompleted)]
    assert completed, "the answered call did not complete"
    heard = bytes(sink.payload)
    # The caller's last second before hanging up is the agent's tone.
    assert len(heard) >= 16000
    assert abs(_dominant_hz(heard[-8000:]) - AGENT_HZ) < 20
