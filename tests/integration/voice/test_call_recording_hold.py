"""Call recording and music on hold, one platform and front door for the module.

Recording: a caller bridged to an agent's phone is told the call may be recorded, and the
call is recorded as one stereo WAV (caller left, agent right) named by the contact id,
which the contact's ``recording`` attribute names. Music on hold: a queued caller hears
the operator's file (converted by sox) between announcements."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from phone_helpers import (
    PhoneCenter,
    RtpSink,
    echo_phone,
    phone_center,
    phone_settings,
    register_phone,
)
from voice_helpers import SCENARIOS, run_sipp, sipp_log, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode, ulaw_encode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

_MUSIC_SAMPLES = np.random.default_rng(7).normal(0, 0.2, 8000).clip(-0.9, 0.9)
"""One second of the operator's music: noise, which correlates only with itself."""


@pytest.fixture(scope="module")
def recorded(prompts_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneCenter]:
    base = tmp_path_factory.mktemp("recordings")
    music = base / "music.wav"
    with wave.open(str(music), "wb") as wav:  # 16-bit linear: sox converts it to µ-law
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes((_MUSIC_SAMPLES * 32767).astype("<i2").tobytes())
    settings = phone_settings(
        prompts_dir,
        sip_call_recordings_dir=str(base / "calls"),
        sip_hold_music=str(music),
        sip_callback_key="",
    )
    with phone_center(settings) as running:
        yield running


def _best_correlation(signal: npt.NDArray[np.float64], reference: npt.NDArray[np.float64]) -> float:
    """The highest normalized cross-correlation of *reference* anywhere in *signal*."""
    ref = (reference - reference.mean()) / (np.linalg.norm(reference - reference.mean()) or 1.0)
    windows = np.lib.stride_tricks.sliding_window_view(signal, len(ref))
    centred = windows - windows.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1)
    scores = centred @ ref / np.where(norms > 0, norms, np.inf)
    return float(scores.max())


@pytest.mark.slow
def test_given_recording_on_when_a_caller_talks_to_an_agent_phone_then_the_call_is_one_wav(
    recorded: PhoneCenter, tmp_path: Path
) -> None:
    center = recorded
    phone_port = register_phone(center, tmp_path / "reg", "a2", "secret2")
    center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
    # The caller says one second of noise (a signal that correlates only with itself).
    noise = np.random.default_rng(14).normal(0, 3000, 8000).clip(-32000, 32000)
    said = ulaw_encode(noise.astype(np.int16))
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", said)
    # The caller speaks once the notice (about 4 s) was told and the agent put through.
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    later = '<pause milliseconds="7000"/>'
    scenario.write_text(talk.replace('<pause milliseconds="2500"/>', later))
    agent = echo_phone(tmp_path, phone_port)
    sink = RtpSink()
    try:
        caller = run_sipp(
            center.door.port, tmp_path / "caller", "-sf", str(scenario),
            "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
        )  # fmt: skip
        agent_code = agent.wait(timeout=30)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        sink.close()
    assert caller.returncode == 0, sipp_log(tmp_path / "caller")
    assert agent_code == 0
    driver = center.door.driver
    ((call_id, _agent_leg),) = driver.bridged.items()
    contact_id = driver.queued[call_id]
    assert center.wait_for(
        lambda: any(
            isinstance(e, ev.ContactCompleted) and e.contact_id == contact_id for e in center.stored
        )
    )
    # The contact names its recording; the file is in the recordings directory.
    (filed,) = [e for e in center.events(ev.CallRecorded) if e.contact_id == contact_id]
    assert filed.recording == f"{contact_id}.wav"
    contact = center.call(lambda: center.platform.engine.router.contacts[contact_id])
    assert contact.attributes["recording"] == filed.recording
    assert center.door.recordings is not None
    with wave.open(str(center.door.recordings / filed.recording), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = wav.readframes(wav.getnframes())
        duration_s = wav.getnframes() / 8000
    # As long as the call was bridged: from the agent's answer to the caller's BYE.
    (completed,) = [e for e in center.events(ev.ContactCompleted) if e.contact_id == contact_id]
    assert abs(duration_s - (completed.at - filed.at)) <= 0.5
    stereo = np.frombuffer(frames, dtype="<i2").reshape(-1, 2).astype(np.float64)
    reference = ulaw_decode(said).astype(np.float64)[800:7200]
    # The caller's channel holds what the caller said; the agent's channel holds the
    # agent's phone echoing it back.
    assert _best_correlation(stereo[:, 0], reference) > 0.95
    assert _best_correlation(stereo[:, 1], reference) > 0.9
    # The caller was told first that the call may be recorded (in the flow's language).
    heard = bytes(sink.payload)
    notices = [
        center.run(center.door.clips.lines(lang, text))
        for lang, text in (
            ("zh", "为了保证服务质量，您的通话可能会被录音。"),
            ("en", "This call may be recorded for quality purposes."),
        )
    ]
    assert any(center.door.clips(names[0])[:4000] in heard for names in notices)


@pytest.mark.slow
def test_given_hold_music_when_a_caller_waits_in_the_queue_then_it_hears_the_music(
    recorded: PhoneCenter, tmp_path: Path
) -> None:
    center = recorded
    center.run(center.platform.engine.execute(c.SetAgentState("a2", "not_ready")))
    write_rtp_pcap(tmp_path / "tone.pcap", b"\xff" * 1600)
    scenario = tmp_path / "wait.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    later = '<pause milliseconds="9000"/>'
    scenario.write_text(talk.replace('<pause milliseconds="2500"/>', later))
    driver = center.door.driver
    before = center.call(lambda: set(driver.ended))
    sink = RtpSink()
    try:
        caller = run_sipp(
            center.door.port, tmp_path, "-sf", str(scenario),
            "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
        )  # fmt: skip
    finally:
        sink.close()
    assert caller.returncode == 0, sipp_log(tmp_path)
    assert center.wait_for(lambda: len(driver.ended) > len(before))
    (call_id,) = set(driver.ended) - before
    assert call_id in driver.queued and call_id not in driver.bridged
    assert any(a[0] == call_id for a in driver.announcements)
    # Between the announcements the caller heard the operator's music, not the tone.
    heard = ulaw_decode(bytes(sink.payload)).astype(np.float64)
    reference = _MUSIC_SAMPLES[800:7200] * 32767
    assert _best_correlation(heard, reference) > 0.95
