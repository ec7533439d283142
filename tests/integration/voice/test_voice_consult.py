"""Consultative transfer and the conference of three with real SIP peers: a sipp caller
dials 10087 and is put through to agent a2's registered sipp phone; a2 consults agent a1,
whose sipp phone kefu rings. Every party says its own noise and every phone's receiver
keeps what it heard, so each check is a cross-correlation of what one heard with what
another said.

Consult: while a1 and a2 talk, the caller hears neither (the comfort tone plays); on
completion a2's phone is hung up and the caller hears a1. Conference: the caller, a2 and
a1 each hear the other two (mixed: each voice scores about 0.7 in a mix of two), and the
recording's agent channel holds both agents' voices; when a2 leaves, the caller and a1
stay connected."""

from __future__ import annotations

import subprocess
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from audio_helpers import hears, noise, playing_phone
from phone_helpers import PhoneCenter, RtpSink, phone_center, phone_settings, register_phone
from voice_helpers import SCENARIOS, run_sipp, sipp_log, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode
from kefu.domain import events as ev
from kefu.domain.model import Channel
from kefu.service.routing import commands as c

pytestmark = pytest.mark.slow

Audio = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def center(prompts_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneCenter]:
    calls = tmp_path_factory.mktemp("consult") / "calls"
    settings = phone_settings(
        prompts_dir,
        sip_callback_key="",
        sip_agents="a1=secret1,a2=secret2",
        sip_call_recordings_dir=str(calls),
    )
    with phone_center(settings) as running:
        yield running


@dataclass
class _Call:
    """A caller on 10087 bridged to a2's phone, a1's phone registered; what each said."""

    center: PhoneCenter
    contact_id: str
    said: dict[str, Audio]
    sinks: dict[str, RtpSink]
    phones: list[subprocess.Popen[str]]
    caller: threading.Thread
    result: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def mark(self, side: str) -> int:
        return len(self.sinks[side].payload)

    def heard(self, side: str, start: int, end: int | None = None) -> Audio:
        payload = bytes(self.sinks[side].payload[start:end])
        # Under 0.5 s: the caller's stay (a fixed pause in its scenario) ran out first.
        assert len(payload) >= 4000, f"{side} heard {len(payload)} samples: call over?"
        return ulaw_decode(payload).astype(np.float64)

    def pause(self, seconds: float) -> None:
        self.center.wait_for(lambda: False, timeout_s=seconds)


@contextmanager
def _call(
    center: PhoneCenter, tmp_path: Path, stay_ms: int, *, a1_hangs_up: bool = False
) -> Iterator[_Call]:
    """The caller hangs up *stay_ms* after it was answered; it is bridged about 4 s
    later (the recording notice), and more on a loaded machine: the test's own steps
    must fit in what is left, with a margin for commands and rings slowed by load."""
    a2_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    a1_port = register_phone(center, tmp_path / "reg_a1", "a1", "secret1")
    execute = center.platform.engine.execute
    center.run(execute(c.SetAgentState("a2", "ready")))
    center.run(execute(c.SetAgentState("a1", "ready")))  # serves the empty phone queue
    spoken = {"caller": noise(41, stay_ms / 1000 + 1), "a2": noise(42, 20.0)}
    spoken["a1"] = noise(43, 20.0)
    sinks = {side: RtpSink() for side in spoken}
    phones = [
        playing_phone(
            tmp_path / side,
            port,
            spoken[side][0],
            sinks[side].sock.getsockname()[1],
            "phone_hangs_up.xml" if side == "a1" and a1_hangs_up else "phone_answers_and_plays.xml",
        )
        for side, port in (("a2", a2_port), ("a1", a1_port))
    ]
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", spoken["caller"][0])
    scenario = tmp_path / "caller" / "talk.xml"
    scenario.write_text(
        (SCENARIOS / "talk_to_agent.xml")
        .read_text()
        .replace('<pause milliseconds="2500"/>', '<pause milliseconds="200"/>')
        .replace('<pause milliseconds="3500"/>', f'<pause milliseconds="{stay_ms}"/>')
    )
    driver = center.door.driver
    before = center.call(lambda: set(driver.bridged))
    result: list[subprocess.CompletedProcess[str]] = []
    args = ["-sf", str(scenario), "-key", "rtpport", str(sinks["caller"].sock.getsockname()[1])]
    caller = threading.Thread(
        target=lambda: result.append(
            run_sipp(center.door.port, tmp_path / "caller", *args, service="10087", timeout_s=40)
        ),
        daemon=True,
    )
    caller.start()
    call = None
    try:
        # Bridged once the recording notice (about 4 s) was told.
        assert center.wait_for(lambda: len(driver.bridged) > len(before), timeout_s=20)
        (call_id,) = center.call(lambda: set(driver.bridged)) - before
        said = {side: heard for side, (_, heard) in spoken.items()}
        call = _Call(center, driver.queued[call_id], said, sinks, phones, caller, result)
        yield call
        caller.join(timeout=50)
        codes = [phone.wait(timeout=20) for phone in phones]
    finally:
        for phone in phones:
            if phone.poll() is None:
                phone.kill()
                phone.wait()
        for sink in sinks.values():
            sink.close()
    assert result and result[0].returncode == 0, sipp_log(tmp_path / "caller")
    assert codes == [0, 0], (sipp_log(tmp_path / "a2"), sipp_log(tmp_path / "a1"))


