"""Call recording and music on hold, one platform and front door for the module.

Recording: a caller bridged to an agent's phone is told the call may be recorded, and the
call is recorded as one stereo WAV (caller left, agent right) named by the contact id,
which the contact's ``recording`` attribute names. Music on hold: a queued caller hears
the operator's file (converted by sox) between announcements. Supervisors: a listening
supervisor's phone hears both and is not heard; a whisper is heard by the agent only, a
barge by both."""

from __future__ import annotations

import subprocess
import threading
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from audio_helpers import best_correlation, hears, noise, playing_phone
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
        sip_agents="a2=secret2,s1=secret3",
    )
    with phone_center(settings) as running:
        yield running


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
    driver = center.door.driver
    before = center.call(lambda: set(driver.bridged))
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
    (call_id,) = center.call(lambda: set(driver.bridged)) - before
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
    # (Unrelated audio scores about 0.05; a packet later than the 40 ms jitter buffer on a
    # loaded machine costs a little.)
    assert best_correlation(stereo[:, 0], reference) > 0.9
    assert best_correlation(stereo[:, 1], reference) > 0.8
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
    assert best_correlation(heard, reference) > 0.95


@dataclass
class _Heard:
    """What each phone of a supervised call received (decoded), and the contact."""

    contact_id: str
    caller: npt.NDArray[np.float64]
    agent: npt.NDArray[np.float64]
    supervisor: npt.NDArray[np.float64]


def _supervised_call(
    center: PhoneCenter,
    tmp_path: Path,
    join: Callable[[str], c.Command],
    *,
    caller_said: bytes,
    agent_said: bytes,
    supervisor_said: bytes,
) -> _Heard:
    """A caller bridged to agent a2's phone; once bridged, supervisor s1 joins through
    *join* (the command for the contact id); every phone plays what it is given and
    records what it hears, and the caller hangs up about 12 s after it was answered."""
    agent_port = register_phone(center, tmp_path / "reg_agent", "a2", "secret2")
    supervisor_port = register_phone(center, tmp_path / "reg_sup", "s1", "secret3")
    center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
    sinks = {side: RtpSink() for side in ("caller", "agent", "supervisor")}
    ports = {side: sink.sock.getsockname()[1] for side, sink in sinks.items()}
    agent = playing_phone(tmp_path / "agent", agent_port, agent_said, ports["agent"])
    supervisor = playing_phone(
        tmp_path / "sup", supervisor_port, supervisor_said, ports["supervisor"]
    )
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", caller_said)
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    later = '<pause milliseconds="9000"/>'
    scenario.write_text(talk.replace('<pause milliseconds="2500"/>', later))
    driver = center.door.driver
    before = center.call(lambda: set(driver.bridged))
    result: list[subprocess.CompletedProcess[str]] = []
    caller_args = ["-sf", str(scenario), "-key", "rtpport", str(ports["caller"])]

    def call() -> None:
        done = run_sipp(center.door.port, tmp_path / "caller", *caller_args, service="10087")
        result.append(done)

    calling = threading.Thread(target=call)
    calling.start()
    try:
        assert center.wait_for(lambda: len(driver.bridged) > len(before), timeout_s=20)
        (call_id,) = center.call(lambda: set(driver.bridged)) - before
        contact_id = driver.queued[call_id]
        center.run(center.platform.engine.execute(join(contact_id)))
        calling.join(timeout=40)
        agent_code, supervisor_code = agent.wait(timeout=30), supervisor.wait(timeout=30)
    finally:
        for phone in (agent, supervisor):
            if phone.poll() is None:
                phone.kill()
                phone.wait()
        for sink in sinks.values():
            sink.close()
    assert result and result[0].returncode == 0, sipp_log(tmp_path / "caller")
    assert (agent_code, supervisor_code) == (0, 0)  # both hung up by kefu's BYE
    heard = {
        side: ulaw_decode(bytes(sink.payload)).astype(np.float64) for side, sink in sinks.items()
    }
    return _Heard(contact_id, heard["caller"], heard["agent"], heard["supervisor"])


@pytest.mark.slow
def test_given_a_bridged_call_when_a_supervisor_listens_then_its_phone_hears_both_and_is_not_heard(
    recorded: PhoneCenter, tmp_path: Path
) -> None:
    caller_said, caller_heard = noise(1, 1.0)
    agent_said, agent_heard = noise(2, 12.0)
    supervisor_said, supervisor_heard = noise(3, 6.0)
    heard = _supervised_call(
        recorded, tmp_path, lambda contact_id: c.ListenToCall(contact_id, "s1"),
        caller_said=caller_said, agent_said=agent_said, supervisor_said=supervisor_said,
    )  # fmt: skip
    (listened,) = [e for e in recorded.events(ev.CallListened) if e.contact_id == heard.contact_id]
    assert listened.supervisor == "s1"
    # The supervisor hears the agent, and the caller mixed with the agent.
    assert hears(heard.supervisor, agent_heard[56000:62400]) > 0.8
    assert hears(heard.supervisor, caller_heard[800:7200]) > 0.5
    # The caller and the agent hear each other, never the supervisor.
    assert hears(heard.caller, agent_heard[56000:62400]) > 0.9
    assert hears(heard.caller, supervisor_heard[8000:40000], worst=True) < 0.3
    assert hears(heard.agent, supervisor_heard[8000:40000], worst=True) < 0.3


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["whisper", "barge"])
def test_given_a_bridged_call_when_a_supervisor_whispers_or_barges_then_the_right_phones_hear_it(
    recorded: PhoneCenter, tmp_path: Path, mode: str
) -> None:
    caller_said, caller_heard = noise(1, 1.0)
    # The agent speaks softly all along; the supervisor loudly for 3 s once it answered,
    # done before the caller speaks (9 s after it was answered, 4 s of notice before the
    # bridge).
    agent_said, agent_heard = noise(2, 12.0, level=400)
    supervisor_said, supervisor_heard = noise(3, 3.0)
    command = c.WhisperToCall if mode == "whisper" else c.BargeIntoCall
    heard = _supervised_call(
        recorded, tmp_path, lambda contact_id: command(contact_id, "s1"),
        caller_said=caller_said, agent_said=agent_said, supervisor_said=supervisor_said,
    )  # fmt: skip
    kind = ev.CallWhispered if mode == "whisper" else ev.CallBarged
    (joined,) = [e for e in recorded.events(kind) if e.contact_id == heard.contact_id]
    assert joined.supervisor == "s1"
    spoken = supervisor_heard[4000:20000]
    # The agent hears the supervisor (mixed with the caller, silent then) ...
    assert hears(heard.agent, spoken) > 0.8
    # ... and the caller's words (after the supervisor stopped) through the mix.
    assert hears(heard.agent, caller_heard[800:7200]) > 0.8
    # The supervisor hears the call.
    assert hears(heard.supervisor, caller_heard[800:7200]) > 0.5
    if mode == "whisper":  # the caller hears the agent only
        assert hears(heard.caller, spoken, worst=True) < 0.3
        assert hears(heard.caller, agent_heard[56000:62400]) > 0.9
    else:  # the caller hears the supervisor over the soft agent
        assert hears(heard.caller, spoken) > 0.8
