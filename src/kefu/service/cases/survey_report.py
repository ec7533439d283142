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

from dataclasses import dataclass
from typing import Any

from kefu.domain.cases.surveys import CSAT, NPS, SurveyBook, is_low
from kefu.domain.errors import ValidationError
from kefu.service.security.access import Principal, sees_site

__all__ = [
    "DETRACTOR",
    "GROUPS",
    "PROMOTER",
    "SATISFIED",
    "CsatFigures",
    "CsatReport",
    "CsatRow",
    "csat_report",
]

GROUPS = ("queue", "agent", "case_type", "topic")
SATISFIED = 4
"""A CSAT score at or above this one counts as satisfied in ``csat``."""
PROMOTER, DETRACTOR = 9, 6
"""An NPS score at or above ``PROMOTER`` is a promoter's, at or below ``DETRACTOR`` a
detractor's."""


@dataclass(frozen=True, slots=True)
class CsatFigures:
    """Surveys ``sent`` and ``answered``; ``response_rate`` and ``csat`` are fractions in
    [0, 1], ``mean_score`` on 1–5 (over the CSAT answers); ``nps_answered``,
    ``promoters``, ``detractors`` and ``nps`` (−100 to 100) over the NPS answers (None
    where nothing defines them); ``low`` the answers at or below their kind's low score."""

    sent: int
    answered: int
    response_rate: float | None
    mean_score: float | None
    csat: float | None
    nps_answered: int
    promoters: int
    detractors: int
    nps: float | None
    low: int

    @classmethod
    def of(
        cls, sent: int, answers: list[tuple[str, int]], low: dict[str, int] | None = None
    ) -> CsatFigures:
        """The figures of ``sent`` surveys and their ``answers`` (kind, score)."""
        csat = [s for kind, s in answers if kind == CSAT]
        nps = [s for kind, s in answers if kind == NPS]
        promoters = sum(1 for s in nps if s >= PROMOTER)
        detractors = sum(1 for s in nps if s <= DETRACTOR)
        return cls(
            sent=sent,
            answered=len(answers),
            response_rate=round(len(answers) / sent, 4) if sent else None,
            mean_score=round(sum(csat) / len(csat), 3) if csat else None,
            csat=round(sum(1 for s in csat if s >= SATISFIED) / len(csat), 4) if csat else None,
            nps_answered=len(nps),
            promoters=promoters,
            detractors=detractors,
            nps=round(100 * (promoters - detractors) / len(nps), 1) if nps else None,
            low=sum(1 for kind, s in answers if is_low(kind, s, low)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "response_rate": self.response_rate,
            "mean_score": self.mean_score,
            "csat": self.csat,
            "nps_answered": self.nps_answered,
            "promoters": self.promoters,
            "detractors": self.detractors,
            "nps": self.nps,
            "low": self.low,
        }


@dataclass(frozen=True, slots=True)
class CsatRow:
    """The figures of one group (``key``: the queue, agent, case type or topic; None
    without)."""

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
    low: dict[str, int] | None = None,
) -> CsatReport:
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
    sent_by: dict[str | None, int] = {}
    scores_by: dict[str | None, list[tuple[str, int]]] = {}
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
        sent_by[key] = sent_by.get(key, 0) + 1
        scores = scores_by.setdefault(key, [])
        if survey.score is not None:
            scores.append((sent.kind, survey.score))
    rows = []
    every: list[tuple[str, int]] = []
    for key in sorted(sent_by, key=lambda k: (-sent_by[k], str(k or "\uffff"))):
        every.extend(scores_by[key])
        rows.append(CsatRow(key, CsatFigures.of(sent_by[key], scores_by[key], low)))
    total = CsatFigures.of(sum(sent_by.values()), every, low)
    return CsatReport(start, end, by, site_id, total, tuple(rows))
