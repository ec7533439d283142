"""The workforce wing of the service: agents' work rules and published schedules,
recorded in the log (:mod:`~kefu.service.workforce.book`)."""

from __future__ import annotations

from kefu.service.workforce.book import (
    WORKFORCE_STREAM,
    PublishedShift,
    PublishSchedule,
    SetWorkRules,
    WorkforceBook,
)
from kefu.workforce.roster import WorkRules

__all__ = [
    "WORKFORCE_STREAM",
    "PublishSchedule",
    "PublishedShift",
    "SetWorkRules",
    "WorkRules",
    "WorkforceBook",
]
