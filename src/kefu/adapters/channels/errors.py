"""Errors of the channel adapters; foreign errors (smtplib, httpx) are translated once, here."""

from __future__ import annotations

from kefu.domain.errors import KefuError, ValidationError

__all__ = ["ChannelError", "DeliveryFailed", "MalformedMessage", "MessageTooLarge"]


class ChannelError(KefuError):
    error_id = "channel_error"


class DeliveryFailed(ChannelError):
    """An outbound message could not be delivered. ``details["transient"]`` tells whether a
    later retry may succeed."""

    error_id = "delivery_failed"


class MalformedMessage(ValidationError):
    """Inbound traffic that cannot be understood (broken MIME, no sender ...)."""

    error_id = "malformed_message"


class MessageTooLarge(ValidationError):
    """Inbound traffic over a configured size limit."""

    error_id = "message_too_large"
