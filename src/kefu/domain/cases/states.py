"""Case states and the transition table.

::

    new ──► open ◄──► waiting_on_customer
     │       ▲ ╲         ▲
     │       │  ╲        ▼
     │       │   ► waiting_on_department
     ▼       ▼
    resolved ──► closed (terminal)
     │   ▲
     ▼   │
    reopened ──► open / waiting_* / resolved

Every move but the one into ``open`` needs a reason (why we wait, how it was resolved, why it
was reopened or closed). ``closed`` is terminal: a new contact about a closed problem opens a
new case linked to the old one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from kefu.domain.cases.errors import InvalidCaseTransition
from kefu.domain.errors import ValidationError

__all__ = ["CLOCK_PAUSED", "TRANSITIONS", "CaseState", "check_transition"]


class CaseState(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    WAITING_ON_DEPARTMENT = "waiting_on_department"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


_S = CaseState
_WORKING = frozenset({_S.OPEN, _S.WAITING_ON_CUSTOMER, _S.WAITING_ON_DEPARTMENT, _S.RESOLVED})

TRANSITIONS: Mapping[CaseState, frozenset[CaseState]] = MappingProxyType(
    {
        _S.NEW: _WORKING | {_S.CLOSED},
        _S.OPEN: _WORKING - {_S.OPEN},
        _S.WAITING_ON_CUSTOMER: _WORKING - {_S.WAITING_ON_CUSTOMER},
        _S.WAITING_ON_DEPARTMENT: _WORKING - {_S.WAITING_ON_DEPARTMENT},
        _S.RESOLVED: frozenset({_S.CLOSED, _S.REOPENED}),
        _S.CLOSED: frozenset(),
        _S.REOPENED: _WORKING,
    }
)
"""Allowed moves: ``TRANSITIONS[from]`` is the set of states a case may go to."""

CLOCK_PAUSED: frozenset[CaseState] = frozenset({_S.WAITING_ON_CUSTOMER, _S.RESOLVED, _S.CLOSED})
"""States in which SLA clocks do not run: the ball is in the customer's court, or the work is
done. Waiting on a department is our own delay and never pauses a clock."""


def check_transition(case_id: str, current: CaseState, target: CaseState, reason: str) -> None:
    """Raise unless ``current → target`` is in :data:`TRANSITIONS` with a reason when needed."""
    if target not in TRANSITIONS[current]:
        raise InvalidCaseTransition(
            f"case {case_id} cannot go from {current.value} to {target.value}",
            case_id=case_id,
            current=current.value,
            target=target.value,
        )
    if target is not _S.OPEN and not reason.strip():
        raise ValidationError(
            f"moving case {case_id} to {target.value} needs a reason",
            case_id=case_id,
            target=target.value,
        )
