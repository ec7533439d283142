"""Real SIP peers (sipp) calling kefu's front door on 127.0.0.1, UDP and TCP."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from voice_helpers import SCENARIOS, require_tool, run_sipp, sipp_log, voice_server, write_rtp_pcap

from kefu.adapters.voice.demo_flow import DemoFlow
from kefu.adapters.voice.g711 import ulaw_decode
from kefu.adapters.voice.port import CallEnded, CallStarted, DigitReceived, DigitsCollected


class RtpReceiver:
    """A caller's RTP port: keeps every packet kefu sends to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.packets: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.packets.append(self.sock.recv(2048))
            except TimeoutError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def payload(self, payload_type: int) -> bytes:
        """The audio of *payload_type*, in sequence-number order (no loss on loopback)."""
        ours = [p for p in self.packets if p[1] & 0x7F == payload_type]
        if not ours:
            return b""
        # Sequence numbers start anywhere and wrap at 2**16: order them from the first.
        first = int.from_bytes(ours[0][2:4], "big")
        ours.sort(key=lambda p: (int.from_bytes(p[2:4], "big") - first) % 65536)
        return b"".join(p[12:] for p in ours)


@pytest.fixture
def receiver() -> Iterator[RtpReceiver]:
    made = RtpReceiver()
    yield made
    made.close()


def _events(flow: DemoFlow, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in flow.events if isinstance(e, kind)]


@pytest.mark.slow
def test_given_sipps_builtin_uac_pcap_when_it_calls_then_the_call_completes_in_alaw_with_digit_1(
    prompts_dir: Path, tmp_path: Path
) -> None:
    with voice_server(prompts_dir) as server:
        result = run_sipp(server.port, tmp_path, "-sn", "uac_pcap", timeout_s=30)
        assert server.wait_for(lambda: bool(server.flow.ended))
        flow = server.flow
        assert result.returncode == 0, sipp_log(tmp_path)
        (started,) = _events(flow, CallStarted)
        assert (started.codec, started.transport, started.dialled) == ("PCMA", "udp", "10086")
        digits = _events(flow, DigitReceived)
        # The RFC 2833 '1', once (the pcap repeats its end packet).
        assert [(d.digit, d.source) for d in digits] == [("1", "rfc4733")]
        assert flow.ended == {started.call_id: "caller_hangup"}
        assert server.call(lambda: server.door.media.leg_count) == 0


@pytest.mark.parametrize(
    ("transport", "media_process"), [("u1", False), ("t1", False), ("u1", True)]
)
def test_given_a_caller_when_it_hears_the_greeting_and_sends_rfc4733_digits_then_kefu_collects_them(
    prompts_dir: Path, tmp_path: Path, receiver: RtpReceiver, transport: str, media_process: bool
) -> None:
    scenario = SCENARIOS / "prompt_and_digits.xml"
    with voice_server(prompts_dir, media_process=media_process) as server:
        result = run_sipp(
            server.port, tmp_path, "-sf", str(scenario), "-t", transport,
            "-key", "rtpport", str(receiver.port),
        )  # fmt: skip
        ended = server.wait_for(lambda: bool(server.flow.ended), timeout_s=30.0)
    assert result.returncode == 0, sipp_log(tmp_path)
    assert ended, sipp_log(tmp_path)
    flow = server.flow
    (started,) = _events(flow, CallStarted)
    assert started.transport == ("tcp" if transport == "t1" else "udp")
    assert [(d.digit, d.source) for d in _events(flow, DigitReceived)] == [
        ("4", "rfc4733"), ("2", "rfc4733"), ("#", "rfc4733"),
    ]  # fmt: skip
    assert _events(flow, DigitsCollected) == [DigitsCollected(started.call_id, "42", "terminator")]
    assert flow.ended[started.call_id] == "caller_hangup"
    # What the caller heard starts with the greeting, bit-exact (PCMU passes µ-law through)
    # until the first key press cut it short (barge-in).
    heard = receiver.payload(0)
    greeting = (prompts_dir / "zh" / "greeting.ul").read_bytes()
    assert len(heard) >= 3 * 8000
    start = heard.find(greeting[:8000])
    assert 0 <= start < 8000, "the greeting's first second is not in what the caller heard"
    span = min(len(heard) - start, len(greeting), 3 * 8000)
    heard_pcm = ulaw_decode(heard[start : start + span]).astype(float)
    clip_pcm = ulaw_decode(greeting[:span]).astype(float)
    correlation = float(np.corrcoef(heard_pcm, clip_pcm)[0, 1])
    assert correlation > 0.999
    assert np.sqrt(np.mean(heard_pcm**2)) > 500  # speech, not silence


def test_given_a_caller_when_it_sends_sip_info_digits_then_kefu_collects_them_and_refuses_text(
    prompts_dir: Path, tmp_path: Path, receiver: RtpReceiver
) -> None:
    with voice_server(prompts_dir) as server:
        result = run_sipp(
            server.port, tmp_path, "-sf", str(SCENARIOS / "info_digits.xml"),
            "-key", "rtpport", str(receiver.port),
        )  # fmt: skip
        assert server.wait_for(lambda: bool(server.flow.ended))
    assert result.returncode == 0, sipp_log(tmp_path)
    flow = server.flow
    assert [(d.digit, d.source) for d in _events(flow, DigitReceived)] == [
        ("5", "info"), ("9", "info"), ("#", "info"),
    ]  # fmt: skip
    assert list(flow.collected.values()) == ["59"]


