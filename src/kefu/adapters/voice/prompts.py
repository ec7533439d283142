"""Prompt clips: synthesized once with espeak-ng, converted by sox to 8 kHz µ-law, cached.

Each clip is ``<cache>/<language>/<name>.ul`` (raw 8 kHz µ-law). An operator recording
``<recordings>/<language>/<name>.<ext>`` (any format sox reads) replaces the synthesized
clip of that name. Announcements with numbers are joined from pre-rendered clips
(:func:`number_clips`, :func:`position_clips`), so nothing is synthesized during a call.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kefu.adapters.voice.port import UnknownClip, VoiceError

__all__ = [
    "CATALOG",
    "LANGUAGES",
    "PromptLibrary",
    "PromptReport",
    "ToolMissing",
    "digit_clips",
    "number_clips",
    "position_clips",
    "synthesize_prompts",
    "text_clip_name",
]

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
_VOICES: dict[Language, str] = {"zh": "cmn-latn-pinyin", "en": "en"}
_CLIP_NAME = re.compile(r"^(zh|en)/[a-z0-9_]{1,40}$")
_TIMEOUT_S = 60.0


class ToolMissing(VoiceError):
    error_id = "voice_tool_missing"


_ZH_DIGITS = "零一二三四五六七八九"
_EN_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

CATALOG: dict[Language, dict[str, str]] = {
    "zh": {
        "greeting": "您好，欢迎致电客服中心。请输入您的账号，以井号键结束。",
        "you_entered": "您输入的是",
        "position_before": "您前面还有",
        "position_unit": "位",
        "wait_before": "预计等待约",
        "minutes": "分钟",
        "no_input": "我们没有收到您的输入。",
        "goodbye": "感谢您的来电，再见。",
        "key_star": "星号",
        "key_hash": "井号",
        "num_ten": "十",
        "num_hundred": "百",
        "num_liang": "两",
        **{f"num_{i}": ch for i, ch in enumerate(_ZH_DIGITS)},
    },
    "en": {
        "greeting": "Welcome to the service center. Please enter your account number, "
        "then press the hash key.",
        "you_entered": "You entered",
        "position_before": "There are",
        "position_before_one": "There is",
        "position_unit": "callers ahead of you.",
        "position_unit_one": "caller ahead of you.",
        "wait_before": "The expected wait is about",
        "minutes": "minutes.",
        "minute": "minute.",
        "no_input": "We did not receive any input.",
        "goodbye": "Thank you for calling. Goodbye.",
        "key_star": "star",
        "key_hash": "hash",
        "num_hundred": "hundred",
        **{f"num_{i}": word for i, word in enumerate(_EN_ONES)},
        **{f"num_{(i + 2) * 10}": word for i, word in enumerate(_EN_TENS)},
    },
}


def _zh_number(n: int, counting: bool) -> list[str]:
    if n < 10:
        return ["num_liang" if counting and n == 2 else f"num_{n}"]
    if n < 20:
        return ["num_ten"] + ([f"num_{n - 10}"] if n > 10 else [])
    if n < 100:
        return [f"num_{n // 10}", "num_ten"] + ([f"num_{n % 10}"] if n % 10 else [])
    head = ["num_liang" if n // 100 == 2 else f"num_{n // 100}", "num_hundred"]
    rest = n % 100
    if rest == 0:
        return head
    if rest < 10:
        return [*head, "num_0", f"num_{rest}"]
    if rest < 20:
        return [*head, "num_1", "num_ten"] + ([f"num_{rest - 10}"] if rest > 10 else [])
    return head + _zh_number(rest, counting=False)


def _en_number(n: int) -> list[str]:
    if n < 20:
        return [f"num_{n}"]
    if n < 100:
        return [f"num_{n // 10 * 10}"] + ([f"num_{n % 10}"] if n % 10 else [])
    return [f"num_{n // 100}", "num_hundred"] + (_en_number(n % 100) if n % 100 else [])


def number_clips(language: Language, n: int, *, counting: bool = True) -> list[str]:
    """Clip names reading the whole number *n* (0–999); ``counting`` uses 两 for 2 in Chinese."""
    if not 0 <= n <= 999:
        raise VoiceError(
            "numbers are read from 0 to 999", text_key="error.voice_number_range", number=n
        )
    names = _zh_number(n, counting) if language == "zh" else _en_number(n)
    return [f"{language}/{name}" for name in names]


def digit_clips(language: Language, digits: str) -> list[str]:
    """Clip names reading *digits* one key at a time (1 is read 一 in Chinese, not 幺)."""
    keys = {"*": "key_star", "#": "key_hash"}
    return [f"{language}/{keys.get(d, f'num_{d}')}" for d in digits if d.isdigit() or d in keys]


def position_clips(language: Language, ahead: int, wait_minutes: int) -> list[str]:
    """ "您前面还有 4 位，预计等待约 3 分钟" / "There are 4 callers ahead of you ...", as clips."""
    one = language == "en" and ahead == 1
    clips = [f"{language}/position_before" + ("_one" if one else "")]
    clips += number_clips(language, ahead)
    clips.append(f"{language}/position_unit" + ("_one" if one else ""))
    clips.append(f"{language}/wait_before")
    clips += number_clips(language, wait_minutes)
    clips.append(
        f"{language}/" + ("minute" if language == "en" and wait_minutes == 1 else "minutes")
    )
    return clips


class PromptLibrary:
    """Clip name (``"zh/greeting"``) → 8 kHz µ-law bytes, read from the cache directory."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._loaded: dict[str, bytes] = {}

    def __call__(self, name: str) -> bytes:
        clip = self._loaded.get(name)
        if clip is not None:
            return clip
        path = self.cache_dir / f"{name}.ul"
        if not _CLIP_NAME.match(name) or not path.is_file():
            raise UnknownClip(
                "no such prompt clip; run `kefu voice prompts`",
                text_key="error.unknown_clip",
                clip=name,
            )
        clip = path.read_bytes()
        self._loaded[name] = clip
        return clip


