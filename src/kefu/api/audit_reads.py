"""Auditing reads of customers' records (contacts) before they are answered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import HTTPConnection

from kefu.api.security import client_address
from kefu.service import RoutingEngine
from kefu.service.security import Principal, audit_write, contact_reads

__all__ = ["record_reads"]


async def record_reads(
    engine: RoutingEngine,
    principal: Principal,
    contacts: Iterable[dict[str, Any]],
    connection: HTTPConnection,
    *,
    action: str = "contact.read",
) -> None:
    """Store who read which contacts; returns once stored (a read that cannot be audited
    is not answered)."""
    entries = contact_reads(
        principal, contacts, engine.now(), client_address(connection), action=action
    )
    if entries:
        await engine.store([audit_write(e) for e in entries])
