"""Errors of the channel service, under the kefu error tree (statuses: the API's table)."""

from __future__ import annotations

from kefu.domain.errors import KefuError, ValidationError
from kefu.service.errors import Forbidden

__all__ = [
    "ChannelUnavailable",
    "MessageRefused",
    "NoQueueForChannel",
    "NotHolder",
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


def delivery_failure(exc: BaseException) -> str:
    """Why a reply was not delivered, as a code the desktop words in the agent's language:
    ``unreachable`` (the relay or provider could not be reached or asked to try later),
    ``refused`` (it refused the reply), ``invalid`` (the reply could not be composed)."""
    if isinstance(exc, KefuError):
        return "unreachable" if exc.details.get("transient") else "refused"
    return "invalid"
