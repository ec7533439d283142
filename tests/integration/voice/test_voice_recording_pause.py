"""The agent's controls end to end over SIP, on a call between a sipp caller and a2's
registered sipp phone, each saying its own noise: the recording paused and resumed (the
router's commands, as the desktop sends them) holds silence for the pause and both sides
before and after it; the agent muted, the caller hears silence, unmuted, a2 again."""

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
from voice_helpers import SCENARIOS, run_sipp, sipp_log, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

pytestmark = pytest.mark.slow


def _has(stored: list[Any], kind: type[ev.Event]) -> bool:
    return any(isinstance(e, kind) for e in stored)


def _rms(samples: npt.NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(samples * samples)))


def test_given_a_sip_call_when_the_agent_pauses_the_recording_and_mutes_then_wav_and_caller_show_it(
    prompts_dir: Path, tmp_path: Path
) -> None:
    recordings = tmp_path / "calls"
    settings = phone_settings(
        prompts_dir, sip_call_recordings_dir=str(recordings), sip_callback_key=""
    )
    caller_said, caller_heard = noise(21, 24.0)
    agent_said, agent_heard = noise(22, 24.0)
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", caller_said)
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="200"/>').replace(
            '<pause milliseconds="3500"/>', '<pause milliseconds="17000"/>'
        )
    )
    result: dict[str, Any] = {}
    heard: dict[str, bytes] = {}
    with phone_center(settings) as center:
        phone_port = register_phone(center, tmp_path / "reg", "a2", "secret2")
        execute = center.platform.engine.execute
        center.run(execute(c.SetAgentState("a2", "ready")))
        agent = playing_phone(tmp_path / "agent", phone_port, agent_said, free_udp_port())
        sink = RtpSink()

        def call() -> None:
            result["done"] = run_sipp(
                center.door.port, tmp_path / "caller", "-sf", str(scenario),
                "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
            )  # fmt: skip

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        try:
            assert center.wait_for(lambda: _has(center.stored, ev.CallRecorded), 20)
            (recorded,) = center.events(ev.CallRecorded)
            contact_id = recorded.contact_id
            time.sleep(1.5)
            center.run(execute(c.PauseRecording(contact_id)))
            time.sleep(1.5)
            center.run(execute(c.ResumeRecording(contact_id)))
            time.sleep(1.5)
            center.run(execute(c.MuteCall(contact_id)))
            time.sleep(0.3)
            heard["muted"] = sink.take(1.0)
            center.run(execute(c.UnmuteCall(contact_id)))
            time.sleep(0.3)
            heard["unmuted"] = sink.take(1.5)
            caller.join(40)
            agent_code = agent.wait(timeout=15)
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
            sink.close()
        stored = center.call(lambda: list(center.stored))
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert agent_code == 0
    (paused,) = [e for e in stored if isinstance(e, ev.RecordingPaused)]
    (resumed,) = [e for e in stored if isinstance(e, ev.RecordingResumed)]
    assert (paused.agent_id, resumed.agent_id) == ("a2", "a2")
    assert [type(e) for e in stored if isinstance(e, ev.CallMuted | ev.CallUnmuted)] == [
        ev.CallMuted,
        ev.CallUnmuted,
    ]
    with wave.open(str(recordings / recorded.recording), "rb") as wav:
        stereo = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64)
    left, right = stereo[0::2], stereo[1::2]

    def span(start_s: float, end_s: float) -> slice:
        return slice(int(8000 * (start_s - recorded.at)), int(8000 * (end_s - recorded.at)))

    before = span(recorded.at + 0.2, paused.at - 0.2)
    quiet = span(paused.at + 0.2, resumed.at - 0.2)
    after = span(resumed.at + 0.2, resumed.at + 1.2)
    # Paused: nothing of either side is kept; before and after: each side its own noise.
    assert _rms(left[quiet]) < 1 and _rms(right[quiet]) < 1, (_rms(left[quiet]), _rms(right[quiet]))
    for part in (before, after):
        assert hears(caller_heard, left[part]) > 0.8
        assert hears(agent_heard, right[part]) > 0.8
    # Muted: the caller's RTP goes on, silent; unmuted: the agent's noise again.
    muted = ulaw_decode(heard["muted"]).astype(np.float64)
    unmuted = ulaw_decode(heard["unmuted"]).astype(np.float64)
    assert len(muted) >= 4000 and _rms(muted) < 1
    assert hears(agent_heard, unmuted[800:]) > 0.8
