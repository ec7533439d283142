"""Cases: one customer problem tracked to resolution across contacts, channels and
departments (types and fields, states, the event-sourced book, business-time SLA clocks)."""

from kefu.domain.cases.book import Case, CaseBook, CaseLink, CaseNote, apply_event
from kefu.domain.cases.config import WEEKDAYS, CaseTypeConfig, SiteCalendar, policy_of
from kefu.domain.cases.errors import (
    CaseAlreadyExists,
    CaseTypeExists,
    CaseTypeRetired,
    InvalidCaseField,
    InvalidCaseTransition,
    ResolutionIncomplete,
    UnknownCase,
    UnknownCaseType,
)
from kefu.domain.cases.sla import (
    DEFAULT_STEPS,
    ClockStatus,
    EscalationAction,
    EscalationStep,
    SlaAction,
    SlaClock,
    SlaDecision,
    SlaPolicy,
    SlaTargets,
    clock_status,
    evaluate,
)
from kefu.domain.cases.states import CLOCK_PAUSED, TRANSITIONS, CaseState, check_transition
from kefu.domain.cases.types import CaseKind, CaseType, FieldKind, FieldSpec, FieldValue

__all__ = [
    "CLOCK_PAUSED",
    "DEFAULT_STEPS",
    "TRANSITIONS",
    "WEEKDAYS",
    "Case",
    "CaseAlreadyExists",
    "CaseBook",
    "CaseKind",
    "CaseLink",
    "CaseNote",
    "CaseState",
    "CaseType",
    "CaseTypeConfig",
    "CaseTypeExists",
    "CaseTypeRetired",
    "ClockStatus",
    "EscalationAction",
    "EscalationStep",
    "FieldKind",
    "FieldSpec",
    "FieldValue",
    "InvalidCaseField",
    "InvalidCaseTransition",
    "ResolutionIncomplete",
    "SiteCalendar",
    "SlaAction",
    "SlaClock",
    "SlaDecision",
    "SlaPolicy",
    "SlaTargets",
    "UnknownCase",
    "UnknownCaseType",
    "apply_event",
    "check_transition",
    "clock_status",
    "evaluate",
    "policy_of",
]
