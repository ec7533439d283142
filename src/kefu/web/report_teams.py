"""Reports "by team", done outside the report builder: the report is run by agent, then
the agents' rows are added up per team (:func:`kefu.analytics.scorecard.group_total`).

The rule: an agent counts whole in each team it belongs to now (current membership, not
the membership at the time of the contacts), so a contact handled by an agent of two
teams is in both teams' rows and the teams' rows may add up to more than the total (which
counts it once). Agents in no team, and contacts no agent took, are the row ``-``.
Team rows have no drill-down (the contacts page filters by agent, not by team).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from kefu.analytics.history import NONE_LABEL, HistoryReport, ReportRow
from kefu.analytics.scorecard import group_total
from kefu.web.report_form import ReportForm
from kefu.web.report_views import Line

__all__ = ["TEAM", "agent_params", "by_team", "no_drill", "team_form"]

TEAM = "team"


def agent_params(params: Mapping[str, Sequence[str]]) -> tuple[dict[str, Sequence[str]], bool]:
    """The query with ``group=team`` asked as ``group=agent``, and whether team was asked."""
    groups: list[str] = []
    for value in params.get("group") or []:
        groups.extend(g.strip() for g in value.split(",") if g.strip())
    if TEAM not in groups:
        return dict(params), False
    if "agent" in groups:
        groups.remove("agent")  # by team replaces by agent
    asked = ["agent" if g == TEAM else g for g in groups]
    return {**params, "group": asked}, True


def team_form(form: ReportForm) -> ReportForm:
    """The form as shown and linked: ``team`` where the report was run by ``agent``."""
    shown = tuple(TEAM if g == "agent" else g for g in form.group_by)
    return dataclasses.replace(form, group_by=shown)


def by_team(report: HistoryReport, teams_of: Mapping[str, frozenset[str]]) -> HistoryReport:
    """``report`` (grouped by agent among others) with its rows merged per team of each
    agent (``teams_of``: agent id → its teams now)."""
    at = report.group_by.index("agent")

    def merge(rows: Sequence[ReportRow]) -> tuple[ReportRow, ...]:
        parts: dict[tuple[float, tuple[str, ...]], list[ReportRow]] = {}
        for row in rows:
            for team in sorted(teams_of.get(row.group[at], ())) or [NONE_LABEL]:
                group = (*row.group[:at], team, *row.group[at + 1 :])
                parts.setdefault((row.start_s, group), []).append(row)
        out = []
        for (_start, group), members in parts.items():
            total = group_total(members, group)
            if total is not None:
                out.append(total)
        return tuple(sorted(out, key=lambda r: (r.start_s, r.group)))

    shown = tuple(TEAM if g == "agent" else g for g in report.group_by)
    return dataclasses.replace(
        report, group_by=shown, rows=merge(report.rows), groups=merge(report.groups)
    )


def no_drill(shown: list[Line], form: ReportForm) -> list[Line]:
    """``shown`` without drill-down links when grouped by team."""
    if TEAM not in form.group_by:
        return shown
    return [dataclasses.replace(line, drill={}) for line in shown]