def _consult_answered(call: _Call) -> bool:
    agents = call.center.door.driver.agents
    return any(x.answered and x.contact_id == call.contact_id for x in agents.consults.values())


def test_given_a_bridged_call_when_the_agent_consults_and_completes_then_the_caller_has_a1(
    center: PhoneCenter, tmp_path: Path
) -> None:
    with _call(center, tmp_path, stay_ms=17000) as call:  # steps: 8 s and the waits
        execute = center.platform.engine.execute
        call.pause(1.0)
        start = call.mark("caller")
        call.pause(1.5)
        bridged = call.heard("caller", start)
        center.run(execute(c.ConsultContact(call.contact_id, to_agent_id="a1")))
        assert center.wait_for(lambda: _consult_answered(call), timeout_s=5)
        call.pause(0.5)
        marks = {side: call.mark(side) for side in ("caller", "a1", "a2")}
        call.pause(2.0)
        consult = {side: call.heard(side, start) for side, start in marks.items()}
        center.run(execute(c.CompleteConsult(call.contact_id, "想办房贷 wants a mortgage")))
        call.pause(0.8)
        start = call.mark("caller")
        call.pause(2.0)
        after = call.heard("caller", start)
    said = call.said
    assert hears(said["a2"], bridged) > 0.8  # first the caller talks with a2
    # In the consult a1 and a2 hear each other; the caller hears neither of them.
    assert hears(said["a2"], consult["a1"]) > 0.8
    assert hears(said["a1"], consult["a2"]) > 0.8
    assert hears(said["a2"], consult["caller"], worst=True) < 0.3
    assert hears(said["a1"], consult["caller"], worst=True) < 0.3
    assert hears(said["a1"], after) > 0.8  # then the caller talks with a1
    assert hears(said["a2"], after, worst=True) < 0.3
    (done,) = [e for e in center.events(ev.ConsultCompleted) if e.contact_id == call.contact_id]
    assert (done.agent_id, done.target_agent_id) == ("a2", "a1")
    accepted = [
        e.agent_id for e in center.events(ev.OfferAccepted) if e.contact_id == done.contact_id
    ]
    assert accepted == ["a2", "a1"]
    assert center.wait_for(
        lambda: any(
            isinstance(e, ev.ContactCompleted) and e.contact_id == done.contact_id
            for e in center.stored
        )
    )
    router = center.platform.engine.router
    assert center.call(lambda: router.contacts[done.contact_id].notes) == (
        "想办房贷 wants a mortgage",
    )
    assert center.call(lambda: router.agents["a2"].load.get(Channel.VOICE, 0)) == 0


