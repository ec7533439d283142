"""The reports wing of the service: report definitions users save by name (their
parameters as a query string), recorded in the log (:mod:`~kefu.service.reports.saved`)."""

from __future__ import annotations

from kefu.service.reports.saved import (
    EVERY,
    REPORT_STREAM,
    DeleteReport,
    MailSavedReport,
    ReportBook,
    ReportMailer,
    SavedReport,
    SaveReport,
    UnknownReport,
)

__all__ = [
    "EVERY",
    "REPORT_STREAM",
    "DeleteReport",
    "MailSavedReport",
    "ReportBook",
    "ReportMailer",
    "SaveReport",
    "SavedReport",
    "UnknownReport",
]
