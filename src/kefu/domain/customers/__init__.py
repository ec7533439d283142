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
    ProductTaken,
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
from kefu.domain.customers.profile import (
    PRODUCT_EVENTS,
    PRODUCT_KINDS,
    PRODUCT_STATUSES,
    Consent,
    FieldDef,
    FieldKind,
    InvalidFieldValue,
    Product,
    ProductEvent,
    ProfileDetails,
    mask_number,
)
from kefu.domain.customers.records import ContactRef, Customer, LinkResult, MergeRecord

__all__ = [
    "DEFAULT_COUNTRY_CODE",
    "DEFAULT_JOIN_WINDOW_S",
    "KEEP",
    "PRODUCT_EVENTS",
    "PRODUCT_KINDS",
    "PRODUCT_STATUSES",
    "AttachmentMeta",
    "Consent",
    "ContactRef",
    "Conversation",
    "ConversationBook",
    "ConversationClosed",
    "Customer",
    "CustomerDirectory",
    "Direction",
    "FieldDef",
    "FieldKind",
    "Identifier",
    "IdentifierConflict",
    "IdentifierKind",
    "IdentifierTaken",
    "InvalidFieldValue",
    "InvalidIdentifier",
    "JoinPolicy",
    "LinkResult",
    "MergeNotUndoable",
    "MergeRecord",
    "Message",
    "Placement",
    "Product",
    "ProductEvent",
    "ProductTaken",
    "ProfileDetails",
    "UnknownConversation",
    "UnknownCustomer",
    "UnknownMerge",
    "mask_number",
    "normalize_identifier",
]
