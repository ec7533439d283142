"""The voice driver's own spoken lines (the callback offer and its confirmation, the
recording notice) in both languages, and small helpers of its call tasks."""

from __future__ import annotations

import asyncio
from typing import Any

from kefu.adapters.voice.prompts import Language

__all__ = [
    "CALLBACK_OFFER",
    "CALLBACK_TAKEN",
    "HANGUP",
    "RECORDING_NOTICE",
    "discard_task",
    "driver_lines",
    "settle",
]

CALLBACK_OFFER: dict[Language, str] = {
    "zh": "如需回电，请按 {key}，我们将为您保留排队位置。",
    "en": "To be called back and keep your place, press {key}.",
}
CALLBACK_TAKEN: dict[Language, str] = {
    "zh": "已为您登记回电，您的排队位置不变。再见。",
    "en": "We will call you back; your place in line is kept. Goodbye.",
}
HANGUP = object()
"""In a call's reply queue: hang up once everything before it was played."""
RECORDING_NOTICE: dict[Language, str] = {
    "zh": "为了保证服务质量，您的通话可能会被录音。",
    "en": "This call may be recorded for quality purposes.",
}


def driver_lines(callback_key: str, *, recording: bool) -> dict[Language, list[str]]:
    """The lines the driver may say, per language: the callback offer and confirmation
    when *callback_key* is set, the recording notice when calls are recorded."""
    texts: dict[Language, list[str]] = {lang: [] for lang in CALLBACK_OFFER}
    for lang, lines in texts.items():
        if callback_key:
            lines.append(CALLBACK_OFFER[lang].format(key=callback_key))
            lines.append(CALLBACK_TAKEN[lang])
        if recording:
            lines.append(RECORDING_NOTICE[lang])
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
