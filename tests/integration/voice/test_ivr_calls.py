"""Phone calls through the IVR wing: sipp presses digits, the flow verifies the caller and
queues a voice contact in the router; the queued caller hears its place and asks for a
callback. One platform and front door (media on its loop) for the module."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from phone_helpers import PhoneCenter, RtpSink, free_udp_port, phone_center, phone_settings
from voice_helpers import SCENARIOS, require_tool, run_sipp, sipp_log, write_rtp_pcap

from kefu.adapters.voice.g711 import ulaw_encode
from kefu.domain import events as ev
from kefu.domain.model import ContactState
from kefu.service.routing import commands as c


@pytest.fixture(scope="module")
def center(prompts_dir: Path) -> Iterator[PhoneCenter]:
    with phone_center(phone_settings(prompts_dir)) as running:
        yield running


@pytest.mark.slow
def test_given_a_phone_flow_when_digits_verify_then_queued_verified_told_place_and_called_back(
    center: PhoneCenter, prompts_dir: Path, tmp_path: Path
) -> None:
    driver = center.door.driver
    before = center.call(lambda: set(driver.queued))
    sink = RtpSink()
    try:
        result = run_sipp(
            center.door.port, tmp_path, "-sf", str(SCENARIOS / "ivr_queue_callback.xml"),
            "-key", "rtpport", str(sink.sock.getsockname()[1]), timeout_s=40,
        )  # fmt: skip
    finally:
        sink.close()
    assert result.returncode == 0, sipp_log(tmp_path)
    (call_id,) = center.call(lambda: set(driver.queued)) - before
    contact_id = driver.queued[call_id]
    assert center.wait_for(lambda: call_id in driver.ended)
    contact = center.call(lambda: center.platform.engine.router.contacts[contact_id])
    attributes = dict(contact.attributes)
    # The IVR's verification and what it collected reach the router with the call.
    assert contact.queue_id == "phone"
    assert attributes["ivr.verified.method"] == "account_pin"
    assert attributes["ivr.slot.account"].endswith("1234")
    assert attributes["call_id"] == call_id
    assert attributes["channel"] == "voice"
    # The queued caller heard its place ("您前面还有 0 位") and pressed 1: the router's
    # callback keeps the contact queued, and kefu hung up.
    assert next(a for a in driver.announcements if a[0] == call_id)[1] == 0
    before = (prompts_dir / "zh" / "position_before.ul").read_bytes()
    assert before in bytes(sink.payload)
    (requested,) = [e for e in center.events(ev.CallbackRequested) if e.contact_id == contact_id]
    assert requested.number == "13800000000"
    assert contact.state is ContactState.QUEUED
    assert driver.ended[call_id] == "hung_up"


@pytest.mark.slow
def test_given_a_registered_agent_phone_when_offered_a_call_then_it_rings_bridges_and_wraps_up(
    center: PhoneCenter, tmp_path: Path
) -> None:
    sipp = require_tool("sipp")
    phone_port = free_udp_port()
    (tmp_path / "reg").mkdir()
    register = tmp_path / "reg" / "register.xml"
    template = (SCENARIOS / "register.xml").read_text()
    register.write_text(template.replace("AGENT_USER", "a2").replace("AGENT_PASSWORD", "secret2"))
    registered = run_sipp(
        center.door.port, tmp_path / "reg", "-sf", str(register), "-p", str(phone_port)
    )
    assert registered.returncode == 0, sipp_log(tmp_path / "reg")
    assert center.call(lambda: center.door.door.registrar.binding("a2")) is not None
    center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
    # The agent's phone: sipp's built-in UAS on the registered port, answering at once and
    # echoing the audio it gets; the caller sends a 1 kHz tone once bridged.
    tone = ulaw_encode(8000 * np.sin(2 * np.pi * 1000 * np.arange(8000) / 8000))
    (tmp_path / "caller").mkdir()
    write_rtp_pcap(tmp_path / "caller" / "tone.pcap", tone)
    agent = subprocess.Popen(
        [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(phone_port), "-m", "1",
         "-mp", str(free_udp_port()), "-rtp_echo",
         "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sink = RtpSink()
    try:
        caller = run_sipp(
            center.door.port, tmp_path / "caller", "-sf", str(SCENARIOS / "talk_to_agent.xml"),
            "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
        )  # fmt: skip
        agent_code = agent.wait(timeout=30)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        sink.close()
    assert caller.returncode == 0, sipp_log(tmp_path / "caller")
    assert agent_code == 0, sipp_log(tmp_path)
    driver = center.door.driver
    ((call_id, agent_leg),) = driver.bridged.items()
    contact_id = driver.queued[call_id]
    assert center.wait_for(
        lambda: any(
            isinstance(e, ev.ContactCompleted) and e.contact_id == contact_id for e in center.stored
        )
    )
    (accepted,) = [e for e in center.events(ev.OfferAccepted) if e.contact_id == contact_id]
    assert accepted.agent_id == "a2"
    assert agent_leg.startswith("out-")
    # Audio both ways: the caller's tone reached the agent's phone and came back bridged.
    assert tone[1600:3200] in bytes(sink.payload)


@pytest.mark.slow
def test_given_a_queued_caller_when_it_hangs_up_then_the_contact_is_abandoned(
    center: PhoneCenter, tmp_path: Path
) -> None:
    center.run(center.platform.engine.execute(c.SetAgentState("a2", "not_ready")))
    write_rtp_pcap(tmp_path / "tone.pcap", b"\xff" * 1600)
    driver = center.door.driver
    before = center.call(lambda: set(driver.ended))
    result = run_sipp(
        center.door.port, tmp_path, "-sf", str(SCENARIOS / "talk_to_agent.xml"),
        "-key", "rtpport", str(free_udp_port()), service="10087",
    )  # fmt: skip
    assert result.returncode == 0, sipp_log(tmp_path)
    assert center.wait_for(lambda: len(driver.ended) > len(before))
    (call_id,) = set(driver.ended) - before
    assert driver.ended[call_id] == "caller_hangup" and call_id not in driver.bridged
    contact_id = driver.queued[call_id]
    assert center.wait_for(
        lambda: any(
            isinstance(e, ev.ContactAbandoned) and e.contact_id == contact_id for e in center.stored
        )
    )
    assert any(a[0] == call_id for a in driver.announcements)  # it heard its place
