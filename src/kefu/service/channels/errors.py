"""Errors of the channel service, under the kefu error tree (statuses: the API's table)."""

from __future__ import annotations

from kefu.domain.errors import Conflict, KefuError, ValidationError
from kefu.service.errors import Forbidden

__all__ = [
    "ChannelUnavailable",
    "ConversationChanged",
    "ConversationMoved",
    "MessageRefused",
    "NoQueueForChannel",
    "NotHolder",
    "QueueOfAnotherChannel",
    "delivery_failure",
]


class MessageRefused(ValidationError):
    """An inbound message that cannot be taken (empty, too long, no sender)."""

    error_id = "message_refused"


class NoQueueForChannel(ValidationError):
    """No queue takes contacts of this channel (or the chosen topic is not one)."""

    error_id = "no_queue_for_channel"


class NotHolder(Forbidden):
    """The agent does not hold this contact, or not in a state that allows this (an agent
    acts only on its own contacts)."""

    error_id = "not_holder"


class ChannelUnavailable(KefuError):
    """No gateway is configured to send on this channel."""

    error_id = "channel_unavailable"


class ConversationMoved(Conflict):
    """A customer's message for a conversation that moved to another routing domain with
    its contact: it belongs there (the chat widget is told where, and reconnects)."""

    error_id = "conversation_moved"
    text_key = "error.conversation_moved"


class ConversationChanged(Conflict):
    """The end of a conversation's hand-over found more messages than the copy sent to
    the other routing domain (one came in between): nothing is changed; copy it again."""

    error_id = "conversation_changed"
    text_key = "error.conversation_changed"


class QueueOfAnotherChannel(ValidationError):
    """A conversation handed to a queue of another channel (a chat to a voice queue)."""

    error_id = "queue_channel"
    text_key = "error.queue_channel"


def delivery_failure(exc: BaseException) -> str:
    """Why a reply was not delivered, as a code the desktop words in the agent's language:
    ``unreachable`` (the relay or provider could not be reached or asked to try later),
    ``refused`` (it refused the reply), ``invalid`` (the reply could not be composed)."""
    if isinstance(exc, KefuError):
        return "unreachable" if exc.details.get("transient") else "refused"
    return "invalid"
