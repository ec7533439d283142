"""The voice driver's own spoken lines (the callback offer and its confirmation, the
recording notice): the catalog's ``voice.*`` texts in the call's language; and small
helpers of its call tasks."""

from __future__ import annotations

import asyncio
from typing import Any, get_args

from kefu.adapters.voice.prompts import Language
from kefu.i18n import catalogs

__all__ = [
    "CALLBACK_OFFER",
    "CALLBACK_TAKEN",
    "HANGUP",
    "RECORDING_NOTICE",
    "discard_task",
    "driver_lines",
    "line",
    "settle",
]

CALLBACK_OFFER = "voice.callback_offer"
"""Catalog key of the callback offer (``{press}``: the key to press)."""
CALLBACK_TAKEN = "voice.callback_taken"
HANGUP = object()
"""In a call's reply queue: hang up once everything before it was played."""
RECORDING_NOTICE = "voice.recording_notice"


def line(message: str, language: Language, /, **values: object) -> str:
    """The driver's line ``message`` (a catalog key: one of the constants above) in the
    call's language, its placeholders filled from ``values``."""
    return catalogs().get(language).text(message, **values)


def driver_lines(callback_key: str, *, recording: bool) -> dict[Language, list[str]]:
    """The lines the driver may say, per language: the callback offer and confirmation
    when *callback_key* is set, the recording notice when calls are recorded."""
    texts: dict[Language, list[str]] = {lang: [] for lang in get_args(Language)}
    for lang, lines in texts.items():
        if callback_key:
            lines.append(line(CALLBACK_OFFER, lang, press=callback_key))
            lines.append(line(CALLBACK_TAKEN, lang))
        if recording:
            lines.append(line(RECORDING_NOTICE, lang))
    return {lang: lines for lang, lines in texts.items() if lines}


def discard_task(tasks: list[asyncio.Task[Any]], task: asyncio.Task[Any]) -> None:
    if task in tasks:
        tasks.remove(task)


async def settle() -> None:
    """Let the replies of the command that just returned reach the driver's ``send``: the
    engine spawned their deliveries before returning, and each task's first step (which
    queues the text) runs before this coroutine resumes (the loop runs callbacks in order)."""
    for _ in range(2):
        await asyncio.sleep(0)