def test_given_sox_keypad_tones_in_the_callers_audio_when_played_then_kefu_hears_the_digits(
    prompts_dir: Path, tmp_path: Path, receiver: RtpReceiver
) -> None:
    sox = require_tool("sox")
    tones = [("7", "852", "1209"), ("3", "697", "1477"), ("#", "941", "1477")]
    parts: list[str] = []
    for index, (_digit, low, high) in enumerate(tones):
        tone, gap = tmp_path / f"tone{index}.wav", tmp_path / f"gap{index}.wav"
        subprocess.run(
            [sox, "-n", "-r", "8000", "-c", "1", str(tone), "synth", "0.12", "sine", low,
             "sine", high, "remix", "-", "gain", "-n", "-6"], check=True, timeout=30,
        )  # fmt: skip
        subprocess.run(
            [sox, "-n", "-r", "8000", "-c", "1", str(gap), "trim", "0", "0.1"],
            check=True, timeout=30,
        )  # fmt: skip
        parts += [str(tone), str(gap)]
    raw = tmp_path / "tones.ul"
    subprocess.run([sox, *parts, "-t", "ul", str(raw)], check=True, timeout=30)
    write_rtp_pcap(tmp_path / "tones.pcap", raw.read_bytes())
    with voice_server(prompts_dir) as server:
        result = run_sipp(
            server.port, tmp_path, "-sf", str(SCENARIOS / "inband_digits.xml"),
            "-key", "rtpport", str(receiver.port),
        )  # fmt: skip
        assert server.wait_for(lambda: bool(server.flow.ended))
    assert result.returncode == 0, sipp_log(tmp_path)
    flow = server.flow
    assert [(d.digit, d.source) for d in _events(flow, DigitReceived)] == [
        ("7", "inband"), ("3", "inband"), ("#", "inband"),
    ]  # fmt: skip
    assert list(flow.collected.values()) == ["73"]


def test_given_a_ringing_call_when_the_caller_cancels_then_487_and_the_call_ends_cancelled(
    prompts_dir: Path, tmp_path: Path
) -> None:
    with voice_server(prompts_dir, flow=DemoFlow(ring_s=10.0)) as server:
        result = run_sipp(server.port, tmp_path, "-sf", str(SCENARIOS / "cancel.xml"))
        assert server.wait_for(lambda: bool(server.flow.ended))
        assert server.call(lambda: (server.door.active_calls, server.door.media.leg_count)) == (
            0,
            0,
        )
    assert result.returncode == 0, sipp_log(tmp_path)
    (started,) = _events(server.flow, CallStarted)
    assert server.flow.events[-1] == CallEnded(started.call_id, "cancelled")


def test_given_an_offer_without_g711_when_invited_then_488_and_nothing_is_kept(
    prompts_dir: Path, tmp_path: Path
) -> None:
    with voice_server(prompts_dir) as server:
        result = run_sipp(server.port, tmp_path, "-sf", str(SCENARIOS / "unsupported_codec.xml"))
        assert server.call(lambda: (server.door.active_calls, server.door.media.leg_count)) == (
            0,
            0,
        )
    assert result.returncode == 0, sipp_log(tmp_path)
    assert server.flow.events == []
    assert "488 Not Acceptable Here - PCMU or PCMA Required" in sipp_log(tmp_path)


def test_given_an_invite_with_a_broken_sdp_when_sent_then_400_says_why(
    prompts_dir: Path, tmp_path: Path
) -> None:
    with voice_server(prompts_dir) as server:
        result = run_sipp(server.port, tmp_path, "-sf", str(SCENARIOS / "malformed.xml"))
    assert result.returncode == 0, sipp_log(tmp_path)
    assert server.flow.events == []
    assert "400 Bad Request - Malformed SDP" in sipp_log(tmp_path)


@pytest.mark.slow
def test_given_collected_digits_when_the_demo_flow_ends_then_the_caller_hears_the_position_and_bye(
    prompts_dir: Path, tmp_path: Path, receiver: RtpReceiver
) -> None:
    with voice_server(prompts_dir, media_process=True) as server:
        result = run_sipp(
            server.port, tmp_path, "-sf", str(SCENARIOS / "announce_and_bye.xml"),
            "-key", "rtpport", str(receiver.port), timeout_s=45,
        )  # fmt: skip
        assert server.wait_for(lambda: bool(server.flow.ended))
    assert result.returncode == 0, sipp_log(tmp_path)
    assert list(server.flow.collected.values()) == ["1"]
    assert list(server.flow.ended.values()) == ["hung_up"]
    heard = receiver.payload(0)
    zh = prompts_dir / "zh"
    # "您输入的是 一 … 您前面还有 四 位 预计等待约 三 分钟 … 再见", clip after clip, bit-exact.
    sentence = b"".join(
        (zh / f"{name}.ul").read_bytes()
        for name in ("you_entered", "num_1", "position_before", "num_4", "position_unit",
                     "wait_before", "num_3", "minutes", "goodbye")
    )  # fmt: skip
    assert sentence in heard
