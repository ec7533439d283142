"""Sending frames to a chat socket: a frame, a refusal worded in the widget's language."""

from __future__ import annotations

import contextlib

from fastapi import WebSocket

from kefu.adapters.channels.webchat.frames import ErrorFrame
from kefu.adapters.sockets.hub import Frame
from kefu.domain.errors import KefuError
from kefu.i18n import SOURCE_LANGUAGE, catalogs

__all__ = ["send_error", "send_frame", "worded"]


async def send_frame(websocket: WebSocket, frame: Frame) -> None:
    """Send ``frame``; a socket that went away is not an error here (its handler ends)."""
    with contextlib.suppress(Exception):
        await websocket.send_json(frame.to_json())


def worded(exc: KefuError, language: str) -> str:
    """The refusal in the widget's ``language``: its catalog text, else the English
    message."""
    if exc.text_key is None or language == SOURCE_LANGUAGE:
        return exc.message
    text = catalogs().get(language).text(exc.text_key, **exc.details)
    return exc.message if text == exc.text_key else text


async def send_error(
    websocket: WebSocket, code: str, message: str, cseq: int | None = None
) -> None:
    await send_frame(websocket, ErrorFrame(code, message, cseq))
