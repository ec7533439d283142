"""API schemas (``XCreate`` / ``XUpdate`` / ``XPublic``), apart from the storage tables."""

from kefu.api.schemas.agents import (
    AgentCreate,
    AgentPublic,
    AgentStateChange,
    AgentUpdate,
    StateIntervalPublic,
)
from kefu.api.schemas.common import ErrorBody, Page
from kefu.api.schemas.contacts import (
    AssignRequest,
    CallbackRequest,
    CompleteRequest,
    ContactCreate,
    ContactPublic,
    OfferAction,
    TransferRequest,
)
from kefu.api.schemas.queues import QueueCreate, QueuePublic, QueueUpdate
from kefu.api.schemas.sites import SiteCreate, SitePublic, SiteUpdate
from kefu.api.schemas.users import (
    AuditPublic,
    MePublic,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

__all__ = [
    "AgentCreate",
    "AgentPublic",
    "AgentStateChange",
    "AgentUpdate",
    "AssignRequest",
    "AuditPublic",
    "CallbackRequest",
    "CompleteRequest",
    "ContactCreate",
    "ContactPublic",
    "ErrorBody",
    "MePublic",
    "OfferAction",
    "Page",
    "QueueCreate",
    "QueuePublic",
    "QueueUpdate",
    "SiteCreate",
    "SitePublic",
    "SiteUpdate",
    "StateIntervalPublic",
    "TokenCreate",
    "TokenIssued",
    "TokenPublic",
    "TransferRequest",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
]