def _wav(center: PhoneCenter, name: str) -> tuple[Audio, Audio]:
    assert center.door.recordings is not None
    with wave.open(str(center.door.recordings / name), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
    stereo = np.frombuffer(frames, dtype="<i2").reshape(-1, 2).astype(np.float64)
    return stereo[:, 0], stereo[:, 1]


def test_given_a_consult_when_conferenced_then_all_three_hear_one_another_and_it_is_recorded(
    center: PhoneCenter, tmp_path: Path
) -> None:
    conference: dict[str, Audio] = {}
    with _call(center, tmp_path, stay_ms=16000) as call:  # steps: 7 s and the waits
        execute = center.platform.engine.execute
        call.pause(1.0)
        center.run(execute(c.ConsultContact(call.contact_id, to_agent_id="a1")))
        assert center.wait_for(lambda: _consult_answered(call), timeout_s=5)
        call.pause(0.5)
        center.run(execute(c.StartConference(call.contact_id)))
        call.pause(0.5)
        marks = {side: call.mark(side) for side in ("caller", "a1", "a2")}
        call.pause(2.5)
        conference = {side: call.heard(side, start) for side, start in marks.items()}
        center.run(execute(c.CompleteConsult(call.contact_id, "")))  # a2 leaves
        call.pause(0.8)
        start = call.mark("caller")
        call.pause(1.5)
        after = call.heard("caller", start)
    said = call.said
    for side, others in (
        ("caller", ("a1", "a2")),
        ("a1", ("caller", "a2")),
        ("a2", ("caller", "a1")),
    ):
        for other in others:
            assert hears(said[other], conference[side]) > 0.5, (side, other)
    assert hears(said["a1"], after) > 0.8  # a2 left: the caller and a1 talk on
    assert hears(said["a2"], after, worst=True) < 0.3
    contact_id = call.contact_id
    started = [e for e in center.events(ev.ConferenceStarted) if e.contact_id == contact_id]
    recorded = [e for e in center.events(ev.CallRecorded) if e.contact_id == contact_id]
    assert len(started) == 1 and [r.recording for r in recorded] == [
        f"{contact_id}.wav",
        f"{contact_id}-2.wav",
    ]
    # The first part holds the conference: both agents on the agent's channel.
    left, right = _wav(center, recorded[0].recording)
    offset = int((started[0].at - recorded[0].at + 0.6) * 8000)
    span = right[offset : offset + 16000]
    assert hears(said["a1"], span) > 0.5 and hears(said["a2"], span) > 0.5
    assert hears(said["caller"], left[offset : offset + 16000]) > 0.8
    _, right2 = _wav(center, recorded[1].recording)
    assert hears(said["a1"], right2[4000:12000]) > 0.8


def test_given_a_consult_when_the_consulted_phone_hangs_up_then_the_caller_has_its_agent_again(
    center: PhoneCenter, tmp_path: Path
) -> None:
    with _call(center, tmp_path, stay_ms=12000, a1_hangs_up=True) as call:  # steps: 3 s
        execute = center.platform.engine.execute
        call.pause(0.5)
        center.run(execute(c.ConsultContact(call.contact_id, to_agent_id="a1")))
        router = center.platform.engine.router
        assert center.wait_for(
            lambda: "consult" not in router.contacts[call.contact_id].attributes, timeout_s=8
        )
        call.pause(0.8)
        start = call.mark("caller")
        call.pause(1.5)
        after = call.heard("caller", start)
        consulted = call.heard("a1", 0)  # what a1's phone heard before it hung up
        assert center.call(lambda: router.agents["a1"].load.get(Channel.VOICE, 0)) == 0
        assert center.call(lambda: router.contacts[call.contact_id].agent_id) == "a2"
    (cancelled,) = [
        e for e in center.events(ev.ConsultCancelled) if e.contact_id == call.contact_id
    ]
    assert (cancelled.target_agent_id, cancelled.reason) == ("a1", "target_gone")
    assert hears(call.said["a2"], consulted) > 0.8  # a1 answered and talked with a2
    assert hears(call.said["a2"], after) > 0.8  # back with a2, off hold
