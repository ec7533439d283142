"""FCR and CSAT beside a report grouped by one dimension the quality analytics know: CSAT
(follow-up surveys sent in the range, answered) by queue or agent, FCR (handled contacts
of the range not repeated within 7 days) by queue, agent or channel, the latter when asked
as it decodes the range's events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.adapters.storage.report_source import ReportSource
from kefu.analytics.fcr import compute_fcr
from kefu.analytics.scorecard import csat_by
from kefu.service import RoutingEngine
from kefu.service.cases import SurveyWing
from kefu.web.report_form import ReportForm

__all__ = ["CSAT_BY", "FCR_BY", "csat_column", "fcr_column"]

CSAT_BY = ("queue", "agent")
FCR_BY = ("queue", "agent", "channel")
DAY_S = 86_400.0


async def csat_column(
    surveys: SurveyWing | None, form: ReportForm, sites: frozenset[str] | None
) -> Mapping[str, float | None] | None:
    """CSAT per group label, or ``None`` when the grouping has no CSAT."""
    if surveys is None or len(form.group_by) != 1 or form.group_by[0] not in CSAT_BY:
        return None
    dim = form.group_by[0]
    wing = surveys

    def look(_engine: RoutingEngine) -> dict[str, float | None]:
        found = csat_by(
            list(wing.book.surveys.values()),
            form.since,
            form.until,
            lambda s: s.queue_id if dim == "queue" else s.agent_id,
            sites,
        )
        return {str(k): v.csat for k, v in found.items() if k is not None}

    column: dict[str, float | None] = await wing.engine.query(look)
    return column


def fcr_column(source: ReportSource, form: ReportForm) -> Mapping[str, float | None] | None:
    """FCR per group label (decodes the range's events), or ``None`` when the grouping has
    no FCR."""
    if len(form.group_by) != 1 or form.group_by[0] not in FCR_BY:
        return None
    events = (e for batch in source.events(form.since - DAY_S, form.until) for e in batch)
    report = compute_fcr(events, since=form.since, until=form.until)
    groups: dict[str, Any] = {
        "queue": report.by_queue,
        "agent": report.by_agent,
        "channel": report.by_channel,
    }
    return {label: count.fcr for label, count in groups[form.group_by[0]].items()}
