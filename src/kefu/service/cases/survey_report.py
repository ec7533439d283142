"""The CSAT report: follow-up surveys sent in a period, grouped by queue, agent or case type.

For each group: ``sent``, ``answered``, ``response_rate`` (answered / sent),
``mean_score`` (1–5) and ``csat``, the share of answers scoring 4 or 5 (the usual CSAT
definition), ``low`` (answers ≤ 2, each of which caused a follow-up). A survey belongs to
the period of its sending; the caller sees the surveys of its sites (admins all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.domain.cases.surveys import LOW_SCORE, SurveyBook
from kefu.domain.errors import ValidationError
from kefu.service.security.access import Principal, sees_site

__all__ = ["GROUPS", "SATISFIED", "CsatFigures", "CsatReport", "CsatRow", "csat_report"]

GROUPS = ("queue", "agent", "case_type")
SATISFIED = 4
"""A score at or above this one counts as satisfied in ``csat``."""


@dataclass(frozen=True, slots=True)
class CsatFigures:
    """Surveys ``sent`` and ``answered``; ``response_rate`` and ``csat`` are fractions in
    [0, 1], ``mean_score`` on 1–5 (None where nothing defines them); ``low`` answers ≤ 2."""

    sent: int
    answered: int
    response_rate: float | None
    mean_score: float | None
    csat: float | None
    low: int

    @classmethod
    def of(cls, sent: int, scores: list[int]) -> CsatFigures:
        answered = len(scores)
        return cls(
            sent,
            answered,
            round(answered / sent, 4) if sent else None,
            round(sum(scores) / answered, 3) if answered else None,
            round(sum(1 for s in scores if s >= SATISFIED) / answered, 4) if answered else None,
            sum(1 for s in scores if s <= LOW_SCORE),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "response_rate": self.response_rate,
            "mean_score": self.mean_score,
            "csat": self.csat,
            "low": self.low,
        }


@dataclass(frozen=True, slots=True)
class CsatRow:
    """The figures of one group (``key``: the queue, agent or case type; None without)."""

    key: str | None
    figures: CsatFigures


@dataclass(frozen=True, slots=True)
class CsatReport:
    """Surveys sent in ``[start, end)`` (seconds) grouped ``by``: the total and the rows."""

    start: float
    end: float
    by: str
    site_id: str | None
    total: CsatFigures
    rows: tuple[CsatRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start,
            "to": self.end,
            "by": self.by,
            "site_id": self.site_id,
            **self.total.to_json(),
            "rows": [{self.by: r.key, **r.figures.to_json()} for r in self.rows],
        }


def csat_report(
    book: SurveyBook,
    user: Principal,
    start: float,
    end: float,
    *,
    by: str = "queue",
    site_id: str | None = None,
) -> CsatReport:
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
    sent_by: dict[str | None, int] = {}
    scores_by: dict[str | None, list[int]] = {}
    for survey in book.surveys.values():
        sent = survey.sent
        if not start <= sent.at < end:
            continue
        if sent.site_id is None or not sees_site(user, sent.site_id):
            continue
        if site_id is not None and sent.site_id != site_id:
            continue
        key = {"queue": sent.queue_id, "agent": sent.agent_id, "case_type": sent.case_type}[by]
        sent_by[key] = sent_by.get(key, 0) + 1
        scores = scores_by.setdefault(key, [])
        if survey.score is not None:
            scores.append(survey.score)
    rows = []
    every: list[int] = []
    for key in sorted(sent_by, key=lambda k: (-sent_by[k], str(k or "\uffff"))):
        every.extend(scores_by[key])
        rows.append(CsatRow(key, CsatFigures.of(sent_by[key], scores_by[key])))
    total = CsatFigures.of(sum(sent_by.values()), every)
    return CsatReport(start, end, by, site_id, total, tuple(rows))
