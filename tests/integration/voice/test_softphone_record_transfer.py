"""A browser agent's call, recorded, paused and transferred: a sipp caller (a 440 Hz tone)
dials 10087 and agent a2 answers in the real agent desktop (headless chromium, a 1 kHz
microphone). The recording holds both tones (left the caller's, right the agent's); the
agent pauses the recording from the desktop and resumes it (the WAV holds silence for the
span, the tones before and after); then it transfers the call from the desktop to the
``phone`` queue with a note: a1's registered SIP phone (sipp, saying noise) rings and
answers, the caller hears a1, and the contact keeps the IVR's attributes and the note.
"""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from audio_helpers import hears, noise, playing_phone
from phone_helpers import RtpSink, free_udp_port, phone_center, phone_settings, register_phone
from softphone_helpers import (
    UNTIL_BYE_S,
    agent_desktop,
    caller_scenario,
    require_chromium,
    wait_received,
    wait_tone,
)
from voice_helpers import run_sipp, sipp_log

from kefu.adapters.voice.g711 import ulaw_decode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

pytestmark = pytest.mark.e2e

AGENT_HZ, CALLER_HZ = 1000.0, 440.0
NOTE = "账单问题，客户已验证"


def _has(stored: list[Any], kind: type[ev.Event]) -> bool:
    return any(isinstance(e, kind) for e in stored)


def _channels(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The caller's (left) and the agent's (right) channel of a recording."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 8000)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64)
    return samples[0::2], samples[1::2]


def _hz(samples: npt.NDArray[np.float64]) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum[1:])) + 1])


def _rms(samples: npt.NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(samples * samples)))


def test_given_a_browser_agent_when_it_records_pauses_and_transfers_then_the_call_keeps_all(
    prompts_dir: Path, tmp_path: Path
) -> None:
    sync_api = require_chromium()
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    settings = phone_settings(
        prompts_dir,
        sip_callback_key="",
        sip_agents="a1=secret1,a2=secret2",
        sip_call_recordings_dir=str(recordings),
        sip_announce_every_s=30.0,
    )
    # The caller stays until kefu hangs up (the test does once a1 is heard), not for a fixed
    # time that had to cover a loaded machine's slowest run and left fast ones idle.
    scenario = caller_scenario(tmp_path / "caller", CALLER_HZ, stay_ms=None)
    a1_said, a1_heard = noise(11, 20.0)
    result: dict[str, Any] = {}
    with phone_center(settings) as center:
        a1_port = register_phone(center, tmp_path / "reg_a1", "a1", "secret1")
        a1_phone = playing_phone(tmp_path / "a1", a1_port, a1_said, free_udp_port())
        sink = RtpSink()
        execute = center.platform.engine.execute

        def call() -> None:
            result["done"] = run_sipp(
                center.door.port, tmp_path / "caller", "-sf", str(scenario),
                "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
                timeout_s=UNTIL_BYE_S,
            )  # fmt: skip

        caller = threading.Thread(target=call, daemon=True)
        driver = center.door.driver
        try:
            with agent_desktop(center, sync_api, tmp_path, "a2", AGENT_HZ) as page:
                center.run(execute(c.SetAgentState("a2", "ready")))
                caller.start()
                page.locator("#softphone-answer").click(timeout=20_000)
                assert wait_received(page, 8000)["received"] > 8000
                assert wait_tone(sink, AGENT_HZ), "the agent's microphone never reached kefu"
                assert center.wait_for(lambda: _has(center.stored, ev.CallRecorded), 15)
                (call_id,) = center.call(lambda: list(driver.bridged))
                contact_id = driver.queued[call_id]
                browser_leg = center.call(lambda: driver.bridged[call_id])
                before = center.call(
                    lambda: dict(center.platform.engine.router.contacts[contact_id].attributes)
                )
                time.sleep(1.5)  # both talk
                pause = page.locator("#recording-pause")
                pause.click()
                assert center.wait_for(lambda: _has(center.stored, ev.RecordingPaused))
                time.sleep(1.5)
                pause.click()
                assert center.wait_for(lambda: _has(center.stored, ev.RecordingResumed))
                time.sleep(1.5)
                # a1 serves the phone queue only; it is ready now so the transfer reaches it.
                center.run(execute(c.SetAgentState("a1", "ready")))
                page.locator("#transfer-target").select_option("queue:phone")
                page.locator("#transfer-note").fill(NOTE)
                page.locator("#transfer button[type=submit]").click()
                assert center.wait_for(
                    lambda: driver.bridged.get(call_id) not in (None, browser_leg), 15
                )
                time.sleep(0.5)
                from_a1 = sink.take(2.0)
                center.call(lambda: center.door.door.hang_up(call_id))  # BYE to caller and a1
                caller.join(40)
            a1_code = a1_phone.wait(timeout=15)
        finally:
            if a1_phone.poll() is None:
                a1_phone.kill()
                a1_phone.wait()
            sink.close()
        stored = center.call(lambda: list(center.stored))
        after = center.call(lambda: center.platform.engine.router.contacts[contact_id].attributes)
        notes = center.call(lambda: list(center.platform.engine.router.contacts[contact_id].notes))
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert a1_code == 0
    # Context: the IVR's attributes stay with the contact and the note reaches a1.
    assert {k: after.get(k) for k in before if k != "recording"} == {
        k: v for k, v in before.items() if k != "recording"
    }
    assert "call_id" in before and NOTE in notes
    moved = [e for e in stored if isinstance(e, ev.ContactTransferred)]
    assert [(e.from_agent_id, e.to_queue_id, e.note) for e in moved] == [("a2", "phone", NOTE)]
    taken = [e.agent_id for e in stored if isinstance(e, ev.OfferAccepted)]
    assert taken == ["a2", "a1"]
    # The caller hears a1 (its noise) once put through.
    assert hears(a1_heard, ulaw_decode(from_a1).astype(np.float64)[800:]) > 0.8
    # The browser part's recording: both tones, silence for the pause.
    (recorded, second) = [e for e in stored if isinstance(e, ev.CallRecorded)]
    assert second.recording == f"{contact_id}-2.wav"
    (paused,) = [e for e in stored if isinstance(e, ev.RecordingPaused)]
    (resumed,) = [e for e in stored if isinstance(e, ev.RecordingResumed)]
    left, right = _channels(recordings / recorded.recording)

    def span(start_s: float, end_s: float) -> slice:
        return slice(int(8000 * (start_s - recorded.at)), int(8000 * (end_s - recorded.at)))

    talk = span(recorded.at + 0.3, paused.at - 0.2)
    quiet = span(paused.at + 0.3, resumed.at - 0.3)
    again = span(resumed.at + 0.3, resumed.at + 1.2)
    for part in (talk, again):
        assert abs(_hz(left[part]) - CALLER_HZ) < 20 and abs(_hz(right[part]) - AGENT_HZ) < 20
    assert _rms(left[quiet]) < 10 and _rms(right[quiet]) < 10, (
        _rms(left[quiet]),
        _rms(right[quiet]),
    )
    assert _rms(left[talk]) > 1000 and _rms(right[talk]) > 500
    # The second part (a1's phone) is recorded too: the caller's tone and a1's noise.
    left2, right2 = _channels(recordings / second.recording)
    assert abs(_hz(left2[4000:]) - CALLER_HZ) < 20 and _rms(right2[4000:]) > 500
