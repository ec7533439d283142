"""Errors of the customer directory and of conversations, under the kefu error tree.

::

    ValidationError
    └── InvalidIdentifier        an identifier that cannot be normalized (bad phone, e-mail ...)
    NotFound
    ├── UnknownCustomer
    ├── UnknownMerge
    └── UnknownConversation
    Conflict
    ├── IdentifierConflict       a merge would combine two verified identifiers of one kind
    ├── IdentifierTaken          the identifier already belongs to another customer
    ├── ProductTaken             the product number already belongs to another customer
    └── InvalidState
        ├── MergeNotUndoable     the merge was undone already, or a later merge must go first
        └── ConversationClosed   a message for a conversation that is closed
"""

from __future__ import annotations

from kefu.domain.errors import Conflict, InvalidState, NotFound, ValidationError

__all__ = [
    "ConversationClosed",
    "IdentifierConflict",
    "IdentifierTaken",
    "InvalidIdentifier",
    "MergeNotUndoable",
    "ProductTaken",
    "UnknownConversation",
    "UnknownCustomer",
    "UnknownMerge",
]


class InvalidIdentifier(ValidationError):
    error_id = "invalid_identifier"


class UnknownCustomer(NotFound):
    error_id = "unknown_customer"


class UnknownMerge(NotFound):
    error_id = "unknown_merge"


class UnknownConversation(NotFound):
    error_id = "unknown_conversation"


class IdentifierConflict(Conflict):
    error_id = "identifier_conflict"


class IdentifierTaken(Conflict):
    error_id = "identifier_taken"


class MergeNotUndoable(InvalidState):
    error_id = "merge_not_undoable"


class ConversationClosed(InvalidState):
    error_id = "conversation_closed"


class ProductTaken(Conflict):
    """The product number belongs to another customer."""

    error_id = "product_taken"
