"""The media engine on loopback UDP: paced frames, exact payloads, digits and bridging;
and the same engine in its worker process."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from kefu.adapters.voice.dtmf import dtmf_tone
from kefu.adapters.voice.g711 import ulaw_decode, ulaw_encode, ulaw_to_alaw
from kefu.adapters.voice.media import MediaEngine
from kefu.adapters.voice.media_worker import MediaWorker
from kefu.adapters.voice.port import DigitReceived, MediaEnded, UnknownCall, VoiceEvent


def _peer() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def _collect(sock: socket.socket, seconds: float) -> list[tuple[float, bytes]]:
    loop = asyncio.get_running_loop()
    got: list[tuple[float, bytes]] = []
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        try:
            got.append((time.monotonic(), sock.recv(2048)))
        except BlockingIOError:
            await asyncio.sleep(0.002)
    return got


def test_given_a_clip_when_played_then_frames_carry_it_exactly_every_20_ms_then_silence() -> None:
    clip = bytes(range(256)) * 10  # 2560 bytes: 16 frames

    async def scenario() -> tuple[list[VoiceEvent], list[tuple[float, bytes]]]:
        events: list[VoiceEvent] = []
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        peer = _peer()
        engine.open_leg("c1")
        engine.connect("c1", peer.getsockname(), "PCMU", 101)
        engine.play("c1", clip, tag="hello")
        packets = await _collect(peer, 0.6)
        await engine.stop()
        peer.close()
        return events, packets

    events, packets = asyncio.run(scenario())
    assert events == [MediaEnded("c1", "hello")]
    payload = b"".join(p[12:] for _, p in packets)
    assert payload.startswith(clip)
    assert set(payload[len(clip) :]) == {0xFF}  # µ-law silence after the clip
    seqs = [int.from_bytes(p[2:4], "big") for _, p in packets]
    stamps = [int.from_bytes(p[4:8], "big") for _, p in packets]
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
    assert all((b - a) % 2**32 == 160 for a, b in itertools.pairwise(stamps))
    assert [p[1] for _, p in packets[:2]] == [0x80, 0x00]  # marker, PT 0, then PT 0
    gaps = np.diff([arrival for arrival, _ in packets])
    assert 0.015 < float(np.median(gaps)) < 0.025  # paced every 20 ms, not bursted


def test_given_an_alaw_leg_when_a_mulaw_clip_plays_then_it_is_sent_transcoded() -> None:
    clip = ulaw_encode([0, 1000, -1000, 30000] * 80)

    async def scenario() -> bytes:
        engine = MediaEngine("127.0.0.1", lambda _event: None)
        await engine.start()
        peer = _peer()
        engine.open_leg("c1")
        engine.connect("c1", peer.getsockname(), "PCMA", None)
        engine.play("c1", clip)
        packets = await _collect(peer, 0.1)
        await engine.stop()
        peer.close()
        assert all(p[1] & 0x7F == 8 for _, p in packets)
        return b"".join(p[12:] for _, p in packets)

    assert asyncio.run(scenario()).startswith(ulaw_to_alaw(clip))


def _rtp(payload_type: int, seq: int, timestamp: int, payload: bytes) -> bytes:
    return struct.pack("!BBHII", 0x80, payload_type, seq, timestamp, 7) + payload


def test_given_telephone_event_packets_when_received_then_one_digit_per_key_press() -> None:
    async def scenario() -> list[VoiceEvent]:
        events: list[VoiceEvent] = []
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        peer = _peer()
        port = engine.open_leg("c1")
        engine.connect("c1", peer.getsockname(), "PCMU", 96)
        press = [(5, 0, 160), (5, 0, 320), (5, 0x80, 480), (5, 0x80, 480), (5, 0x80, 480)]
        for seq, (event, flags, duration) in enumerate(press):
            peer.sendto(_rtp(96, seq, 1000, struct.pack("!BBH", event, flags, duration)),
                        ("127.0.0.1", port))  # fmt: skip
        peer.sendto(_rtp(96, 9, 5000, struct.pack("!BBH", 5, 0x80, 480)), ("127.0.0.1", port))
        peer.sendto(_rtp(101, 10, 9000, struct.pack("!BBH", 7, 0x80, 480)), ("127.0.0.1", port))
        await asyncio.sleep(0.1)
        await engine.stop()
        peer.close()
        return events

    # The same key again (new timestamp) counts; PT 101 was not negotiated, so it is audio.
    assert asyncio.run(scenario()) == [DigitReceived("c1", "5", "rfc4733")] * 2


def test_given_two_bridged_legs_when_one_speaks_then_the_other_hears_it_in_its_codec() -> None:
    speech = ulaw_encode([3000, -3000] * 80)

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        engine = MediaEngine("127.0.0.1", lambda _event: None)
        await engine.start()
        caller, agent = _peer(), _peer()
        port_a = engine.open_leg("a")
        engine.open_leg("b")
        engine.connect("a", caller.getsockname(), "PCMU", None)
        engine.connect("b", agent.getsockname(), "PCMA", None)
        engine.bridge("a", "b")
        await _collect(agent, 0.05)  # drain anything sent before the bridge
        caller.sendto(_rtp(0, 1, 160, speech), ("127.0.0.1", port_a))
        heard = [p for _, p in await _collect(agent, 0.1)]
        engine.close_leg("a")
        after = [p for _, p in await _collect(agent, 0.1)]
        await engine.stop()
        caller.close()
        agent.close()
        return heard, after

    heard, after = asyncio.run(scenario())
    assert [p[12:] for p in heard] == [ulaw_to_alaw(speech)]  # nothing but the caller's audio
    assert heard[0][1] & 0x7F == 8
    assert after and all(set(p[12:]) == {0xD5} for p in after)  # back to A-law silence


def test_given_the_worker_process_when_driven_then_it_plays_exactly_and_reports_digits() -> None:
    clip = bytes(range(256)) * 5

    async def scenario() -> tuple[list[VoiceEvent], bytes, int | None, list[bytes]]:
        events: list[VoiceEvent] = []
        worker = MediaWorker("127.0.0.1", events.append, realtime=True)
        await worker.start()
        assert worker._process is not None
        try:
            policy: int | None = os.sched_getscheduler(worker._process.pid or 0)
        except OSError:
            policy = None
        peer = _peer()
        port = worker.open_leg("c1")
        worker.connect("c1", peer.getsockname(), "PCMU", 101)
        worker.play("c1", clip, tag="t")
        payload = b"".join(p[12:] for _, p in await _collect(peer, 0.4))
        peer.sendto(_rtp(101, 1, 50, struct.pack("!BBH", 9, 0x80, 480)), ("127.0.0.1", port))
        await asyncio.sleep(0.2)
        worker.send_digits("c1", "4")  # the leg has telephone-events: sent as events
        keys = [p for _, p in await _collect(peer, 0.4) if p[1] & 0x7F == 101]
        worker.close_leg("c1")
        await worker.stop()
        peer.close()
        return events, payload, policy, keys

    events, payload, policy, keys = asyncio.run(scenario())
    assert payload.startswith(clip)
    assert events == [
        MediaEnded("c1", "t"),
        DigitReceived("c1", "9", "rfc4733"),
        MediaEnded("c1", "digits"),
    ]
    assert len(keys) == 7 and {p[12] for p in keys} == {4}
    # SCHED_FIFO when permitted (root or CAP_SYS_NICE); otherwise it ran at normal priority.
    assert policy in (os.SCHED_FIFO, os.SCHED_OTHER)
    if os.geteuid() == 0:
        assert policy == os.SCHED_FIFO


def test_given_the_worker_when_a_command_names_an_unknown_leg_then_unknown_call() -> None:
    async def scenario() -> None:
        worker = MediaWorker("127.0.0.1", lambda _event: None)
        await worker.start()
        try:
            with pytest.raises(UnknownCall):
                worker.play("nope", b"\xff")
            worker.open_leg("a")
            with pytest.raises(UnknownCall):
                worker.bridge("a", "nope")
        finally:
            await worker.stop()

    asyncio.run(scenario())


def test_given_keypad_tones_when_a_leg_has_telephone_events_then_only_toneless_legs_hear() -> None:
    tones = ulaw_encode(np.concatenate([dtmf_tone("6", 0.1), np.zeros(800)]))

    async def scenario() -> list[VoiceEvent]:
        events: list[VoiceEvent] = []
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        peer = _peer()
        for leg, dtmf_pt in (("with_events", 101), ("tones_only", None)):
            port = engine.open_leg(leg)
            engine.connect(leg, peer.getsockname(), "PCMU", dtmf_pt)
            for seq, start in enumerate(range(0, len(tones), 160)):
                peer.sendto(_rtp(0, seq, start, tones[start : start + 160]), ("127.0.0.1", port))
        await asyncio.sleep(0.2)
        await engine.stop()
        peer.close()
        return events

    assert asyncio.run(scenario()) == [DigitReceived("tones_only", "6", "inband")]


def _tone_level(samples: np.ndarray, hz: float) -> float:
    """The amplitude of the *hz* tone in *samples* (8 kHz), by correlation with it."""
    t = np.arange(len(samples)) / 8000
    return float(np.abs(np.dot(samples, np.exp(-2j * np.pi * hz * t))) * 2 / len(samples))


def test_given_a_recorded_bridge_when_paused_then_the_tone_said_meanwhile_is_not_in_the_file(
    tmp_path: Path,
) -> None:
    """The caller says a 1 kHz tone all along; the recording is paused for a second in the
    middle (the worker process, as in production): the file holds the tone before and after
    the pause and silence during it."""
    tone = ulaw_encode((8000 * np.sin(2 * np.pi * 1000 * np.arange(160) / 8000)).astype(np.int16))
    path = str(tmp_path / "call.wav")

    async def scenario() -> tuple[float, float, float]:
        loop = asyncio.get_running_loop()
        worker = MediaWorker("127.0.0.1", lambda _event: None, realtime=False)
        await worker.start()
        caller, agent = _peer(), _peer()
        port_a = worker.open_leg("a")
        worker.open_leg("b")
        worker.connect("a", caller.getsockname(), "PCMU", None)
        worker.connect("b", agent.getsockname(), "PCMU", None)
        worker.bridge("a", "b")
        worker.record("a", "b", path)
        start = loop.time()
        marks = []
        for seq in range(150):  # 3 s of 20 ms packets
            if seq in (50, 100):
                worker.pause_recording("a", seq == 50)
                marks.append(loop.time() - start)
            caller.sendto(_rtp(0, seq, seq * 160, tone), ("127.0.0.1", port_a))
            await asyncio.sleep(max(0.0, start + (seq + 1) * 0.02 - loop.time()))
        worker.close_leg("a")
        end = loop.time() - start
        worker.close_leg("b")
        await worker.stop()
        caller.close()
        agent.close()
        return marks[0], marks[1], end

    paused_s, resumed_s, end_s = asyncio.run(scenario())
    with wave.open(path, "rb") as wav:
        left = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)[:, 0]
    assert abs(len(left) / 8000 - end_s) < 0.3

    def level(a: float, b: float) -> float:
        return _tone_level(left[int(a * 8000) : int(b * 8000)].astype(np.float64), 1000)

    margin = 0.2  # the jitter buffer and the command's way to the worker
    assert level(margin, paused_s - margin) > 3000  # before the pause: the tone
    assert level(paused_s + margin, resumed_s - margin) < 50  # paused: silence
    assert level(resumed_s + margin, end_s - margin) > 3000  # after: the tone again


def test_given_keys_for_a_leg_with_telephone_events_when_sent_then_rfc4733_packets_carry_them() -> (
    None
):
    async def scenario() -> tuple[list[VoiceEvent], list[bytes], list[VoiceEvent]]:
        events: list[VoiceEvent] = []
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        peer = _peer()
        engine.open_leg("agent")
        engine.connect("agent", peer.getsockname(), "PCMU", 101)
        engine.send_digits("agent", "159#")
        packets = [p for _, p in await _collect(peer, 1.0)]
        sent = list(events)
        # kefu's own receiving side (the test peer of the in-band case) hears the events.
        heard: list[VoiceEvent] = []
        ear = MediaEngine("127.0.0.1", heard.append)
        await ear.start()
        port = ear.open_leg("caller")
        ear.connect("caller", peer.getsockname(), "PCMU", 101)
        engine.connect("agent", ("127.0.0.1", port), "PCMU", 101)
        engine.send_digits("agent", "2*")
        await asyncio.sleep(0.8)
        await ear.stop()
        await engine.stop()
        peer.close()
        return sent, packets, heard

    sent, packets, heard = asyncio.run(scenario())
    assert sent == [MediaEnded("agent", "digits")]
    keys = [p for p in packets if p[1] & 0x7F == 101]
    # Four keys: five packets each (durations 160..800 samples), the last one (E bit) sent
    # three times, all with the key's start timestamp; the marker starts each key.
    assert len(keys) == 4 * 7
    by_key: dict[int, list[bytes]] = {}
    for p in keys:
        by_key.setdefault(int.from_bytes(p[4:8], "big"), []).append(p)
    assert [bytes([p[12]]) for p in (v[0] for v in by_key.values())] == [
        b"\x01",
        b"\x05",
        b"\x09",
        b"\x0b",
    ]
    for key in by_key.values():
        durations = [int.from_bytes(p[14:16], "big") for p in key]
        assert durations == [160, 320, 480, 640, 800, 800, 800]
        assert [bool(p[13] & 0x80) for p in key] == [False] * 4 + [True] * 3
        assert [bool(p[1] & 0x80) for p in key] == [True] + [False] * 6
    seqs = [int.from_bytes(p[2:4], "big") for p in packets]
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
    # Between keys: µ-law silence, no tones (the far end detects the events, not audio).
    audio = b"".join(p[12:] for p in packets if p[1] & 0x7F == 0)
    assert audio and set(audio) == {0xFF}
    assert [(e.digit, e.source) for e in heard if isinstance(e, DigitReceived)] == [
        ("2", "rfc4733"),
        ("*", "rfc4733"),
    ]


def test_given_keys_for_a_leg_without_telephone_events_when_sent_then_they_are_tones() -> None:
    async def scenario() -> list[VoiceEvent]:
        events: list[VoiceEvent] = []
        engine = MediaEngine("127.0.0.1", events.append)
        await engine.start()
        ear = engine.open_leg("caller")
        engine.open_leg("agent")
        engine.connect("agent", ("127.0.0.1", ear), "PCMA", None)
        engine.connect("caller", ("127.0.0.1", 9), "PCMA", None)
        engine.send_digits("agent", "37")
        await asyncio.sleep(0.8)
        await engine.stop()
        return events

    events = asyncio.run(scenario())
    assert [(e.call_id, e.digit, e.source) for e in events if isinstance(e, DigitReceived)] == [
        ("caller", "3", "inband"),
        ("caller", "7", "inband"),
    ]
    assert MediaEnded("agent", "digits") in events


def test_given_three_legs_in_a_conference_in_the_worker_then_each_hears_the_other_two() -> None:
    """Three peers say 400, 700 and 1100 Hz into legs conferenced in the worker process:
    each hears the other two tones and not its own; when the third leg closes, the first
    two are bridged directly (the first's tone reaches the second)."""
    tones = (400, 700, 1100)
    frames = [
        ulaw_encode((6000 * np.sin(2 * np.pi * hz * np.arange(160) / 8000)).astype(np.int16))
        for hz in tones
    ]

    async def speak(peers: list[socket.socket], ports: list[int], count: int) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for seq in range(count):
            for peer, port, frame in zip(peers, ports, frames[: len(peers)], strict=True):
                peer.sendto(_rtp(0, seq, seq * 160, frame), ("127.0.0.1", port))
            await asyncio.sleep(max(0.0, start + (seq + 1) * 0.02 - loop.time()))

    async def scenario() -> tuple[list[bytes], bytes]:
        worker = MediaWorker("127.0.0.1", lambda _event: None, realtime=False)
        await worker.start()
        peers = [_peer() for _ in tones]
        ports = [worker.open_leg(name) for name in "abc"]
        for name, peer in zip("abc", peers, strict=True):
            worker.connect(name, peer.getsockname(), "PCMU", None)
        worker.conference("a", "b", "c")
        talking = asyncio.ensure_future(speak(peers, ports, 60))
        heard = await asyncio.gather(*(_collect(peer, 1.2) for peer in peers))
        await talking
        worker.close_leg("c")
        await _collect(peers[1], 0.1)
        talking = asyncio.ensure_future(speak(peers[:2], ports[:2], 25))
        after = await _collect(peers[1], 0.5)
        await talking
        for name in "ab":
            worker.close_leg(name)
        await worker.stop()
        for peer in peers:
            peer.close()
        return [b"".join(p[12:] for _, p in got[15:]) for got in heard], b"".join(
            p[12:] for _, p in after
        )

    heard, after = asyncio.run(scenario())
    for member, audio in enumerate(heard):
        samples = ulaw_decode(audio).astype(np.float64)
        levels = [_tone_level(samples, hz) for hz in tones]
        others = [level for i, level in enumerate(levels) if i != member]
        assert min(others) > 2000, (member, levels)
        assert levels[member] < 100, (member, levels)
    direct = ulaw_decode(after).astype(np.float64)
    assert _tone_level(direct, 400) > 2000 and _tone_level(direct, 1100) < 100
