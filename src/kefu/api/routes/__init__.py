"""API routes, one module per resource; every one needs credentials (see
:mod:`kefu.api.security`) except ``/api/health``, the operations endpoints (``ops``), the
channel webhooks (signed by their provider) and a survey's signed link (``surveys``)."""

from fastapi import APIRouter

from kefu.api.routes import (
    agents,
    audit,
    branch,
    case_config,
    case_lists,
    cases,
    channel_settings,
    contacts,
    customer_record,
    customers,
    desktop,
    health,
    ivr_flows,
    me,
    ops,
    phrases,
    queues,
    sites,
    softphone,
    supervision,
    surveys,
    teams,
    tiers,
    users,
    webhooks,
    workforce,
)
from kefu.api.routes._common import AUTH_ERRORS

__all__ = ["API_PREFIX", "AUTH_ERRORS", "api_routers", "health", "ops"]

API_PREFIX = "/api/v1"
api_routers: tuple[APIRouter, ...] = tuple(
    module.router
    # The busiest first: FastAPI tries an app's routers in order, one after the other.
    for module in (
        *(contacts, agents, desktop, queues, sites, customers, branch, webhooks),
        *(users, audit, me, ivr_flows, case_lists, cases, case_config, surveys),
        *(customer_record, phrases, tiers, supervision, teams, workforce, softphone),
        channel_settings,
    )
)
"""Each resource's router, included in the app under :data:`API_PREFIX` one by one
rather than through one ``/api/v1`` router: FastAPI matches a request again at every level
of nested routers, so a flat inclusion halves the cost of finding the route."""
