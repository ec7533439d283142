"""The CSAT and NPS report: follow-up surveys sent in a period, grouped by queue, agent,
case type or topic.

For each group: ``sent``, ``answered``, ``response_rate`` (answered / sent); over the CSAT
answers (1–5) ``mean_score`` and ``csat``, the share of answers scoring 4 or 5 (the usual
CSAT definition); over the NPS answers (0–10) ``nps_answered``, ``promoters`` (9–10),
``detractors`` (0–6) and ``nps`` = 100 × (promoters − detractors) / NPS answers (−100 to
100, the usual definition); ``low``, the answers at or below their kind's low score (CSAT
≤ 2, NPS ≤ 6 by default), each of which caused a follow-up. A survey belongs to the period
of its sending; the caller sees the surveys of its sites (admins all).
"""

from __future__ import annotations

from typing import Any

from kefu.domain.cases.surveys import CSAT, NPS, SurveyBook, is_low
from kefu.domain.errors import ValidationError
from kefu.service.security.access import Principal, sees_site

__all__ = ["DETRACTOR", "GROUPS", "PROMOTER", "SATISFIED", "csat_report"]

GROUPS = ("queue", "agent", "case_type", "topic")
SATISFIED = 4
"""A CSAT score at or above this one counts as satisfied in ``csat``."""
PROMOTER, DETRACTOR = 9, 6
"""An NPS score at or above ``PROMOTER`` is a promoter's, at or below ``DETRACTOR`` a
detractor's."""


def csat_report(
    book: SurveyBook,
    user: Principal,
    start: float,
    end: float,
    *,
    by: str = "queue",
    site_id: str | None = None,
    low: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Surveys sent in ``[start, end)`` (seconds) the caller sees, grouped ``by`` one of
    :data:`GROUPS`; rows by most sent first. A survey without the grouped value (a
    contact's survey has no case type) is in the ``None`` row. ``low`` is the highest low
    score of each kind (default CSAT 2, NPS 6)."""
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
        key = {
            "queue": sent.queue_id,
            "agent": sent.agent_id,
            "case_type": sent.case_type,
            "topic": sent.topic,
        }[by]
        row = rows.setdefault(key, {by: key, "sent": 0, "_scores": []})
        row["sent"] += 1
        if survey.score is not None:
            row["_scores"].append((sent.kind, survey.score))
    out = []
    total_sent, every = 0, []
    for row in sorted(rows.values(), key=lambda r: (-r["sent"], str(r[by] or "\uffff"))):
        scores: list[tuple[str, int]] = row.pop("_scores")
        total_sent += row["sent"]
        every.extend(scores)
        row.update(_figures(row["sent"], scores, low))
        out.append(row)
    return {
        "from": start,
        "to": end,
        "by": by,
        "site_id": site_id,
        "sent": total_sent,
        **_figures(total_sent, every, low),
        "rows": out,
    }


def _figures(
    sent: int, answers: list[tuple[str, int]], low: dict[str, int] | None
) -> dict[str, Any]:
    csat = [s for kind, s in answers if kind == CSAT]
    nps = [s for kind, s in answers if kind == NPS]
    promoters = sum(1 for s in nps if s >= PROMOTER)
    detractors = sum(1 for s in nps if s <= DETRACTOR)
    return {
        "answered": len(answers),
        "response_rate": round(len(answers) / sent, 4) if sent else None,
        "mean_score": round(sum(csat) / len(csat), 3) if csat else None,
        "csat": round(sum(1 for s in csat if s >= SATISFIED) / len(csat), 4) if csat else None,
        "nps_answered": len(nps),
        "promoters": promoters,
        "detractors": detractors,
        "nps": round(100 * (promoters - detractors) / len(nps), 1) if nps else None,
        "low": sum(1 for kind, s in answers if is_low(kind, s, low)),
    }
