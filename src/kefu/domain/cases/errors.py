"""Errors of cases: each a :class:`~kefu.domain.errors.KefuError` with a stable ``error_id``."""

from __future__ import annotations

from kefu.domain.errors import AlreadyExists, Conflict, InvalidState, NotFound, ValidationError

__all__ = [
    "CaseAlreadyExists",
    "CaseTypeExists",
    "CaseTypeRetired",
    "InvalidCaseField",
    "InvalidCaseTransition",
    "ResolutionIncomplete",
    "SurveyClosed",
    "UnknownCase",
    "UnknownCaseType",
    "UnknownSurvey",
]


class UnknownCase(NotFound):
    error_id = "unknown_case"


class UnknownCaseType(NotFound):
    error_id = "unknown_case_type"


class CaseAlreadyExists(AlreadyExists):
    error_id = "case_already_exists"


class CaseTypeExists(AlreadyExists):
    """An admin defines a case type whose id is taken (update it instead)."""

    error_id = "case_type_exists"


class CaseTypeRetired(InvalidState):
    """The case type was retired: it takes no new cases."""

    error_id = "case_type_retired"


class InvalidCaseTransition(InvalidState):
    """The transition table refuses the move (e.g. closing a case that is not resolved)."""

    error_id = "invalid_case_transition"


class InvalidCaseField(ValidationError):
    """A case field is missing, unknown or of the wrong kind for its case type."""

    error_id = "invalid_case_field"


class ResolutionIncomplete(ValidationError):
    """The case type needs a root cause and a resolution before it may be resolved."""

    error_id = "resolution_incomplete"


class UnknownSurvey(NotFound):
    """No such survey (or a link whose signature does not hold)."""

    error_id = "unknown_survey"


class SurveyClosed(Conflict):
    """The survey was answered already (one answer each) or has expired."""

    error_id = "survey_closed"