@dataclass(frozen=True, slots=True)
class PromptReport:
    """What :func:`synthesize_prompts` did: clip names made, kept from the cache, recorded."""

    made: list[str]
    kept: list[str]
    recorded: list[str]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(
            f"{name} is not installed (apt-get install {name})",
            text_key="error.voice_tool_missing",
            tool=name,
        )
    return path


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=_TIMEOUT_S)


def text_clip_name(language: Language, text: str) -> str:
    """The clip name of a free text (an IVR flow's ``Say`` or ``Ask``), the same every run."""
    return f"{language}/t_{_digest(text.strip().encode())}"


def synthesize_prompts(
    cache_dir: Path,
    *,
    languages: tuple[Language, ...] = LANGUAGES,
    recordings: Path | None = None,
    force: bool = False,
    texts: Mapping[Language, Iterable[str]] | None = None,
) -> PromptReport:
    """Make every catalog clip missing from *cache_dir* (all with *force*), and a clip per
    extra text in *texts* (named by :func:`text_clip_name`, e.g. a flow's prompts).

    A recording ``<recordings>/<lang>/<name>.*`` is converted instead of synthesizing.
    A manifest of the text and voice per clip makes a changed text re-render its clip.
    """
    sox = _tool("sox")
    manifest_path = cache_dir / "manifest.json"
    manifest: dict[str, str] = {}
    if manifest_path.is_file() and not force:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    made: list[str] = []
    kept: list[str] = []
    recorded: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kefu-prompts-") as tmp:
        for language in languages:
            (cache_dir / language).mkdir(parents=True, exist_ok=True)
            extra = {
                text_clip_name(language, text).split("/", 1)[1]: text.strip()
                for text in (texts or {}).get(language, ())
                if text.strip()
            }
            for name, text in {**CATALOG[language], **extra}.items():
                clip = f"{language}/{name}"
                target = cache_dir / f"{clip}.ul"
                recording = _recording(recordings, language, name)
                if recording is not None:
                    _run([sox, str(recording), "-r", "8000", "-c", "1", "-t", "ul", str(target)])
                    manifest[clip] = "recording:" + _digest(recording.read_bytes())
                    recorded.append(clip)
                    continue
                stamp = _digest(f"{_VOICES[language]}\n{text}".encode())
                if target.is_file() and manifest.get(clip) == stamp:
                    kept.append(clip)
                    continue
                wav = Path(tmp) / "clip.wav"
                _run([_tool("espeak-ng"), "-v", _VOICES[language], "-w", str(wav), text])
                _run([sox, str(wav), "-r", "8000", "-c", "1", "-t", "ul", str(target),
                      "gain", "-n", "-3"])  # fmt: skip
                manifest[clip] = stamp
                made.append(clip)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return PromptReport(made, kept, recorded)


def _recording(recordings: Path | None, language: str, name: str) -> Path | None:
    if recordings is None:
        return None
    matches = sorted((recordings / language).glob(f"{name}.*"))
    return matches[0] if matches else None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
