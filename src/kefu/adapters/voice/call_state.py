"""What the voice driver keeps of one call, and the small pieces it is made of: the
caller's number and identity, the comfort tone played while queued."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kefu.adapters.voice.g711 import ulaw_encode
from kefu.adapters.voice.prompts import Language
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import KefuError

__all__ = ["COMFORT_TONE", "VoiceCall", "caller_identifier", "caller_number", "comfort_tone"]

COMFORT_TONE = "tone/comfort"
"""The clip name of the comfort tone played while queued (made here, not synthesized)."""


def comfort_tone(seconds: float) -> bytes:
    """8 kHz µ-law: a soft 450 Hz beep of 0.3 s every 4 s for ``seconds`` (the "you are
    still connected" tone), the rest silence."""
    n = int(seconds * 8000)
    t = np.arange(n) / 8000.0
    on = (t % 4.0) < 0.3
    return ulaw_encode(np.where(on, 3000 * np.sin(2 * np.pi * 450 * t), 0).astype(np.int16))


@dataclass
class VoiceCall:
    """One call as the driver sees it."""

    call_id: str
    caller: str
    language: Language
    conv_id: str | None = None
    contact_id: str | None = None
    replies: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    collecting: bool = False
    waiting: bool = False
    wait_round: int = 0
    """Bumped by each start of the queue's announcements: an older loop then stops."""
    called_back: bool = False
    agent_leg: str | None = None
    offer: tuple[str, str] | None = None
    """(offer id, agent id) of the offer whose agent phone rings or talks."""
    bridged: bool = False
    on_hold: bool = False
    """The agent holds the bridged call: the caller hears music on hold."""
    accepted: bool = False
    customer_leg: str | None = None
    """A callback: the leg kefu placed to the customer once the agent answered."""
    ended: bool = False
    noticed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the caller heard the recording notice (at once when there is none)."""
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


_SIP_USER = re.compile(r"^(?:sips?:|tel:)?([^@;>]+)")


def caller_number(caller: str) -> str:
    """The user part of the caller's URI (``sip:13800000000@host`` → ``13800000000``)."""
    text = caller.strip().strip("<>")
    match = _SIP_USER.match(text)
    return match.group(1) if match else text


def caller_identifier(caller: str) -> Identifier:
    """The caller's phone number, or ``sip:<user>`` for a caller without one."""
    try:
        return Identifier(IdentifierKind.PHONE, caller)
    except KefuError:
        return Identifier(IdentifierKind.SOCIAL, f"sip:{caller[:60] or 'anonymous'}")
