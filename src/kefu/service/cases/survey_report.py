"""The CSAT report: follow-up surveys sent in a period, grouped by queue, agent or case type.

For each group: ``sent``, ``answered``, ``response_rate`` (answered / sent),
``mean_score`` (1–5) and ``csat``, the share of answers scoring 4 or 5 (the usual CSAT
definition), ``low`` (answers ≤ 2, each of which caused a follow-up). A survey belongs to
the period of its sending; the caller sees the surveys of its sites (admins all).
"""

from __future__ import annotations

from typing import Any

from kefu.domain.cases.surveys import LOW_SCORE, SurveyBook
from kefu.domain.errors import ValidationError
from kefu.service.security.access import Principal, sees_site

__all__ = ["GROUPS", "SATISFIED", "csat_report"]

GROUPS = ("queue", "agent", "case_type")
SATISFIED = 4
"""A score at or above this one counts as satisfied in ``csat``."""


def csat_report(
    book: SurveyBook,
    user: Principal,
    start: float,
    end: float,
    *,
    by: str = "queue",
    site_id: str | None = None,
) -> dict[str, Any]:
    """Surveys sent in ``[start, end)`` (seconds) the caller sees, grouped ``by`` one of
    :data:`GROUPS`; rows by most sent first. A survey without the grouped value (a
    contact's survey has no case type) is in the ``None`` row."""
    if by not in GROUPS:
        raise ValidationError(
            f"group by one of {', '.join(GROUPS)}, not {by!r}",
            text_key="error.csat_group",
            group=by,
        )
    if end <= start:
        raise ValidationError("the period ends before it starts", text_key="error.period_order")
    rows: dict[str | None, dict[str, Any]] = {}
    for survey in book.surveys.values():
        sent = survey.sent
        if not start <= sent.at < end:
            continue
        if sent.site_id is None or not sees_site(user, sent.site_id):
            continue
        if site_id is not None and sent.site_id != site_id:
            continue
        key = {"queue": sent.queue_id, "agent": sent.agent_id, "case_type": sent.case_type}[by]
        row = rows.setdefault(key, {by: key, "sent": 0, "answered": 0, "_scores": []})
        row["sent"] += 1
        if survey.score is not None:
            row["answered"] += 1
            row["_scores"].append(survey.score)
    out = []
    total_sent, every = 0, []
    for row in sorted(rows.values(), key=lambda r: (-r["sent"], str(r[by] or "\uffff"))):
        scores: list[int] = row.pop("_scores")
        total_sent += row["sent"]
        every.extend(scores)
        row.update(_figures(row["sent"], scores))
        out.append(row)
    return {
        "from": start,
        "to": end,
        "by": by,
        "site_id": site_id,
        "sent": total_sent,
        "answered": len(every),
        **_figures(total_sent, every),
        "rows": out,
    }


def _figures(sent: int, scores: list[int]) -> dict[str, Any]:
    answered = len(scores)
    return {
        "response_rate": round(answered / sent, 4) if sent else None,
        "mean_score": round(sum(scores) / answered, 3) if answered else None,
        "csat": round(sum(1 for s in scores if s >= SATISFIED) / answered, 4) if answered else None,
        "low": sum(1 for s in scores if s <= LOW_SCORE),
    }
