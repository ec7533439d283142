"""Value records of the customer directory: snapshots, timeline entries, audit entries."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.domain.customers.identifiers import Identifier

__all__ = ["ContactRef", "Customer", "LinkResult", "MergeRecord"]


@dataclass(frozen=True, slots=True)
class ContactRef:
    """A timeline entry: a contact of the customer on some channel, at ``at`` seconds."""

    contact_id: str
    channel: str
    at: float
    summary: str = ""
    outcome: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """A snapshot of a customer. ``value_tier`` (0 = standard, higher = more valuable) and
    ``segment`` feed routing priority; ``merged_into`` is set while merged away."""

    customer_id: str
    name: str
    identifiers: tuple[Identifier, ...]
    verified: frozenset[Identifier]
    value_tier: int
    segment: str | None
    created_at: float
    merged_into: str | None = None


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """An audit entry: who merged (``None`` = automatic), when, why; and its undo, if any."""

    merge_id: str
    survivor_id: str
    merged_id: str
    agent_id: str | None
    reason: str
    forced: bool
    at: float
    undone_at: float | None = None
    undone_by: str | None = None
    undo_reason: str | None = None


@dataclass(frozen=True, slots=True)
class LinkResult:
    """Where inbound traffic was linked: ``customer_id``; whether it was ``created``; the
    ``added`` identifiers; automatic ``merges`` (merge ids); ``conflicts``: other customers
    owning some of the identifiers, left for an agent because of verified identifiers."""

    customer_id: str
    created: bool
    added: tuple[Identifier, ...] = ()
    merges: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
