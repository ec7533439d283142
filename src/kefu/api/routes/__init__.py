"""API routes, one module per resource; every one needs credentials (see
:mod:`kefu.api.security`) except ``/api/health``."""

from fastapi import APIRouter

from kefu.api.routes import (
    agents,
    audit,
    branch,
    contacts,
    customers,
    desktop,
    health,
    me,
    queues,
    sites,
    users,
    webhooks,
)
from kefu.api.routes._common import AUTH_ERRORS

__all__ = ["api_router", "health"]

api_router = APIRouter(prefix="/api/v1", responses=AUTH_ERRORS)
for module in (sites, queues, agents, contacts, users, audit, me):
    api_router.include_router(module.router)
# Channels: the agent desktop, customers, the branch hall, inbound webhooks.
for module in (desktop, customers, branch, webhooks):
    api_router.include_router(module.router)
