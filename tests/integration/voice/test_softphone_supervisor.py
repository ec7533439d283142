"""A supervisor joins a browser agent's call: a sipp caller (a 440 Hz tone) dials 10087 and
agent a2 answers in the real agent desktop (headless chromium, a 1 kHz microphone);
supervisor s1's registered sipp phone (saying a 1.7 kHz tone) listens, then whispers,
then barges in. What each side receives is measured as bytes: the caller's and the
supervisor's RTP, and the page's softphone's received PCMU frames (copied on their way to
the decoder by an init script: headless ``audioLevel`` reads 0; the microphone without
chromium's echo canceller, which turns the agent's tone down while the page plays the
supervisor's). Listening, the supervisor
hears both and nobody hears it; whispering, the agent hears it and the caller does not;
barging, both hear it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_helpers import playing_phone
from phone_helpers import RtpSink, phone_center, phone_settings, register_phone
from softphone_helpers import (
    HEARD_TAP,
    RAW_MICROPHONE,
    UNTIL_BYE_S,
    agent_desktop,
    caller_scenario,
    heard_count,
    heard_since,
    require_chromium,
)
from voice_helpers import run_sipp, sipp_log

from kefu.adapters.voice.g711 import ulaw_decode, ulaw_encode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

pytestmark = pytest.mark.e2e

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 440.0, 1000.0, 1700.0
WINDOW_S = 1.2  # audio judged per mode
SETTLE_S = 0.5  # a mode's change reaches the engine and the 60 ms mix buffers drain


def share(ulaw: bytes, hz: float) -> float:
    """The share of the power of 8 kHz µ-law audio within 20 Hz of *hz* (a lone tone: about
    1; three equal tones mixed: about a third; absent: near 0)."""
    samples = ulaw_decode(ulaw).astype(np.float64)
    if len(samples) < 800:
        return 0.0
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / 8000)
    total = float(power[freqs > 100].sum()) or 1.0
    return float(power[np.abs(freqs - hz) <= 20].sum()) / total


def _tone(hz: float, seconds: float) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    return ulaw_encode(8000 * np.sin(2 * np.pi * hz * t))


def _until_heard(
    caller_sink: RtpSink, s1_sink: RtpSink, page: Any, marks: tuple[int, int, int]
) -> None:
    """Wait (4 s at most) until each side has received a window's audio since *marks*: on
    a loaded machine the audio of a window of wall time arrives late, not short."""
    want = int(8000 * WINDOW_S)
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline and (
        len(caller_sink.payload) - marks[0] < want
        or len(s1_sink.payload) - marks[1] < want
        or (heard_count(page) - marks[2]) * 160 < want
    ):
        time.sleep(0.05)


def test_given_a_browser_agent_when_a_supervisor_listens_whispers_and_barges_then_each_hears(
    prompts_dir: Path, tmp_path: Path
) -> None:
    sync_api = require_chromium()
    settings = phone_settings(prompts_dir, sip_callback_key="", sip_agents="a2=secret2,s1=secret3")
    scenario = caller_scenario(tmp_path / "caller", CALLER_HZ, stay_ms=None)
    heard: dict[str, dict[str, bytes]] = {}
    result: dict[str, Any] = {}
    with phone_center(settings) as center:
        s1_port = register_phone(center, tmp_path / "reg_s1", "s1", "secret3")
        caller_sink, s1_sink = RtpSink(), RtpSink()
        s1_phone = playing_phone(
            tmp_path / "s1", s1_port, _tone(SUPERVISOR_HZ, 20.0), s1_sink.sock.getsockname()[1]
        )
        execute = center.platform.engine.execute
        driver = center.door.driver

        def call() -> None:
            result["done"] = run_sipp(
                center.door.port, tmp_path / "caller", "-sf", str(scenario),
                "-key", "rtpport", str(caller_sink.sock.getsockname()[1]), service="10087",
                timeout_s=UNTIL_BYE_S,
            )  # fmt: skip

        caller = threading.Thread(target=call, daemon=True)
        try:
            tap = HEARD_TAP + RAW_MICROPHONE
            with agent_desktop(center, sync_api, tmp_path, "a2", AGENT_HZ, tap) as page:
                center.run(execute(c.SetAgentState("a2", "ready")))
                caller.start()
                page.locator("#softphone-answer").click(timeout=20_000)
                assert center.wait_for(lambda: bool(driver.bridged), 15)
                (call_id,) = center.call(lambda: list(driver.bridged))
                contact_id = driver.queued[call_id]
                joins = (
                    ("listen", c.ListenToCall, ev.CallListened),
                    ("whisper", c.WhisperToCall, ev.CallWhispered),
                    ("barge", c.BargeIntoCall, ev.CallBarged),
                )
                for mode, command, kind in joins:
                    center.run(execute(command(contact_id, "s1")))
                    assert center.wait_for(
                        lambda k=kind: any(isinstance(e, k) for e in center.stored)
                    )
                    assert center.wait_for(
                        lambda: any(s.answered for s in driver.agents.listeners.values()), 15
                    )
                    time.sleep(SETTLE_S)
                    marks = (len(caller_sink.payload), len(s1_sink.payload), heard_count(page))
                    time.sleep(WINDOW_S)
                    _until_heard(caller_sink, s1_sink, page, marks)
                    heard[mode] = {
                        "caller": bytes(caller_sink.payload[marks[0] :]),
                        "supervisor": bytes(s1_sink.payload[marks[1] :]),
                        "agent": heard_since(page, marks[2]),
                    }
                page.locator("#softphone-hangup").click()  # kefu's BYE ends the caller
                caller.join(40)
            s1_code = s1_phone.wait(timeout=15)
        finally:
            if s1_phone.poll() is None:
                s1_phone.kill()
                s1_phone.wait()
            caller_sink.close()
            s1_sink.close()
        completed = center.events(ev.ContactCompleted)
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert s1_code == 0  # hung up by kefu's BYE when the call ended
    assert completed, "the call did not complete"
    shares = {
        mode: {side: {hz: round(share(audio, hz), 3) for hz in (440, 1000, 1700)}
               for side, audio in sides.items()}
        for mode, sides in heard.items()
    }  # fmt: skip
    for mode, sides in heard.items():
        for side, audio in sides.items():
            assert len(audio) >= 0.8 * 8000 * WINDOW_S, (mode, side, len(audio))
    present, absent = 0.05, 0.01  # the share of a tone heard, and of one not heard
    listen, whisper, barge = shares["listen"], shares["whisper"], shares["barge"]
    # Listening: the supervisor hears both; the caller and the agent hear each other only.
    assert listen["supervisor"][440] > present and listen["supervisor"][1000] > present, shares
    assert listen["caller"][1000] > present and listen["caller"][1700] < absent, shares
    assert listen["agent"][440] > present and listen["agent"][1700] < absent, shares
    # Whispering: the agent hears the supervisor (and the caller); the caller does not.
    assert whisper["agent"][1700] > present and whisper["agent"][440] > present, shares
    assert whisper["caller"][1000] > present and whisper["caller"][1700] < absent, shares
    assert whisper["supervisor"][440] > present and whisper["supervisor"][1000] > present, shares
    # Barging: everyone hears everyone else.
    assert barge["caller"][1700] > present and barge["caller"][1000] > present, shares
    assert barge["agent"][1700] > present and barge["agent"][440] > present, shares
    assert barge["supervisor"][440] > present and barge["supervisor"][1000] > present, shares
