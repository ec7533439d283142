"""Errors of the channel service, under the kefu error tree (statuses: the API's table)."""

from __future__ import annotations

from kefu.domain.errors import KefuError, ValidationError
from kefu.service.errors import Forbidden

__all__ = ["ChannelUnavailable", "MessageRefused", "NoQueueForChannel", "NotHolder"]


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
