"""Music on hold: an operator's audio file (``KEFU_SIP_HOLD_MUSIC``, any format sox reads,
e.g. WAV or raw µ-law ``.ul``) converted once by sox to 8 kHz µ-law and cached by the
file's content, then looped to fill the time between a queued caller's announcements
(instead of the comfort tone)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from kefu.adapters.voice.port import VoiceSettingsError

__all__ = ["hold_music", "looped"]

_TIMEOUT_S = 120.0


def hold_music(source: Path, cache_dir: Path) -> bytes:
    """The 8 kHz µ-law audio of *source*, converted once into ``<cache_dir>/hold/``."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise VoiceSettingsError(
            "the music on hold file cannot be read",
            text_key="error.voice_hold_music_unreadable",
            path=str(source.name),
        ) from exc
    target = cache_dir / "hold" / f"{hashlib.sha256(data).hexdigest()[:16]}.ul"
    if not target.is_file():
        sox = shutil.which("sox")
        if sox is None:
            raise VoiceSettingsError(
                "sox is needed to convert the music on hold (apt-get install sox)",
                text_key="error.voice_sox_missing",
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        try:
            subprocess.run(
                [sox, str(source), "-r", "8000", "-c", "1", "-t", "ul", str(partial)],
                check=True, capture_output=True, timeout=_TIMEOUT_S,
            )  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            partial.unlink(missing_ok=True)
            raise VoiceSettingsError(
                "the music on hold file is not audio sox can read",
                text_key="error.voice_hold_music_unreadable",
                path=str(source.name),
            ) from exc
        partial.replace(target)
    audio = target.read_bytes()
    if not audio:
        raise VoiceSettingsError(
            "the music on hold file holds no audio",
            text_key="error.voice_hold_music_unreadable",
            path=str(source.name),
        )
    return audio


def looped(music: bytes, seconds: float) -> bytes:
    """*music* (8 kHz µ-law) repeated to last *seconds*."""
    size = int(seconds * 8000)
    repeats = -(-size // len(music))
    return (music * repeats)[:size]
