"""What the chat widget shows of a conversation a flow greets: the question, its buttons
and whether the answer is secret, as a frozen dataclass (the ``ivr`` status of the web
chat's socket, tested byte for byte)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["IvrChatView"]


@dataclass(frozen=True, slots=True)
class IvrChatView:
    """A conversation in flow ``flow`` at ``node``: ``seq`` is its message count (the
    question is its latest message), ``options`` the buttons as (digit, label), ``prompt``
    empty when the flow asks nothing."""

    state: ClassVar[str] = "ivr"
    flow: str
    node: str | None
    verified: bool
    seq: int
    language: str
    prompt: str
    options: tuple[tuple[str, str], ...]
    secret: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "flow": self.flow,
            "node": self.node,
            "verified": self.verified,
            "seq": self.seq,
            "language": self.language,
            "prompt": self.prompt,
            "options": [{"digit": d, "label": label} for d, label in self.options],
            "secret": self.secret,
        }
