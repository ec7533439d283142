"""Commands of the case wing (frozen dataclasses, handled by :mod:`kefu.service.cases.wing`).

``by`` is who acts (a username, or ``"system"``); times are never passed in: the engine
reads its clock. Field values are JSON scalars, checked against the case type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kefu.service.commands import Command

__all__ = [
    "AddCaseNote",
    "AssignCase",
    "CaseSlaDue",
    "LinkToCase",
    "MoveCase",
    "OpenCase",
    "RouteCaseTask",
    "UpdateCase",
]


@dataclass(frozen=True, slots=True)
class OpenCase(Command):
    """A new case of ``case_type`` at ``site_id``, for ``customer_id`` or from the contact
    ``contact_id`` (its customer, site and channel are taken from it). ``value_tier``
    ``None`` takes the contact's tier (0 without a contact)."""

    case_type: str
    title: str
    by: str
    site_id: str | None = None
    customer_id: str | None = None
    contact_id: str | None = None
    value_tier: int | None = None
    priority: int = 0
    fields: Mapping[str, Any] = field(default_factory=dict)
    owner: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class UpdateCase(Command):
    """New values of some fields, and optionally a new type or value tier."""

    case_id: str
    by: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    case_type: str | None = None
    value_tier: int | None = None
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class AssignCase(Command):
    """Give the case to an agent or a team (``owner`` is ``(kind, id)``) and/or involve a
    ``department``."""

    case_id: str
    by: str
    owner: tuple[str, str] | None = None
    department: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MoveCase(Command):
    """Change the case's state (``to`` a :class:`~kefu.domain.cases.CaseState` value);
    resolving a complaint needs ``root_cause`` and ``resolution``."""

    case_id: str
    to: str
    by: str
    reason: str = ""
    department: str | None = None
    root_cause: str | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class AddCaseNote(Command):
    """A note; a non-internal note is an answer to the customer (it stops the first-response
    clock, on ``channel``)."""

    case_id: str
    text: str
    by: str
    internal: bool = True
    channel: str = "note"


@dataclass(frozen=True, slots=True)
class LinkToCase(Command):
    """Link a contact, conversation, work item or another case."""

    case_id: str
    kind: str
    target_id: str
    by: str
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class RouteCaseTask(Command):
    """Make a task of the case a ``workitem`` contact in back-office queue ``queue_id``,
    ordered by the case's value tier and priority; ``task`` says what to do."""

    case_id: str
    queue_id: str
    task: str
    by: str


@dataclass(frozen=True, slots=True)
class CaseSlaDue(Command):
    """Timer: an SLA step of ``case_id`` may be due (the wing re-evaluates the case)."""

    case_id: str
