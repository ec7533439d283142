"""How channel records hold messages and reply routes: plain JSON-ready dictionaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.domain.conversations import AttachmentMeta, Direction, Message
from kefu.domain.model import Channel
from kefu.service.channel_ports import Inbound, Route

__all__ = ["message_from_dict", "message_to_dict", "route_of"]


def message_to_dict(message: Message) -> dict[str, Any]:
    return {
        "direction": message.direction.value,
        "channel": message.channel.value,
        "author": message.author,
        "text": message.text,
        "at": message.at,
        "subject": message.subject,
        "external_id": message.external_id,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "storage_key": a.storage_key,
            }
            for a in message.attachments
        ],
    }


def message_from_dict(data: Mapping[str, Any]) -> Message:
    return Message(
        Direction(data["direction"]),
        Channel(data["channel"]),
        str(data["author"]),
        str(data["text"]),
        float(data["at"]),
        subject=str(data.get("subject", "")),
        external_id=data.get("external_id"),
        attachments=tuple(
            AttachmentMeta(a["filename"], a["content_type"], int(a["size"]), a["storage_key"])
            for a in data.get("attachments", ())
        ),
    )


def route_of(inbound: Inbound) -> Route:
    """Where replies to the conversation ``inbound`` opens go."""
    channel = inbound.channel
    wanted = {
        Channel.EMAIL: "email",
        Channel.SMS: "phone",
        Channel.SOCIAL: "social",
        Channel.CHAT: "chat_cookie",
        Channel.BRANCH: "phone",
    }.get(channel)
    address = next((i.value for i in inbound.sender if i.kind.value == wanted), "")
    if not address and inbound.sender:
        address = inbound.sender[0].value
    return Route(
        channel,
        address,
        name=inbound.sender_name,
        subject=inbound.subject,
        via=inbound.recipients[0] if inbound.recipients else "",
        post_id=inbound.external_id if channel is Channel.SOCIAL else "",
        public=inbound.public,
    )
