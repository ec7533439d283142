"""G.711 tables against the standard's fixed points and against sox's encoder."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.adapters.voice.g711 import (
    alaw_decode,
    alaw_encode,
    ulaw_decode,
    ulaw_encode,
    ulaw_to_alaw,
)


def test_given_every_codeword_when_decoded_and_reencoded_then_it_is_unchanged() -> None:
    codes = bytes(range(256))
    assert alaw_encode(alaw_decode(codes)) == codes
    # µ-law has two zeros (0x7F, 0xFF); the encoder always writes 0xFF for zero.
    assert ulaw_encode(ulaw_decode(codes)) == codes.replace(b"\x7f", b"\xff")


def test_given_the_standard_extremes_when_decoded_then_they_match_g711() -> None:
    assert ulaw_decode(b"\x00\x80\xff\x7f").tolist() == [-32124, 32124, 0, 0]
    assert alaw_decode(b"\xd5\x55\xaa\x2a").tolist() == [8, -8, 32256, -32256]


@given(st.lists(st.integers(-32768, 32767), min_size=1, max_size=200))
def test_given_any_samples_when_coded_then_the_error_stays_within_the_segment_step(
    samples: list[int],
) -> None:
    x = np.array(samples)
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        y = decode(encode(x)).astype(int)
        # Logarithmic quantisation: at most ~1/16 of the magnitude plus the smallest step.
        assert np.all(np.abs(y - x) <= np.abs(x) / 16 + 64)
        assert np.all(np.sign(y) * np.sign(x) >= 0)


def test_given_mulaw_audio_when_transcoded_to_alaw_then_it_decodes_to_the_same_sound() -> None:
    tone = (np.sin(np.arange(800) * 2 * np.pi * 440 / 8000) * 12000).astype(np.int16)
    ulaw = ulaw_encode(tone)
    alaw = ulaw_to_alaw(ulaw)
    assert len(alaw) == len(ulaw)
    assert np.corrcoef(alaw_decode(alaw), ulaw_decode(ulaw))[0, 1] > 0.999


@pytest.mark.parametrize(
    ("encoding", "encode", "decode"),
    [("u-law", ulaw_encode, ulaw_decode), ("a-law", alaw_encode, alaw_decode)],
)
def test_given_a_sox_encoded_tone_when_compared_then_our_encoder_agrees(
    tmp_path: Path,
    encoding: str,
    encode: Callable[[npt.ArrayLike], bytes],
    decode: Callable[[bytes], npt.NDArray[np.int16]],
) -> None:
    sox = shutil.which("sox")
    if sox is None:
        pytest.skip("sox is not installed")
    linear, coded = tmp_path / "tone.s16", tmp_path / "tone.g711"
    common = ["-r", "8000", "-c", "1"]
    subprocess.run(
        [sox, "-n", *common, "-b", "16", "-e", "signed", "-t", "raw", str(linear),
         "synth", "0.2", "sine", "697", "vol", "0.6"], check=True, timeout=30,
    )  # fmt: skip
    subprocess.run(
        [sox, "-t", "raw", *common, "-b", "16", "-e", "signed", str(linear),
         "-t", "raw", "-e", encoding, str(coded)], check=True, timeout=30,
    )  # fmt: skip
    samples = np.frombuffer(linear.read_bytes(), dtype=np.int16)
    ours, theirs = encode(samples), coded.read_bytes()
    # Rounding may differ by one quantisation step; never more.
    assert np.mean(np.frombuffer(ours, np.uint8) == np.frombuffer(theirs, np.uint8)) > 0.95
    step = np.abs(samples.astype(int)) / 16 + 16
    assert np.all(np.abs(decode(ours).astype(int) - decode(theirs).astype(int)) <= step)
