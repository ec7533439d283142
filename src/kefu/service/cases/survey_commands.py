"""Commands, options and texts of the follow-up surveys (:mod:`kefu.service.cases.surveys`
handles the commands): what sends a survey and what a low score does, an answer given
outside a message, a change of consent; the survey message in the customer's language;
one survey as JSON-ready data. Times are seconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kefu.domain.cases.surveys import CSAT, LOW_SCORES, NPS, Survey, scale
from kefu.domain.errors import ValidationError
from kefu.i18n import catalogs
from kefu.service.commands import Command

__all__ = [
    "DAY_S",
    "AnswerSurvey",
    "SetSurveyConsent",
    "SurveyOptions",
    "SurveyView",
    "survey_text",
]

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class SurveyOptions:
    """``on_case_states``: the case states that send the case's survey (the first one
    reached); ``wrap_up_queues``: queues whose wrapped-up contacts get one; ``nps_queues``
    and ``nps_case_types``: a contact of one of these queues, or a case of one of these
    types, gets an NPS survey (0–10) instead of CSAT (1–5); ``low_score``: what a low score
    does, ``"reopen"`` (a resolved case; a closed one gets a complaint) or ``"complaint"``;
    ``low_csat`` and ``low_nps``: the highest score that is low (CSAT ≤ 2, NPS ≤ 6: a
    detractor); ``quiet_period_s``: no second survey to a customer within it; ``valid_s``:
    how long an answer is taken; ``complaint_type``: the case type of a low score's
    complaint."""

    on_case_states: frozenset[str] = frozenset({"resolved", "closed"})
    wrap_up_queues: frozenset[str] = field(default_factory=frozenset)
    nps_queues: frozenset[str] = field(default_factory=frozenset)
    nps_case_types: frozenset[str] = field(default_factory=frozenset)
    low_score: str = "reopen"
    low_csat: int = LOW_SCORES[CSAT]
    low_nps: int = LOW_SCORES[NPS]
    quiet_period_s: float = 7 * DAY_S
    valid_s: float = 7 * DAY_S
    complaint_type: str = "complaint"
    link_base: str | None = None
    """The public survey page's URL the link token is appended to (``None``: no link)."""

    def __post_init__(self) -> None:
        if self.low_score not in ("reopen", "complaint"):
            raise ValidationError(
                f"low_score is 'reopen' or 'complaint', not {self.low_score!r}",
                text_key="error.survey_low_score",
                low_score=self.low_score,
            )
        for kind, low in ((CSAT, self.low_csat), (NPS, self.low_nps)):
            bottom, top = scale(kind)
            if not bottom <= low < top:
                raise ValidationError(
                    f"a low {kind} score is {bottom} to {top - 1}, not {low}",
                    text_key="error.survey_low_bound",
                    kind=kind,
                    low=low,
                )

    def kind_of(self, queue_id: str | None, case_type: str | None) -> str:
        """The survey a contact of ``queue_id`` or a case of ``case_type`` gets."""
        if queue_id in self.nps_queues or case_type in self.nps_case_types:
            return NPS
        return CSAT

    @property
    def low_scores(self) -> dict[str, int]:
        """The highest low score of each kind."""
        return {CSAT: self.low_csat, NPS: self.low_nps}


@dataclass(frozen=True, slots=True)
class AnswerSurvey(Command):
    """An answer given outside a message (the chat's end screen, a survey page): a score
    of the survey's scale (CSAT 1–5, NPS 0–10)."""

    survey_id: str
    score: int
    comment: str = ""
    channel: str = "web"


@dataclass(frozen=True, slots=True)
class SetSurveyConsent(Command):
    """The customer allows or refuses follow-up surveys (recorded with who and why)."""

    customer_id: str
    allowed: bool
    by: str
    reason: str = ""


def survey_text(key: str, language: str, **values: object) -> str:
    """The message ``key`` in ``language`` (a catalog name: the customer's,
    :func:`kefu.service.channels.customer_language`)."""
    return catalogs().get(language).text(key, **values)


@dataclass(frozen=True, slots=True)
class SurveyView:
    """A follow-up survey: what was sent (to whom, about what, when, until when) and its
    answer (score, comment, when, the follow-up it caused); ``kind`` is ``csat`` (scored
    1–5) or ``nps`` (0–10), ``topic`` what it asks about. Instants in seconds."""

    survey: Survey

    @property
    def survey_id(self) -> str:
        return self.survey.sent.survey_id

    @property
    def score(self) -> int | None:
        return self.survey.score

    def to_json(self) -> dict[str, Any]:
        survey, sent = self.survey, self.survey.sent
        return {
            "survey_id": sent.survey_id,
            "subject": sent.subject,
            "customer_id": sent.customer_id,
            "channel": sent.channel,
            "sent_at": sent.at,
            "expires_at": sent.expires_at,
            "site_id": sent.site_id,
            "queue_id": sent.queue_id,
            "agent_id": sent.agent_id,
            "case_id": sent.case_id,
            "case_type": sent.case_type,
            "contact_id": sent.contact_id,
            "kind": sent.kind,
            "topic": sent.topic,
            "score": survey.score,
            "comment": survey.comment,
            "answered_at": survey.answered_at,
            "follow_up": survey.follow_up,
        }
