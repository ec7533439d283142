"""The channel and desktop commands that travel from a web node to its router, as JSON:
what an agent does at a desktop served by a web node (reply, note, transfer, wrap-up,
answer an offer, act on its own contact) and a customer's message on a web node's chat
socket (:class:`~kefu.service.channels.ReceiveInbound`); and, from one router to another,
a chat handed over with its conversation
(:class:`~kefu.service.channels.AdoptConversation`).

Their fields are plain values but for three: the action an agent runs on its own contact
(a routing command, encoded like every routing command) with the states it may be in,
the inbound message (its identifiers as ``[kind, value]`` pairs; a message with
attachments does not travel: the attachment's bytes are on the node that took them), and
the conversation handed over with its contact's creation (a routing command too).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel, ContactState
from kefu.service.channels import (
    ActOnOwnContact,
    AddNote,
    AdoptConversation,
    AnswerOffer,
    Inbound,
    Receipt,
    ReceiveInbound,
    Reply,
    TransferConversation,
    WrapUp,
)
from kefu.service.channels.moves import carried_from_dict, carried_to_dict
from kefu.service.commands import Command
from kefu.service.routing.commands import CreateContact

__all__ = ["CHANNEL_COMMANDS", "channel_command", "channel_fields", "channel_result"]

PLAIN: tuple[type[Command], ...] = (Reply, AddNote, TransferConversation, WrapUp, AnswerOffer)
CHANNEL_COMMANDS: dict[str, type[Command]] = {
    kind.__name__: kind for kind in (*PLAIN, ActOnOwnContact, ReceiveInbound, AdoptConversation)
}
"""The channel commands that travel between nodes, by name."""


def _identifiers(items: tuple[Identifier, ...]) -> list[list[str]]:
    return [[str(i.kind), i.value] for i in items]


def _identifiers_from(data: Any) -> tuple[Identifier, ...]:
    return tuple(Identifier(IdentifierKind(kind), str(value)) for kind, value in data)


def _inbound_to(inbound: Inbound) -> dict[str, Any]:
    if inbound.attachments:
        raise ValidationError("a message with attachments is not sent between nodes")
    return {
        "channel": str(inbound.channel),
        "sender": _identifiers(inbound.sender),
        "text": inbound.text,
        "at": inbound.at,
        "external_id": inbound.external_id,
        "sender_name": inbound.sender_name,
        "subject": inbound.subject,
        "thread_refs": list(inbound.thread_refs),
        "recipients": list(inbound.recipients),
        "topic": inbound.topic,
        "claimed": _identifiers(inbound.claimed),
        "public": inbound.public,
        "sent_at": inbound.sent_at,
        "metadata": dict(inbound.metadata),
    }


def _inbound_from(data: dict[str, Any]) -> Inbound:
    sent_at = data["sent_at"]
    return Inbound(
        Channel(data["channel"]),
        _identifiers_from(data["sender"]),
        str(data["text"]),
        float(data["at"]),
        str(data["external_id"]),
        sender_name=str(data["sender_name"]),
        subject=str(data["subject"]),
        thread_refs=tuple(str(r) for r in data["thread_refs"]),
        recipients=tuple(str(r) for r in data["recipients"]),
        topic=None if data["topic"] is None else str(data["topic"]),
        claimed=_identifiers_from(data["claimed"]),
        public=bool(data["public"]),
        sent_at=None if sent_at is None else float(sent_at),
        metadata={str(k): str(v) for k, v in dict(data["metadata"]).items()},
    )


def channel_fields(command: Command, encode: Callable[[Command], dict[str, Any]]) -> dict[str, Any]:
    """The JSON-ready fields of a channel command (``encode``: the routing commands'
    encoder, for the action of :class:`ActOnOwnContact`)."""
    if isinstance(command, ReceiveInbound):
        return {"inbound": _inbound_to(command.inbound)}
    if isinstance(command, AdoptConversation):
        return {
            "contact": encode(command.contact),
            "conversation": carried_to_dict(command.conversation),
        }
    if isinstance(command, ActOnOwnContact):
        return {
            "agent_id": command.agent_id,
            "contact_id": command.contact_id,
            "action": encode(command.action),
            "states": [str(s) for s in command.states],
        }
    return {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}


def channel_command(
    kind: type[Command], fields: dict[str, Any], decode: Callable[[Any], Command]
) -> Command:
    """The channel command of ``kind`` from its fields (``decode``: the routing commands'
    decoder); a ``KeyError``/``TypeError``/``ValueError`` for anything else."""
    if kind is ReceiveInbound:
        return ReceiveInbound(_inbound_from(fields["inbound"]))
    if kind is AdoptConversation:
        contact = decode(fields["contact"])
        if not isinstance(contact, CreateContact):
            raise TypeError("a conversation is handed over with a contact's creation")
        return AdoptConversation(contact, carried_from_dict(fields["conversation"]))
    if kind is ActOnOwnContact:
        return ActOnOwnContact(
            str(fields["agent_id"]),
            str(fields["contact_id"]),
            decode(fields["action"]),
            tuple(ContactState(s) for s in fields["states"]),
        )
    return kind(**fields)


def channel_result(command: Command, result: Any) -> Any:
    """The router's answer to ``command`` as the local service returns it (a
    :class:`Receipt` for a customer's message; the JSON value otherwise)."""
    if isinstance(command, ReceiveInbound) and isinstance(result, dict):
        return Receipt(**result)
    return result
