"""API routes, one module per resource."""

from fastapi import APIRouter

from kefu.api.routes import agents, contacts, health, queues, sites

__all__ = ["api_router", "health"]

api_router = APIRouter(prefix="/api/v1")
for module in (sites, queues, agents, contacts):
    api_router.include_router(module.router)
