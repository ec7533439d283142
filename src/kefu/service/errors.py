"""Errors the service layer adds to the domain's tree (:mod:`kefu.domain.errors`)."""

from __future__ import annotations

from kefu.domain.errors import Conflict, KefuError, NotFound

__all__ = [
    "AttachmentsStay",
    "ConversationStays",
    "Forbidden",
    "ForgedCommand",
    "HandoverRefused",
    "HandoverUnreachable",
    "IdempotencyKeyReused",
    "NotAuthenticated",
    "NotClustered",
    "NotLeader",
    "ServiceUnavailable",
    "TooManyRequests",
    "UnknownSite",
    "UnknownToken",
    "UnknownUser",
]


class UnknownSite(NotFound):
    error_id = "unknown_site"


class UnknownUser(NotFound):
    error_id = "unknown_user"


class UnknownToken(NotFound):
    error_id = "unknown_token"


class IdempotencyKeyReused(Conflict):
    """An ``Idempotency-Key`` sent again with a different request."""

    error_id = "idempotency_key_reused"


class ServiceUnavailable(KefuError):
    """The store could not be written: nothing was acknowledged; retry later."""

    error_id = "service_unavailable"


class NotLeader(ServiceUnavailable):
    """This node no longer leads its routing domain (a newer leader's epoch is in the
    store): nothing it staged since was stored; send the command to the leader."""

    error_id = "not_leader"


class NotClustered(Conflict):
    """A hand-over to another routing domain asked of a server that is in no cluster
    (one process, ``--role all``): there is no other domain to hand it to."""

    error_id = "not_clustered"
    text_key = "error.not_clustered"


class HandoverRefused(Conflict):
    """Another routing domain refused a contact handed to it (unknown queue, a channel
    it does not take, ...): the contact stays in its domain, unchanged."""

    error_id = "handover_refused"
    text_key = "error.handover_refused"


class ConversationStays(HandoverRefused):
    """A contact with a conversation that cannot leave its routing domain (an e-mail, an
    SMS, a social message: the customer's next message comes through this domain's
    mailboxes and numbers) asked to leave it: it stays, unchanged (nothing is sent to the
    other domain); transfer it inside the domain. A chat moves with its contact."""

    error_id = "handover_conversation"
    text_key = "error.handover_conversation"


class AttachmentsStay(ConversationStays):
    """A chat whose conversation holds attachments asked to leave its routing domain: the
    files are in this domain's storage, so it stays, unchanged."""

    error_id = "handover_attachments"
    text_key = "error.handover_attachments"


class HandoverUnreachable(ServiceUnavailable):
    """No router of the other routing domain answered in time: the contact stays in its
    domain, unchanged; a retry of the same hop is applied there once."""

    error_id = "handover_unreachable"
    text_key = "error.handover_unreachable"


class NotAuthenticated(KefuError):
    """No valid credentials (missing, wrong, expired or revoked)."""

    error_id = "not_authenticated"


class ForgedCommand(NotAuthenticated):
    """A command from the cluster's bus without a valid signature of a web node (unsigned,
    forged, altered, too old, or for another routing domain): refused, nothing is run."""

    error_id = "command_not_signed"
    text_key = "error.command_not_signed"


class Forbidden(KefuError):
    """Authenticated, but this role, agent or token scope may not do this."""

    error_id = "forbidden"


class TooManyRequests(KefuError):
    """Too many attempts; ``details["retry_after_s"]`` says when to try again (seconds)."""

    error_id = "too_many_requests"

    def __init__(
        self,
        message: str,
        retry_after_s: float,
        *,
        text_key: str | None = None,
        **details: object,
    ) -> None:
        super().__init__(message, text_key=text_key, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s
