"""What a customer's chat message becomes: the :class:`~kefu.service.channels.ports.Inbound`
built from a ``message`` frame, with the pre-chat form's claims (e-mail, phone) and its
topic, which must be one the widget was offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.domain.customers import Identifier, IdentifierKind, InvalidIdentifier
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel
from kefu.service.channels import Inbound

__all__ = ["FLOW_TOPIC", "Offer", "UnknownTopic", "chat_message"]

FLOW_TOPIC = "flow:"
"""Prefix of a pre-chat topic that is a flow (``flow:bank``), not a queue."""


class UnknownTopic(ValidationError):
    """A chat message picked a topic its widget was not offered."""

    error_id = "unknown_topic"


@dataclass(frozen=True, slots=True)
class Offer:
    """The topics (chat queue ids) a widget offered, for its site (None: any site)."""

    site_id: str | None
    topics: tuple[str, ...]

    def topic_of(self, asked: Any) -> str | None:
        """The queue of a message asking for topic ``asked``: one offered, or without a
        topic the first offered when the widget names its site (never another site's
        queue), else None (the channel's default queue)."""
        if asked:
            if asked not in self.topics:
                shown = str(asked)[:100]
                raise UnknownTopic(
                    f"unknown topic {shown!r}", text_key="error.unknown_topic", topic=shown
                )
            return str(asked)
        if self.site_id is None:
            return None
        if not self.topics:
            raise UnknownTopic(
                f"site {self.site_id[:100]!r} has no chat queue",
                text_key="error.site_no_chat",
                site_id=self.site_id[:100],
            )
        return self.topics[0]


def chat_message(
    ident: Identifier, cseq: int, text: str, profile: Any, now: float, offer: Offer
) -> Inbound:
    """The inbound message of a browser's ``cseq``-th message (``now`` in seconds);
    :class:`InvalidIdentifier` for a malformed e-mail or phone, :class:`UnknownTopic` for
    a topic not offered."""
    profile = profile if isinstance(profile, dict) else {}
    name = str(profile.get("name") or "")[:100].strip()
    topic = offer.topic_of(profile.get("topic"))
    claimed = []
    for kind, key in ((IdentifierKind.EMAIL, "email"), (IdentifierKind.PHONE, "phone")):
        value = profile.get(key)
        if isinstance(value, str) and value.strip():
            try:
                claimed.append(Identifier(kind, value[:254]))
            except InvalidIdentifier as exc:
                raise InvalidIdentifier(exc.message, field=key) from exc
    metadata = {"site_id": offer.site_id} if offer.site_id else {}
    if topic is not None and topic.startswith(FLOW_TOPIC):
        # The topic is a flow: it greets the chat and picks the queue (kefu.service.ivr).
        metadata["ivr_flow"], topic = topic[len(FLOW_TOPIC) :], None
    return Inbound(
        Channel.CHAT,
        (ident,),
        text,
        now,
        f"chat:{ident.value}:{cseq}",
        sender_name=name,
        topic=topic,
        claimed=tuple(claimed),
        metadata=metadata,
    )
