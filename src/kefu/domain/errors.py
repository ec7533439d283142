"""The kefu error tree.

Every domain error is a :class:`KefuError` with a stable ``error_id`` (never reworded, so
clients and logs can match on it), a human message and structured ``details``. HTTP status
codes are not decided here: the API maps error classes to statuses in one table.

::

    KefuError
    ├── ValidationError        bad input (a negative capacity, an unknown channel ...)
    ├── NotFound               an unknown id
    │   ├── UnknownQueue
    │   ├── UnknownAgent
    │   ├── UnknownContact
    │   └── UnknownOffer
    └── Conflict               the request is valid but the current state refuses it
        ├── AlreadyExists
        ├── InvalidState       e.g. completing a contact twice
        ├── OfferNotPending    accepting an offer that expired or was withdrawn
        └── AgentAtCapacity    manual assignment to an agent with no free capacity
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AgentAtCapacity",
    "AlreadyExists",
    "Conflict",
    "InvalidState",
    "KefuError",
    "NoRecording",
    "NotFound",
    "OfferNotPending",
    "UnknownAgent",
    "UnknownContact",
    "UnknownOffer",
    "UnknownQueue",
    "UnknownRoutingDomain",
    "ValidationError",
]


class KefuError(Exception):
    """Base of all kefu errors: a stable ``error_id``, a message and ``details``.

    ``text_key`` names the message in the catalogs (``error.*``) for an edge that answers
    in the reader's language; its placeholders are names of ``details``. Without it the
    English ``message`` is shown as it is.
    """

    error_id: str = "kefu_error"
    text_key: str | None = None

    def __init__(self, message: str, /, *, text_key: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if text_key is not None:
            self.text_key = text_key
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{"error_id", "message", "details"}``."""
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class ValidationError(KefuError):
    error_id = "validation_error"


class UnknownRoutingDomain(ValidationError):
    """An overflow step names a routing domain the cluster's configuration does not list
    (``KEFU_ROUTING_DOMAINS``), or this router's own domain."""

    error_id = "unknown_routing_domain"
    text_key = "error.unknown_routing_domain"


class NotFound(KefuError):
    error_id = "not_found"


class UnknownQueue(NotFound):
    error_id = "unknown_queue"


class UnknownAgent(NotFound):
    error_id = "unknown_agent"


class UnknownContact(NotFound):
    error_id = "unknown_contact"


class NoRecording(NotFound):
    """The contact has no recording to play (none made, or deleted by retention)."""

    error_id = "no_recording"


class UnknownOffer(NotFound):
    error_id = "unknown_offer"


class Conflict(KefuError):
    error_id = "conflict"


class AlreadyExists(Conflict):
    error_id = "already_exists"


class InvalidState(Conflict):
    error_id = "invalid_state"


class OfferNotPending(Conflict):
    error_id = "offer_not_pending"


class AgentAtCapacity(Conflict):
    error_id = "agent_at_capacity"
