"""The synthesized prompts as audio: speech at a sane level that never reads as keypad tones."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kefu.adapters.voice.dtmf import ToneDetector
from kefu.adapters.voice.g711 import ulaw_decode
from kefu.adapters.voice.prompts import CATALOG


def test_given_every_prompt_clip_when_fed_to_the_tone_detector_then_no_digit_is_heard(
    prompts_dir: Path,
) -> None:
    for language, clips in CATALOG.items():
        for name in clips:
            audio = ulaw_decode((prompts_dir / language / f"{name}.ul").read_bytes())
            assert ToneDetector().feed(audio) == [], f"{language}/{name}"


def test_given_the_greetings_when_measured_then_normalised_near_minus_3_dbfs(
    prompts_dir: Path,
) -> None:
    for language in CATALOG:
        audio = ulaw_decode((prompts_dir / language / "greeting.ul").read_bytes()).astype(float)
        peak_db = 20 * np.log10(np.max(np.abs(audio)) / 32768)
        assert -4.5 < peak_db < -2.0, language
        assert len(audio) > 2 * 8000
