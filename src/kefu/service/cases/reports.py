"""The monthly complaints report: complaints opened in a month, by root cause, with how
long they took in business time and how many broke their SLA (seed 002: complaint handling
with a cause for every complaint).

A complaint belongs to the month of its opening in its site's time zone. Resolved and
closed complaints are counted under their root cause; those still open under ``None``.
Business hours are the resolution clock's (paused while waiting on the customer).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.domain.cases import CaseKind, CaseState
from kefu.domain.errors import ValidationError
from kefu.service.cases.store import CaseStore
from kefu.service.security.access import Principal, sees_site

__all__ = ["ComplaintRow", "ComplaintsReport", "complaints_report"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    """The complaints of one root cause (None: still open): how many, resolved, past their
    resolution SLA, and the mean business hours of the resolved ones (None without)."""

    root_cause: str | None
    count: int
    resolved: int
    breached: int
    mean_business_hours: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "root_cause": self.root_cause,
            "count": self.count,
            "resolved": self.resolved,
            "breached": self.breached,
            "mean_business_hours": self.mean_business_hours,
        }


@dataclass(frozen=True, slots=True)
class ComplaintsReport:
    """The complaints of ``month`` (``YYYY-MM``), of ``site_id`` or of every site seen, by
    root cause (most first)."""

    month: str
    site_id: str | None
    rows: tuple[ComplaintRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "site_id": self.site_id,
            "total": sum(r.count for r in self.rows),
            "by_root_cause": [r.to_json() for r in self.rows],
        }


def complaints_report(
    store: CaseStore,
    user: Principal,
    month: str,
    now: float,
    zone_of: Callable[[str], str],
    *,
    site_id: str | None = None,
) -> ComplaintsReport:
    """Complaints of ``month`` (``YYYY-MM``) the caller sees (of ``site_id`` if given), by
    root cause: ``count``, ``resolved``, ``breached`` and ``mean_business_hours`` (of the
    resolved ones; ``None`` without any). ``zone_of`` gives a site's time zone."""
    if not _MONTH.match(month):
        raise ValidationError(
            f"month {month!r} is not YYYY-MM", text_key="error.month_format", month=month
        )
    complaint_types = {
        type_id for type_id, kind in store.book.types.items() if kind.kind is CaseKind.COMPLAINT
    }
    zones: dict[str, ZoneInfo] = {}
    tallies: dict[str | None, _Tally] = {}
    for case in store.book.cases.values():
        if case.case_type not in complaint_types or not sees_site(user, case.site_id):
            continue
        if site_id is not None and case.site_id != site_id:
            continue
        zone = zones.get(case.site_id)
        if zone is None:
            zone = zones[case.site_id] = ZoneInfo(zone_of(case.site_id))
        if datetime.fromtimestamp(case.opened_at, zone).strftime("%Y-%m") != month:
            continue
        done = case.state in (CaseState.RESOLVED, CaseState.CLOSED)
        cause = case.root_cause if done else None
        tally = tallies.setdefault(cause, _Tally())
        tally.count += 1
        clocks = {s.clock.value: s for s in store.decision(case.case_id, now).clocks}
        resolution = clocks.get("resolution")
        if resolution is not None and resolution.breached:
            tally.breached += 1
        if done:
            tally.resolved += 1
            if resolution is not None:
                tally.hours.append(resolution.elapsed_s / HOUR_S)
    causes = sorted(tallies, key=lambda k: (-tallies[k].count, k or "\uffff"))
    return ComplaintsReport(month, site_id, tuple(tallies[k].row(k) for k in causes))


@dataclass
class _Tally:
    """The complaints of one root cause being counted."""

    count: int = 0
    resolved: int = 0
    breached: int = 0
    hours: list[float] = field(default_factory=list)

    def row(self, cause: str | None) -> ComplaintRow:
        hours = self.hours
        mean = round(sum(hours) / len(hours), 2) if hours else None
        return ComplaintRow(cause, self.count, self.resolved, self.breached, mean)
