"""Transfer by SIP REFER: a sipp caller (noise) dials 10087 and is put through to agent
a2's registered sipp phone, which after 2 s sends a REFER in the call's dialog. To the
``phone`` queue: kefu answers 202, NOTIFYs ``100 Trying`` then ``200 OK``, hangs the phone
up, and the caller is put through to a1's phone (saying its own noise). To an unknown
target: the final NOTIFY is ``404`` and the call goes on with a2."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_helpers import hears, noise, playing_phone
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

pytestmark = pytest.mark.slow


def _refering_phone(workdir: Path, port: int, target: str, status: int) -> subprocess.Popen[str]:
    """a2's phone: answers, says noise, REFERs the call to *target* after 2 s and expects
    the final NOTIFY *status*."""
    workdir.mkdir()
    said, _ = noise(31, 12.0)
    write_rtp_pcap(workdir / "phone.pcap", said)
    scenario = workdir / "refers.xml"
    template = (SCENARIOS / "phone_refers.xml").read_text()
    scenario.write_text(template.replace("REFER_STATUS", str(status)))
    return subprocess.Popen(
        [require_tool("sipp"), "-sf", str(scenario), "-i", "127.0.0.1",
         "-p", str(port), "-m", "1", "-key", "rtpport", str(free_udp_port()),
         "-key", "refer_target", target,
         "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def _caller(center: PhoneCenter, workdir: Path, sink: RtpSink, stay_ms: int) -> Any:
    workdir.mkdir()
    said, _ = noise(32, stay_ms / 1000 + 2)
    write_rtp_pcap(workdir / "tone.pcap", said)
    scenario = workdir / "talk.xml"
    talk = (SCENARIOS / "talk_to_agent.xml").read_text()
    scenario.write_text(
        talk.replace('<pause milliseconds="2500"/>', '<pause milliseconds="200"/>').replace(
            '<pause milliseconds="3500"/>', f'<pause milliseconds="{stay_ms}"/>'
        )
    )
    result: dict[str, Any] = {}

    def call() -> None:
        result["done"] = run_sipp(
            center.door.port, workdir, "-sf", str(scenario),
            "-key", "rtpport", str(sink.sock.getsockname()[1]), service="10087",
        )  # fmt: skip

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, result


@pytest.fixture
def center(prompts_dir: Path) -> Any:
    settings = phone_settings(prompts_dir, sip_callback_key="", sip_agents="a1=secret1,a2=secret2")
    with phone_center(settings) as running:
        yield running


def test_given_a_bridged_call_when_the_phone_refers_it_to_a_queue_then_the_next_agent_takes_it(
    center: PhoneCenter, tmp_path: Path
) -> None:
    a2_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    a1_port = register_phone(center, tmp_path / "reg_a1", "a1", "secret1")
    execute = center.platform.engine.execute
    center.run(execute(c.SetAgentState("a2", "ready")))
    center.run(execute(c.SetAgentState("a1", "ready")))  # serves the phone queue only
    a1_said, a1_heard = noise(33, 14.0)
    a2 = _refering_phone(tmp_path / "a2", a2_port, "phone", 200)
    a1 = playing_phone(tmp_path / "a1", a1_port, a1_said, free_udp_port())
    sink = RtpSink()
    caller, result = _caller(center, tmp_path / "caller", sink, 9000)
    driver = center.door.driver
    try:
        a2_code = a2.wait(timeout=20)  # its scenario ends on kefu's BYE after the NOTIFYs
        assert center.wait_for(
            lambda: any(
                isinstance(e, ev.OfferAccepted) and e.agent_id == "a1" for e in center.stored
            ),
            timeout_s=10,
        )
        assert center.wait_for(lambda: len(driver.bridged) == 1)
        center.wait_for(lambda: False, timeout_s=0.5)
        from_a1 = sink.take(2.0)
        caller.join(40)
        a1_code = a1.wait(timeout=15)
    finally:
        for phone in (a1, a2):
            if phone.poll() is None:
                phone.kill()
                phone.wait()
        sink.close()
    assert a2_code == 0, sipp_log(tmp_path / "a2")
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert a1_code == 0, sipp_log(tmp_path / "a1")
    (moved,) = center.events(ev.ContactTransferred)
    assert (moved.from_agent_id, moved.to_queue_id, moved.to_agent_id) == ("a2", "phone", None)
    assert [e.agent_id for e in center.events(ev.OfferAccepted)] == ["a2", "a1"]
    assert hears(a1_heard, ulaw_decode(from_a1).astype(np.float64)[800:]) > 0.8
    assert center.events(ev.ContactCompleted)


def test_given_a_bridged_call_when_the_phone_refers_to_nobody_then_404_and_the_call_goes_on(
    center: PhoneCenter, tmp_path: Path
) -> None:
    a2_port = register_phone(center, tmp_path / "reg_a2", "a2", "secret2")
    center.run(center.platform.engine.execute(c.SetAgentState("a2", "ready")))
    a2 = _refering_phone(tmp_path / "a2", a2_port, "nobody", 404)
    sink = RtpSink()
    caller, result = _caller(center, tmp_path / "caller", sink, 6000)
    try:
        caller.join(40)
        a2_code = a2.wait(timeout=15)
    finally:
        if a2.poll() is None:
            a2.kill()
            a2.wait()
        sink.close()
    assert a2_code == 0, sipp_log(tmp_path / "a2")
    assert result["done"].returncode == 0, sipp_log(tmp_path / "caller")
    assert center.events(ev.ContactTransferred) == []
    (completed,) = center.events(ev.ContactCompleted)
    assert [e.agent_id for e in center.events(ev.OfferAccepted)] == ["a2"]
    assert completed.contact_id
