"""The conference mix: each member hears the others' audio added, never its own, from a
60 ms jitter buffer, in its own codec; and members leaving (two left: bridged again)."""

from __future__ import annotations

import socket
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kefu.adapters.voice.conference import FRAME, ConferenceMix
from kefu.adapters.voice.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from kefu.adapters.voice.media_conference import join_conference, leave_conference
from kefu.adapters.voice.recording import THIRD, CallRecorder
from kefu.adapters.voice.rtp_leg import RtpLeg

TONES = (400.0, 700.0, 1100.0)  # what members 0, 1 and 2 say (Hz)


def _tone(hz: float, start: int, count: int) -> npt.NDArray[np.int16]:
    t = np.arange(start, start + count) / 8000.0
    return (5000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def _power(samples: npt.NDArray[np.float64], hz: float) -> float:
    """The share of the signal's energy at *hz* (a single-bin DFT)."""
    t = np.arange(len(samples)) / 8000.0
    bin_ = np.abs(np.dot(samples, np.exp(-2j * np.pi * hz * t))) ** 2
    return float(2 * bin_ / len(samples) / max(np.dot(samples, samples), 1e-9))


def test_given_three_members_saying_tones_then_each_hears_the_other_two_not_itself() -> None:
    mix = ConferenceMix(["a", "b", "c"], ["PCMU", "PCMA", "PCMU"])
    heard: list[list[bytes]] = [[], [], []]
    for tick in range(50):
        for member, hz in enumerate(TONES):
            samples = _tone(hz, tick * FRAME, FRAME)
            if member == 1:
                mix.feed(member, alaw_encode(samples), 8)
            else:
                mix.feed(member, ulaw_encode(samples), 0)
        mix.tick()
        for member in range(3):
            heard[member].append(bytes(mix.views[member]))
    for member, codec in enumerate(("PCMU", "PCMA", "PCMU")):
        raw = b"".join(heard[member][10:])  # past the jitter buffer's first 60 ms
        decode = alaw_decode if codec == "PCMA" else ulaw_decode
        audio = decode(raw).astype(np.float64)
        shares = [_power(audio, hz) for hz in TONES]
        others = [share for i, share in enumerate(shares) if i != member]
        assert min(others) > 0.4, (member, shares)
        assert shares[member] < 0.01, (member, shares)


def test_given_a_member_silent_then_the_others_hear_silence_from_it_after_it_ran_dry() -> None:
    mix = ConferenceMix(["a", "b", "c"], ["PCMU"] * 3)
    for _ in range(3):
        mix.feed(0, ulaw_encode(_tone(400, 0, FRAME)), 0)
    for _ in range(4):
        mix.tick()
    assert np.abs(ulaw_decode(bytes(mix.views[1])).astype(int)).max() == 0  # ran dry
    assert np.abs(ulaw_decode(bytes(mix.views[0])).astype(int)).max() == 0  # never itself


@pytest.fixture
def legs() -> Iterator[dict[str, RtpLeg]]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    yield {name: RtpLeg(name, sock) for name, sock in zip("abc", sockets, strict=True)}
    for sock in sockets:
        sock.close()


def test_given_a_conference_when_a_member_leaves_then_the_other_two_are_bridged(
    legs: dict[str, RtpLeg], tmp_path: Path
) -> None:
    recorder = CallRecorder(tmp_path / "call.wav", 0.0)
    legs["a"].recorder, legs["a"].record_channel = recorder, 0
    legs["b"].recorder, legs["b"].record_channel = recorder, 1
    legs["a"].peer, legs["b"].peer = "b", "a"
    mix = join_conference(legs, [legs["a"], legs["b"], legs["c"]])
    assert [leg.conference for leg in legs.values()] == [mix, mix, mix]
    assert all(leg.peer is None for leg in legs.values())
    assert (legs["c"].recorder, legs["c"].record_channel) == (recorder, THIRD)
    old, new = leave_conference(legs, legs["c"])
    assert (old, new) == (mix, None)
    assert legs["c"].recorder is None and legs["a"].recorder is recorder
    assert (legs["a"].peer, legs["b"].peer) == ("b", "a")
    assert all(leg.conference is None for leg in legs.values())
    recorder.close(0.0)


def test_given_a_recording_with_a_third_voice_then_it_is_added_to_the_agents_channel(
    tmp_path: Path,
) -> None:
    path = tmp_path / "call.wav"
    recorder = CallRecorder(path, 0.0)
    for frame in range(10):
        recorder.feed(0, ulaw_encode(_tone(400, frame * FRAME, FRAME)), 0)
        recorder.feed(1, ulaw_encode(_tone(700, frame * FRAME, FRAME)), 0)
        recorder.feed(THIRD, ulaw_encode(_tone(1100, frame * FRAME, FRAME)), 0)
    recorder.close(0.2)
    with wave.open(str(path), "rb") as wav:
        stereo = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    left, right = stereo[:, 0].astype(np.float64), stereo[:, 1].astype(np.float64)
    assert _power(left, 400) > 0.8 and _power(left, 1100) < 0.01
    assert _power(right, 700) > 0.4 and _power(right, 1100) > 0.4
