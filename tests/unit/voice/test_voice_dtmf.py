"""Keypad digits: the in-band detector on synthesized tones (clean, noisy, twisted, short),
on speech, and the RFC 4733 and SIP INFO decoders."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.adapters.voice.dtmf import (
    DIGITS,
    TelephoneEvent,
    ToneDetector,
    digit_from_info,
    dtmf_tone,
    parse_telephone_event,
)

GAP = np.zeros(480)  # 60 ms of silence between key presses


def _detect(signal: np.ndarray, chunk: int = 160) -> str:
    detector = ToneDetector()
    found: list[str] = []
    for start in range(0, len(signal), chunk):
        found += detector.feed(signal[start : start + chunk])
    return "".join(found)


def _keys(digits: str, seconds: float = 0.08, amplitude: float = 6000.0) -> np.ndarray:
    return np.concatenate([np.concatenate([dtmf_tone(d, seconds, amplitude), GAP]) for d in digits])


def test_given_all_sixteen_keys_when_played_cleanly_then_each_is_heard_once() -> None:
    assert _detect(_keys(DIGITS)) == DIGITS


@given(
    digits=st.text(alphabet=DIGITS, min_size=1, max_size=6),
    snr_db=st.floats(10, 40),
    seed=st.integers(0, 2**32 - 1),
    chunk=st.sampled_from([80, 160, 205, 333]),
)
@settings(max_examples=40, deadline=None)
def test_given_keys_in_white_noise_down_to_10_db_snr_when_fed_in_any_chunks_then_heard_exactly(
    digits: str, snr_db: float, seed: int, chunk: int
) -> None:
    signal = _keys(digits)
    rng = np.random.default_rng(seed)
    noise_power = np.mean(signal**2) / 10 ** (snr_db / 10)
    noisy = signal + rng.normal(0.0, np.sqrt(noise_power), len(signal))
    assert _detect(noisy, chunk) == digits


def test_given_a_key_held_for_a_second_when_detected_then_it_counts_once() -> None:
    assert _detect(np.concatenate([dtmf_tone("5", 1.0), GAP, dtmf_tone("5", 0.1)])) == "55"


def test_given_tones_too_short_or_too_quiet_or_single_when_fed_then_nothing_is_heard() -> None:
    assert _detect(np.concatenate([dtmf_tone("8", 0.03), GAP])) == ""
    assert _detect(_keys("8", amplitude=5.0)) == ""
    t = np.arange(4000) / 8000
    assert _detect(8000 * np.sin(2 * np.pi * 770 * t)) == ""  # the low tone alone


def test_given_twist_beyond_8_db_when_fed_then_refused_and_within_4_db_then_heard() -> None:
    t = np.arange(800) / 8000
    low, high = np.sin(2 * np.pi * 852 * t), np.sin(2 * np.pi * 1477 * t)
    assert _detect(6000 * low + 6000 * 10 ** (-12 / 20) * high) == ""
    assert _detect(6000 * low + 6000 * 10 ** (-3 / 20) * high) == "9"


def test_given_noise_and_chords_when_fed_for_seconds_then_no_false_digits() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(8000 * 3) / 8000
    chord = sum(np.sin(2 * np.pi * f * t) for f in (440.0, 554.4, 659.3)) * 4000
    assert _detect(rng.normal(0, 4000, 8000 * 5)) == ""
    assert _detect(chord) == ""


def test_given_rfc4733_payloads_when_parsed_then_digit_end_flag_and_duration_are_read() -> None:
    assert parse_telephone_event(struct.pack("!BBH", 11, 0x80 | 10, 800)) == TelephoneEvent(
        "#", True, 800
    )
    assert parse_telephone_event(struct.pack("!BBH", 3, 10, 160)) == TelephoneEvent("3", False, 160)
    assert parse_telephone_event(struct.pack("!BBH", 32, 10, 160)) is None  # not a key
    assert parse_telephone_event(b"\x01") is None


@pytest.mark.parametrize(
    ("content_type", "body", "digit"),
    [
        ("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5"),
        ("application/dtmf-relay", "signal= *\nDuration=100", "*"),
        ("Application/DTMF-Relay; charset=x", "Signal=11\r\n", "#"),
        ("application/dtmf", "9", "9"),
        ("application/dtmf", "10", "*"),
        ("application/dtmf", "d", "D"),
        ("application/dtmf-relay", "Duration=160", None),
        ("application/dtmf-relay", "Signal=55", None),
        ("text/plain", "5", None),
        (None, "Signal=5", None),
    ],
)
def test_given_sip_info_bodies_when_read_then_only_keypad_digits_come_out(
    content_type: str | None, body: str, digit: str | None
) -> None:
    assert digit_from_info(content_type, body) == digit
