"""Digit collection: terminator, maximum, inter-digit timeout, cancellation, bad settings."""

from __future__ import annotations

import asyncio

import pytest

from kefu.adapters.voice.collect import Collection
from kefu.adapters.voice.port import DigitsCollected, VoiceSettingsError


def _run(keys: str, *, max_digits: int = 4, timeout_s: float = 0.05, arm: bool = True) -> list:
    async def scenario() -> list[DigitsCollected]:
        got: list[DigitsCollected] = []
        collection = Collection("c", max_digits, "#", timeout_s, got.append)
        if arm:
            collection.arm()
        for key in keys:
            collection.digit(key)
            await asyncio.sleep(0.01)
        await asyncio.sleep(timeout_s * 3)
        collection.digit("9")  # after the end: ignored
        return got

    return asyncio.run(scenario())


def test_given_keys_then_hash_when_collected_then_the_digits_without_the_terminator() -> None:
    assert _run("12#") == [DigitsCollected("c", "12", "terminator")]


def test_given_more_keys_than_the_maximum_when_collected_then_it_stops_at_the_maximum() -> None:
    assert _run("123456", max_digits=3) == [DigitsCollected("c", "123", "max_digits")]


def test_given_silence_when_collecting_then_the_timeout_reports_what_came() -> None:
    assert _run("") == [DigitsCollected("c", "", "timeout")]
    assert _run("7") == [DigitsCollected("c", "7", "timeout")]


def test_given_an_unarmed_collection_when_nothing_is_pressed_then_it_waits_for_the_prompt() -> None:
    assert _run("", arm=False) == []


def test_given_a_cancelled_collection_when_keys_come_then_nothing_is_reported() -> None:
    async def scenario() -> list[DigitsCollected]:
        got: list[DigitsCollected] = []
        collection = Collection("c", 4, "#", 0.02, got.append)
        collection.arm()
        collection.cancel()
        collection.digit("#")
        await asyncio.sleep(0.06)
        return got

    assert asyncio.run(scenario()) == []


@pytest.mark.parametrize(("max_digits", "terminator", "timeout_s"), [(0, "#", 1.0), (4, "x", 1.0),
                                                                      (4, "#", 0.0)])  # fmt: skip
def test_given_bad_collect_settings_when_made_then_refused(
    max_digits: int, terminator: str, timeout_s: float
) -> None:
    with pytest.raises(VoiceSettingsError):
        Collection("c", max_digits, terminator, timeout_s, lambda _event: None)
