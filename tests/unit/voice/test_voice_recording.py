"""The call recorder: a stereo WAV as long as the media clock ran, each leg on its channel."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from kefu.adapters.voice.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from kefu.adapters.voice.listen import ListenMix
from kefu.adapters.voice.recording import CallRecorder


def _read(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
        return wav.getnframes(), data


def test_given_two_legs_fed_when_closed_then_clock_length_and_each_leg_on_its_channel(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c1.wav"
    recorder = CallRecorder(path, start_s=100.0)
    caller = ulaw_encode((4000 * np.sin(np.arange(1600) / 3)).astype(np.int16))
    agent = (2000 * np.sin(np.arange(1600) / 7)).astype(np.int16)
    for i in range(10):  # 200 ms of both, one packet each per 20 ms tick
        recorder.feed(0, caller[160 * i : 160 * (i + 1)], 0)
        recorder.feed(1, alaw_encode(agent[160 * i : 160 * (i + 1)]), 8)
        recorder.tick(100.0 + 0.02 * (i + 1))
    recorder.close(101.5)  # then 1.3 s in which nobody spoke
    frames, data = _read(path)
    assert frames == 1.5 * 8000
    # Each side plays out 40 ms (two frames) behind the clock: the jitter buffer.
    assert not data[:320].any()
    assert np.array_equal(data[320:1920, 0], ulaw_decode(caller))
    assert np.corrcoef(data[320:1920, 1], agent)[0, 1] > 0.99  # A-law's rounding only
    assert not data[1920:].any()


def test_given_a_burst_after_a_stall_when_recorded_then_at_most_200_ms_lag_and_length_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c2.wav"
    recorder = CallRecorder(path, start_s=0.0)
    burst = ulaw_encode(np.full(160, 1000, dtype=np.int16))
    for _ in range(50):  # one second of packets arriving at once
        recorder.feed(0, burst, 0)
    recorder.tick(1.0)
    recorder.close(2.0)
    frames, data = _read(path)
    assert frames == 2 * 8000
    assert np.count_nonzero(data[:, 0]) == 10 * 160  # the 10 newest frames, not 50
    assert not data[:, 1].any()


def test_given_two_sides_when_mixed_for_a_listener_then_their_sum_frame_by_frame() -> None:
    mix = ListenMix()
    a = np.full(480, 1000, dtype=np.int16)  # 60 ms: just enough to start playing
    b = np.full(560, -300, dtype=np.int16)
    mix.feed(0, ulaw_encode(a), 0)
    mix.feed(1, alaw_encode(b), 8)
    frames = [mix.frame() for _ in range(5)]
    heard_a, heard_b = ulaw_decode(ulaw_encode(a)), alaw_decode(alaw_encode(b))
    for i in range(3):
        window = slice(160 * i, 160 * (i + 1))
        assert np.array_equal(frames[i], heard_a[window] + heard_b[window])
    assert np.array_equal(frames[3][:80], heard_b[480:]) and not frames[3][80:].any()
    assert not frames[4].any()


def test_given_a_side_with_less_than_60_ms_when_mixed_then_it_waits_until_buffered() -> None:
    mix = ListenMix()
    said = ulaw_encode(np.full(160, 2000, dtype=np.int16))
    mix.feed(0, said, 0)
    mix.feed(0, said, 0)
    assert not mix.frame().any()  # 40 ms buffered: not played yet
    mix.feed(0, said, 0)
    assert [bool(mix.frame().all()) for _ in range(4)] == [True, True, True, False]
    mix.feed(0, said, 0)  # ran dry: buffering again before it plays
    assert not mix.frame().any()


def test_given_a_packet_a_tick_late_when_recorded_then_no_gap_in_the_audio(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c3.wav"
    recorder = CallRecorder(path, start_s=0.0)
    said = ulaw_encode((3000 * np.sin(np.arange(1600) / 5 + 0.5)).astype(np.int16))
    frames = [said[160 * i : 160 * (i + 1)] for i in range(10)]
    for i, frame in enumerate(frames):
        if i != 4:
            recorder.feed(0, frame, 0)
        if i == 5:
            recorder.feed(0, frames[4], 0)  # frame 4 arrives with frame 5 (out of order
            # packets are not reordered: the sender's pacing is kept, not its timestamps)
        recorder.tick(0.02 * (i + 1))
    recorder.close(0.4)
    _, data = _read(path)
    heard = data[:, 0]
    first = int(np.argmax(heard != 0))
    assert first == 320
    assert np.count_nonzero(heard[first : first + 1600] == 0) < 20  # no 20 ms hole
