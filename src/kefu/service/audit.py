"""The audit log: entries of configuration changes (written by the command handlers in
the transaction of the change), of reads of customers' records, and their listing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kefu.service.access import Principal
from kefu.service.ports import UnitOfWork
from kefu.service.security_ports import AuditEntry
from kefu.service.writer import Write

__all__ = ["audit_view", "audit_write", "contact_reads"]


def audit_write(entry: AuditEntry) -> Write:
    """The write storing ``entry`` with a batch."""

    def write(uow: UnitOfWork) -> None:
        uow.audit.add(entry)

    return write


def contact_reads(
    principal: Principal,
    contacts: Iterable[dict[str, Any]],
    at: float,
    client: str | None,
    *,
    action: str = "contact.read",
) -> list[AuditEntry]:
    """One entry per contact (customer record) shown to ``principal``."""
    return [
        AuditEntry(
            at=at,
            actor_id=principal.user_id,
            actor=principal.username,
            action=action,
            target_type="contact",
            target_id=str(c["contact_id"]),
            site_id=c.get("site_id"),
            details={"customer_id": c.get("customer_id"), "via": principal.via},
            client=client,
        )
        for c in contacts
    ]


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "site_id": entry.site_id,
        "before": entry.before,
        "after": entry.after,
        "details": entry.details,
        "client": entry.client,
    }
