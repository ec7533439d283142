"""One chat socket's side of the protocol (:mod:`.gateway`): what the server keeps of the
browser behind it (:class:`ChatSession`) and how a frame is read from it (:func:`read_frame`,
with the size limits that guard against floods)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from kefu.adapters.channels.webchat.frames import ChatStatus, NewStatus
from kefu.adapters.channels.webchat.inbound import Offer
from kefu.adapters.channels.webchat.sending import send_error
from kefu.domain.customers import Identifier
from kefu.i18n import SOURCE_LANGUAGE

__all__ = ["MAX_FRAME_BYTES", "MAX_FRAME_CHARS", "ChatSession", "read_frame"]

MAX_FRAME_CHARS = 16_384
MAX_FRAME_BYTES = 4 * MAX_FRAME_CHARS
"""The server's WebSocket frame limit, bytes: a chat frame of MAX_FRAME_CHARS characters
in UTF-8 (up to 4 bytes each); larger frames are refused (1009) before being buffered."""


@dataclass(eq=False)
class ChatSession:
    """A browser's socket: its token and identifier, the topics it was offered, its
    conversation, the messages (``sent_seq``) and status it was sent, its recent message
    instants (seconds, for the rate limit)."""

    websocket: WebSocket
    token: str
    ident: Identifier
    address: str
    offer: Offer = field(default_factory=lambda: Offer(None, ()))
    conversation_id: str | None = None
    sent_seq: int = 0
    status: ChatStatus = field(default_factory=NewStatus)
    recent: list[float] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    language: str = SOURCE_LANGUAGE
    """The widget's language (a catalog name): refusals are worded in it."""
    pinned: str | None = None
    """The queue of a conversation adopted from another domain (its messages' topic)."""


async def read_frame(websocket: WebSocket) -> dict[str, Any] | None:
    """The next frame as an object; a malformed one is answered with an error (None); an
    oversized one closes the socket (1009)."""
    text = await websocket.receive_text()
    if len(text) > MAX_FRAME_CHARS:
        await send_error(websocket, "too_large", f"a frame has at most {MAX_FRAME_CHARS} chars")
        await websocket.close(code=1009)
        raise WebSocketDisconnect(1009)
    try:
        frame = json.loads(text)
    except json.JSONDecodeError:
        await send_error(websocket, "malformed", "frames are JSON objects")
        return None
    if not isinstance(frame, dict):
        await send_error(websocket, "malformed", "frames are JSON objects")
        return None
    return frame
