"""The frames of the agent desktop's socket, as frozen dataclasses whose ``to_json`` is
the JSON object the page receives (the keys and their order are the page's contract,
tested byte for byte): the hello with the vocabulary and the session's CSRF token, the
whole screen, one new message of a conversation shown, the customer typing, a
supervisor's message to the agent, and the agent's browser softphone (where it answers,
the call in it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kefu.service.channels.read_models import MessageView
from kefu.service.desktop.views import DesktopScreen, Vocabulary

__all__ = [
    "CustomerTyping",
    "DesktopHello",
    "MessageDelta",
    "NoticeFrame",
    "ScreenFrame",
    "SoftphoneFrame",
    "VocabularyFrame",
]


class JsonView(Protocol):
    """A read model of another wing that the desktop passes on as it is."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class DesktopHello:
    """The socket's first frame: whose desktop it is, the vocabulary (codes with their
    labels' catalog keys) and the CSRF token the page posts its actions with."""

    agent_id: str
    vocabulary: Vocabulary
    csrf_token: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "agent_id": self.agent_id,
            "vocabulary": self.vocabulary.to_json(),
            "csrf_token": self.csrf_token,
        }


@dataclass(frozen=True, slots=True)
class VocabularyFrame:
    """An admin changed the words: the vocabulary every open desktop uses from now on."""

    vocabulary: Vocabulary

    def to_json(self) -> dict[str, Any]:
        return {"type": "vocabulary", "vocabulary": self.vocabulary.to_json()}


@dataclass(frozen=True, slots=True)
class ScreenFrame:
    """The agent's whole screen."""

    view: DesktopScreen

    def to_json(self) -> dict[str, Any]:
        return {"type": "desktop", "view": self.view.to_json()}


@dataclass(frozen=True, slots=True)
class MessageDelta:
    """A new message of a conversation the screen shows (of contact ``contact_id``)."""

    contact_id: str | None
    conversation_id: str
    message: MessageView

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "message",
            "contact_id": self.contact_id,
            "conversation_id": self.conversation_id,
            "message": self.message.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CustomerTyping:
    """The customer of ``conversation_id`` is typing."""

    conversation_id: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "typing", "conversation_id": self.conversation_id}


@dataclass(frozen=True, slots=True)
class NoticeFrame:
    """A supervisor's message to the agent (the wallboard wing's notice)."""

    notice: JsonView

    def to_json(self) -> dict[str, Any]:
        return {"type": "notice", "notice": self.notice.to_json()}


@dataclass(frozen=True, slots=True)
class SoftphoneFrame:
    """Where the agent answers calls (``sip``, ``browser``; None: kefu takes no calls
    here) and the call in its browser (ringing with kefu's offer, or talking), or None."""

    endpoint: str | None
    call: JsonView | None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "softphone",
            "endpoint": self.endpoint,
            "call": None if self.call is None else self.call.to_json(),
        }
