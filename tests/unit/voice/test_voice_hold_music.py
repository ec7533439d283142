"""Music on hold: converted once by sox, cached by content, looped; bad files refused."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from kefu.adapters.voice.g711 import ulaw_decode
from kefu.adapters.voice.hold_music import hold_music, looped
from kefu.adapters.voice.port import VoiceSettingsError


def test_given_a_wav_when_converted_then_8khz_ulaw_cached_by_content(tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    samples = (8000 * np.sin(2 * np.pi * 440 * np.arange(4000) / 8000)).astype("<i2")
    source = tmp_path / "music.wav"
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(samples.tobytes())
    audio = hold_music(source, tmp_path / "cache")
    assert len(audio) == 4000
    assert np.corrcoef(ulaw_decode(audio), samples)[0, 1] > 0.99
    (cached,) = (tmp_path / "cache" / "hold").glob("*.ul")
    assert cached.read_bytes() == audio
    assert hold_music(source, tmp_path / "cache") == audio


def test_given_a_file_that_is_not_audio_when_converted_then_a_clear_settings_error(
    tmp_path: Path,
) -> None:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    source = tmp_path / "music.wav"
    source.write_text("not audio 不是音频")
    with pytest.raises(VoiceSettingsError) as info:
        hold_music(source, tmp_path / "cache")
    assert info.value.text_key == "error.voice_hold_music_unreadable"
    assert not list((tmp_path / "cache" / "hold").glob("*"))
    with pytest.raises(VoiceSettingsError):
        hold_music(tmp_path / "missing.wav", tmp_path / "cache")


def test_given_music_when_looped_then_it_repeats_to_the_length() -> None:
    assert looped(b"abc", 1 / 1000) == b"abcabcab"
