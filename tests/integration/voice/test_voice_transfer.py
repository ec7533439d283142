"""A bridged call transferred to another queue: the first agent's phone gets a BYE, the
caller hears music on hold until the next agent's phone answers, then that agent hears
the caller (real SIP and RTP with sipp phones, audio checked by correlation)."""

from __future__ import annotations

import subprocess
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_helpers import best_correlation, hears, noise, playing_phone
from phone_helpers import (
    PhoneCenter,
    RtpSink,
    free_udp_port,
    phone_center,
    phone_settings,
    register_phone,
)
from voice_helpers import SCENARIOS, require_tool, run_sipp, sipp_log, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_decode
from kefu.domain import events as ev
from kefu.service.routing import commands as c

_MUSIC = np.random.default_rng(8).normal(0, 0.2, 8000).clip(-0.9, 0.9)
"""One second of the operator's music: noise, which correlates only with itself."""
_RING_S = 2.0
"""How long the second agent's phone rings before it answers."""


@pytest.fixture(scope="module")
def center(prompts_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneCenter]:
    base = tmp_path_factory.mktemp("transfer")
    music = base / "music.wav"
    with wave.open(str(music), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes((_MUSIC * 32767).astype("<i2").tobytes())
    settings = phone_settings(
        prompts_dir,
        sip_hold_music=str(music),
        sip_callback_key="",
        sip_agents="a1=secret1,a2=secret2",
        sip_announce_every_s=30.0,
    )
    with phone_center(settings) as running:
        yield running


def _slow_phone(workdir: Path, port: int, rtp_port: int) -> subprocess.Popen[str]:
    """A phone that rings for ``_RING_S`` seconds, then answers as
    :func:`~audio_helpers.playing_phone` does (saying nothing)."""
    scenario = workdir / "slow.xml"
    workdir.mkdir()
    text = (SCENARIOS / "phone_answers_and_plays.xml").read_text()
    ringing = """<recv request="INVITE" crlf="true"/>

  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]phone[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>

  <pause milliseconds="RING_MS"/>
""".replace("RING_MS", str(int(_RING_S * 1000)))
    scenario.write_text(text.replace('<recv request="INVITE" crlf="true"/>\n', ringing, 1))
    write_rtp_pcap(workdir / "phone.pcap", b"\xff" * 160)
    return subprocess.Popen(
        [require_tool("sipp"), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-m", "1",
         "-key", "rtpport", str(rtp_port), "-timeout", "40s", "-timeout_error", "-nostdin",
         "-trace_err"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_given_a_bridged_call_when_the_agent_transfers_it_then_the_next_agent_hears_the_caller(
    center: PhoneCenter, tmp_path: Path
) -> None:
    first_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    second_port = register_phone(center, tmp_path / "reg_a1", "a1", "secret1")
    execute = center.platform.engine.execute
    center.run(execute(c.SetAgentState("a2", "ready")))
    center.run(execute(c.SetAgentState("a1", "ready")))  # serves the "phone" queue only
    caller_said, caller_heard = noise(4, 1.0)
    first_said, _ = noise(5, 10.0)
    first = playing_phone(tmp_path / "first", first_port, first_said, free_udp_port())
    second_sink, caller_sink = RtpSink(), RtpSink()
    second = _slow_phone(tmp_path / "second", second_port, second_sink.sock.getsockname()[1])
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", caller_said)
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="7000"/>')
    )
    driver = center.door.driver
    before = center.call(lambda: set(driver.bridged))
    result: list[subprocess.CompletedProcess[str]] = []
    caller_args = ["-sf", str(scenario), "-key", "rtpport", str(caller_sink.sock.getsockname()[1])]

    def call() -> None:
        result.append(
            run_sipp(center.door.port, tmp_path / "caller", *caller_args, service="10087")
        )

    calling = threading.Thread(target=call)
    calling.start()
    try:
        assert center.wait_for(lambda: len(driver.bridged) > len(before), timeout_s=20)
        (call_id,) = center.call(lambda: set(driver.bridged)) - before
        contact_id = driver.queued[call_id]
        first_leg = center.call(lambda: driver.bridged[call_id])
        heard_before = len(caller_sink.payload)
        center.run(execute(c.TransferContact(contact_id, to_queue_id="phone", note="账单问题")))
        # The first agent's phone is hung up at once (its scenario ends on kefu's BYE).
        first_code = first.wait(timeout=5)
        assert center.wait_for(
            lambda: driver.bridged.get(call_id) not in (None, first_leg), timeout_s=10
        )
        on_hold = bytes(caller_sink.payload[heard_before:])
        calling.join(timeout=40)
        second_code = second.wait(timeout=30)
    finally:
        for phone in (first, second):
            if phone.poll() is None:
                phone.kill()
                phone.wait()
        second_sink.close()
        caller_sink.close()
    assert result and result[0].returncode == 0, sipp_log(tmp_path / "caller")
    assert (first_code, second_code) == (0, 0)
    (moved,) = [e for e in center.events(ev.ContactTransferred) if e.contact_id == contact_id]
    assert (moved.from_agent_id, moved.to_queue_id) == ("a2", "phone")
    taken = [e for e in center.events(ev.OfferAccepted) if e.contact_id == contact_id]
    assert [e.agent_id for e in taken] == ["a2", "a1"]
    # While the second phone rang the caller heard the music on hold.
    assert len(on_hold) >= 8000 * (_RING_S - 0.5)
    music = _MUSIC[800:7200] * 32767
    assert best_correlation(ulaw_decode(on_hold).astype(np.float64), music) > 0.9
    # The second agent hears what the caller says once put through.
    at_second = ulaw_decode(bytes(second_sink.payload)).astype(np.float64)
    assert hears(at_second, caller_heard[800:7200]) > 0.8


@pytest.mark.slow
def test_given_a_bridged_call_when_the_agent_holds_it_then_music_then_the_agent_again(
    center: PhoneCenter, tmp_path: Path
) -> None:
    """The agent's phone talks (noise) to the caller; the agent holds the call for 2 s
    (the desktop's hold: HoldContact), the caller hears the music on hold, then the agent
    resumes it and the caller hears the agent again; the hold's span is in the events."""
    phone_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    execute = center.platform.engine.execute
    center.run(execute(c.SetAgentState("a1", "not_ready")))
    center.run(execute(c.SetAgentState("a2", "ready")))
    agent_said, agent_heard = noise(6, 14.0)
    agent = playing_phone(tmp_path / "agent", phone_port, agent_said, free_udp_port())
    caller_sink = RtpSink()
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", b"\xff" * 160)
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="9500"/>')
    )
    driver = center.door.driver
    before = center.call(lambda: set(driver.bridged))
    result: list[subprocess.CompletedProcess[str]] = []
    caller_args = ["-sf", str(scenario), "-key", "rtpport", str(caller_sink.sock.getsockname()[1])]
    calling = threading.Thread(
        target=lambda: result.append(
            run_sipp(center.door.port, tmp_path / "caller", *caller_args, service="10087")
        )
    )
    calling.start()
    try:
        assert center.wait_for(lambda: len(driver.bridged) > len(before), timeout_s=20)
        (call_id,) = center.call(lambda: set(driver.bridged)) - before
        contact_id = driver.queued[call_id]
        center.wait_for(lambda: False, timeout_s=0.5)  # talking
        start = len(caller_sink.payload)
        center.run(execute(c.HoldContact(contact_id)))
        center.wait_for(lambda: False, timeout_s=2.0)
        held = bytes(caller_sink.payload[start:])
        center.run(execute(c.ResumeContact(contact_id)))
        resumed_at = len(caller_sink.payload)
        center.wait_for(lambda: False, timeout_s=1.5)
        after = bytes(caller_sink.payload[resumed_at:])
        calling.join(timeout=40)
        agent_code = agent.wait(timeout=10)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        caller_sink.close()
    assert result and result[0].returncode == 0, sipp_log(tmp_path / "caller")
    assert agent_code == 0
    # Held: the music, not the agent; resumed: the agent again, not the music.
    music = _MUSIC[800:7200] * 32767
    held_audio = ulaw_decode(held).astype(np.float64)
    after_audio = ulaw_decode(after).astype(np.float64)
    assert best_correlation(held_audio, music) > 0.8
    assert best_correlation(after_audio, music) < 0.3
    # Each quarter second the caller heard after the resume is found in the agent's noise.
    assert hears(agent_heard, after_audio[800:]) > 0.8
    (held_event,) = [e for e in center.events(ev.ContactHeld) if e.contact_id == contact_id]
    (resumed,) = [e for e in center.events(ev.ContactResumed) if e.contact_id == contact_id]
    assert 1.9 <= resumed.at - held_event.at <= 3.0  # the hold time, from the call events


@pytest.mark.slow
def test_given_a_queued_caller_when_the_agent_phone_refuses_then_announcements_resume(
    center: PhoneCenter, tmp_path: Path
) -> None:
    """A queued caller heard its place; the offered agent's phone refuses (486): the
    caller hears the music and its place again at once, not after the next period."""
    phone_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    execute = center.platform.engine.execute
    for agent in ("a1", "a2"):
        center.run(execute(c.SetAgentState(agent, "not_ready")))
    (tmp_path / "phone").mkdir()
    phone = subprocess.Popen(
        [require_tool("sipp"), "-sf", str(SCENARIOS / "phone_refuses.xml"), "-i", "127.0.0.1",
         "-p", str(phone_port), "-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin"],
        cwd=tmp_path / "phone", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", b"\xff" * 160)
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="8000"/>')
    )
    driver = center.door.driver
    before = center.call(lambda: set(driver.queued))
    result: list[subprocess.CompletedProcess[str]] = []
    caller_args = ["-sf", str(scenario), "-key", "rtpport", str(free_udp_port())]
    calling = threading.Thread(
        target=lambda: result.append(
            run_sipp(center.door.port, tmp_path / "caller", *caller_args, service="10087")
        )
    )
    calling.start()

    def told(call_id: str) -> int:
        """Announcements to the call so far (run on the center's loop)."""
        return sum(a[0] == call_id for a in driver.announcements)

    try:
        assert center.wait_for(lambda: len(driver.queued) > len(before), timeout_s=20)
        (call_id,) = center.call(lambda: set(driver.queued)) - before
        assert center.wait_for(lambda: told(call_id) >= 1, timeout_s=10)
        first = center.call(lambda: told(call_id))
        center.run(execute(c.SetAgentState("a2", "ready")))
        assert phone.wait(timeout=10) == 0  # rung and refused
        contact_id = driver.queued[call_id]
        assert center.wait_for(
            lambda: any(
                isinstance(e, ev.OfferRejected) and e.contact_id == contact_id
                for e in center.stored
            )
        )
        # Announced again within seconds (the period is 30 s).
        assert center.wait_for(lambda: told(call_id) > first, timeout_s=5)
        calling.join(timeout=30)
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
    assert result and result[0].returncode == 0, sipp_log(tmp_path / "caller")


@pytest.mark.slow
def test_given_a_bridged_call_when_the_agent_phone_holds_it_then_the_caller_hears_music(
    center: PhoneCenter, tmp_path: Path
) -> None:
    """The agent's phone holds the call by a re-INVITE (sendonly) 1.5 s after answering
    and resumes it (sendrecv) 2.5 s later: the contact is held and resumed, and the
    caller hears the music on hold meanwhile."""
    phone_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    execute = center.platform.engine.execute
    center.run(execute(c.SetAgentState("a1", "not_ready")))
    center.run(execute(c.SetAgentState("a2", "ready")))
    (tmp_path / "agent").mkdir()
    agent_said, _ = noise(9, 8.0)
    write_rtp_pcap(tmp_path / "agent" / "phone.pcap", agent_said)
    agent = subprocess.Popen(
        [require_tool("sipp"), "-sf", str(SCENARIOS / "phone_holds.xml"), "-i", "127.0.0.1",
         "-p", str(phone_port), "-m", "1", "-key", "rtpport", str(free_udp_port()),
         "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err"],
        cwd=tmp_path / "agent", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    caller_sink = RtpSink()
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", b"\xff" * 160)
    scenario = tmp_path / "caller" / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="7000"/>')
    )
    caller_args = ["-sf", str(scenario), "-key", "rtpport", str(caller_sink.sock.getsockname()[1])]
    try:
        caller = run_sipp(center.door.port, tmp_path / "caller", *caller_args, service="10087")
        agent_code = agent.wait(timeout=10)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        caller_sink.close()
    assert caller.returncode == 0, sipp_log(tmp_path / "caller")
    assert agent_code == 0, sipp_log(tmp_path / "agent")
    held = [e for e in center.events(ev.ContactHeld) if e.agent_id == "a2"][-1]
    (resumed,) = [e for e in center.events(ev.ContactResumed) if e.contact_id == held.contact_id]
    assert 2.0 <= resumed.at - held.at <= 3.5  # the phone's 2.5 s of hold
    heard = ulaw_decode(bytes(caller_sink.payload)).astype(np.float64)
    assert best_correlation(heard, _MUSIC[800:7200] * 32767) > 0.8
