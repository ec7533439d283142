"""Errors of the IVR engine (``KefuError`` subclasses with stable ids)."""

from __future__ import annotations

from kefu.domain.errors import InvalidState, NotFound, ValidationError

__all__ = ["FlowNotPublished", "InvalidFlow", "UnknownCalendar", "UnknownFlowVersion"]


class InvalidFlow(ValidationError):
    """A flow's dict form is malformed; ``details["field"]`` names the offending field."""

    error_id = "invalid_flow"


class UnknownFlowVersion(NotFound):
    error_id = "unknown_flow_version"


class FlowNotPublished(InvalidState):
    """A contact cannot start a flow that has no published version."""

    error_id = "flow_not_published"


class UnknownCalendar(NotFound):
    """An hours node names a calendar the context does not have."""

    error_id = "unknown_calendar"
