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
from kefu.api.schemas.sites import SiteCreate, SitePublic

__all__ = [
    "AgentCreate",
    "AgentPublic",
    "AgentStateChange",
    "AgentUpdate",
    "AssignRequest",
    "CallbackRequest",
    "CompleteRequest",
    "ContactCreate",
    "ContactPublic",
    "ErrorBody",
    "OfferAction",
    "Page",
    "QueueCreate",
    "QueuePublic",
    "QueueUpdate",
    "SiteCreate",
    "SitePublic",
    "StateIntervalPublic",
    "TransferRequest",
]
