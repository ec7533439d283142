"""Customers and their conversations: one identity across channels (:mod:`.directory`),
identifiers and their normalization, the directory's events and state, and the messages of
one customer on one topic across their contacts (:mod:`.conversations`). Both share one
error module: a conversation belongs to a customer.
"""

from kefu.domain.customers.conversations import (
    DEFAULT_JOIN_WINDOW_S,
    AttachmentMeta,
    Conversation,
    ConversationBook,
    Direction,
    JoinPolicy,
    Message,
    Placement,
)
from kefu.domain.customers.directory import KEEP, CustomerDirectory
from kefu.domain.customers.errors import (
    ConversationClosed,
    IdentifierConflict,
    IdentifierTaken,
    InvalidIdentifier,
    MergeNotUndoable,
    UnknownConversation,
    UnknownCustomer,
    UnknownMerge,
)
from kefu.domain.customers.identifiers import (
    DEFAULT_COUNTRY_CODE,
    Identifier,
    IdentifierKind,
    normalize_identifier,
)
from kefu.domain.customers.records import ContactRef, Customer, LinkResult, MergeRecord

__all__ = [
    "DEFAULT_COUNTRY_CODE",
    "DEFAULT_JOIN_WINDOW_S",
    "KEEP",
    "AttachmentMeta",
    "ContactRef",
    "Conversation",
    "ConversationBook",
    "ConversationClosed",
    "Customer",
    "CustomerDirectory",
    "Direction",
    "Identifier",
    "IdentifierConflict",
    "IdentifierKind",
    "IdentifierTaken",
    "InvalidIdentifier",
    "JoinPolicy",
    "LinkResult",
    "MergeNotUndoable",
    "MergeRecord",
    "Message",
    "Placement",
    "UnknownConversation",
    "UnknownCustomer",
    "UnknownMerge",
    "normalize_identifier",
]
