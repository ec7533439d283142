"""Prompt clips: the catalog covers every announcement, numbers read right, the cache and
operator recordings behave."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.adapters.voice.port import UnknownClip, VoiceError, VoiceSettingsError
from kefu.adapters.voice.prompts import (
    CATALOG,
    PromptLibrary,
    digit_clips,
    number_clips,
    position_clips,
    synthesize_prompts,
    text_clip_name,
)
from kefu.adapters.voice.routes import NumberRoute, parse_numbers, route_for


def _spoken(clips: list[str]) -> str:
    return "".join(CATALOG["zh"][c.split("/", 1)[1]] for c in clips)


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "零"), (2, "两"), (10, "十"), (12, "十二"), (20, "二十"), (45, "四十五"), (100, "一百"),
     (102, "一百零二"), (110, "一百一十"), (115, "一百一十五"), (200, "两百"), (999, "九百九十九")],
)  # fmt: skip
def test_given_numbers_when_read_in_chinese_then_the_clips_say_them_idiomatically(
    n: int, text: str
) -> None:
    assert _spoken(number_clips("zh", n)) == text


def test_given_numbers_when_read_in_english_then_the_clips_say_them() -> None:
    words = [c.split("/")[1] for c in number_clips("en", 215)]
    assert words == ["num_2", "num_hundred", "num_15"]
    assert [c.split("/")[1] for c in number_clips("en", 40)] == ["num_40"]


@given(st.integers(0, 999), st.sampled_from(["zh", "en"]))
def test_given_any_number_when_read_then_every_clip_exists_in_the_catalog(
    n: int, lang: str
) -> None:
    for clip in number_clips(lang, n):  # type: ignore[arg-type]
        language, name = clip.split("/")
        assert name in CATALOG[language]  # type: ignore[index]


def test_given_the_queue_figures_when_announced_then_the_sentence_is_the_documented_one() -> None:
    assert _spoken(position_clips("zh", 4, 3)) == "您前面还有四位预计等待约三分钟"
    english = [c.split("/")[1] for c in position_clips("en", 1, 1)]
    assert english == [
        "position_before_one", "num_1", "position_unit_one", "wait_before", "num_1", "minute",
    ]  # fmt: skip
    with pytest.raises(VoiceError):
        number_clips("zh", 1000)


def test_given_keys_when_read_back_then_star_and_hash_have_their_own_clips() -> None:
    assert _spoken(digit_clips("zh", "1*#")) == "一星号井号"


def test_given_an_unknown_or_unsafe_clip_name_when_loaded_then_unknown_clip(tmp_path: Path) -> None:
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "greeting.ul").write_bytes(b"\xff" * 10)
    library = PromptLibrary(tmp_path)
    assert library("zh/greeting") == b"\xff" * 10
    for name in ("zh/missing", "../zh/greeting", "fr/greeting", "zh/Greeting"):
        with pytest.raises(UnknownClip):
            library(name)


def test_given_tools_when_synthesizing_twice_with_a_recording_then_cached_and_overridden(
    tmp_path: Path,
) -> None:
    sox = shutil.which("sox")
    if sox is None or shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng and sox are needed")
    recordings = tmp_path / "recordings" / "en"
    recordings.mkdir(parents=True)
    subprocess.run(
        [sox, "-n", "-r", "16000", "-c", "2", str(recordings / "goodbye.wav"), "synth", "0.5",
         "sine", "440"], check=True, timeout=30,
    )  # fmt: skip
    cache = tmp_path / "cache"
    first = synthesize_prompts(cache, languages=("en",), recordings=tmp_path / "recordings")
    assert first.recorded == ["en/goodbye"]
    assert len(first.made) == len(CATALOG["en"]) - 1 and not first.kept
    assert (cache / "en" / "goodbye.ul").stat().st_size == 4000  # 0.5 s at 8 kHz, mono
    greeting = (cache / "en" / "greeting.ul").read_bytes()
    assert 2 * 8000 < len(greeting) < 15 * 8000
    second = synthesize_prompts(cache, languages=("en",), recordings=tmp_path / "recordings")
    assert not second.made and len(second.kept) == len(CATALOG["en"]) - 1
    assert (cache / "en" / "greeting.ul").read_bytes() == greeting
    # Without the recording the clip goes back to the synthesized voice.
    third = synthesize_prompts(cache, languages=("en",))
    assert third.made == ["en/goodbye"]


def test_given_number_settings_when_parsed_then_routes_or_a_clear_refusal() -> None:
    routes = parse_numbers(" 95555=card@shanghai, 10086=demo ,")
    assert routes == {"95555": NumberRoute("card", "shanghai"), "10086": NumberRoute("demo")}
    assert route_for(routes, "10086", "x") == NumberRoute("demo")
    assert route_for(routes, "12345", "x") is None
    assert route_for({}, "12345", "demo") == NumberRoute("demo")
    for bad in ("95555", "95555=", "9 5=demo", "1=a@b c", "1=a,1=b"):
        with pytest.raises(VoiceSettingsError):
            parse_numbers(bad)


def test_given_flow_texts_when_synthesized_then_each_has_a_stable_clip_the_library_plays(
    tmp_path: Path,
) -> None:
    if shutil.which("sox") is None or shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng and sox are needed")
    question = "请输入您的身份证号码后六位"
    report = synthesize_prompts(
        tmp_path, languages=("zh",), texts={"zh": [question, "  ", f" {question} "]}
    )
    name = text_clip_name("zh", question)
    assert name == text_clip_name("zh", f" {question}\n")
    assert name in report.made and len(report.made) == len(CATALOG["zh"]) + 1
    assert len(PromptLibrary(tmp_path)(name)) > 8000  # more than a second of speech
