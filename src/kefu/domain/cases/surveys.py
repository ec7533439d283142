"""Follow-up surveys (seed 002's after-sales follow-up): one short question with an optional
comment, sent to the customer after a case is resolved or a contact wrapped up, on the
channel the customer used: CSAT (how satisfied, 1–5) or NPS (how likely to recommend us,
0–10), the :data:`KINDS`.

A :class:`SurveyBook` is event-sourced like the case book: each change is an event of
:data:`CODEC`'s family, applied by one fold and appended to :attr:`SurveyBook.log`, so a
restart rebuilds the same book and a survey already sent (or skipped) for a subject is
never sent again. A subject is ``case:<id>`` or ``contact:<id>``. Times are seconds.

:func:`parse_answer` reads a customer's text message: a score of the survey's scale
(``"4"``, ``"４分 很好"``, ``"5/5"``, ``"9/10"``) with the rest as comment, or an opt-out
(``STOP``, ``退订``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

from kefu.domain.cases.errors import SurveyClosed, UnknownSurvey
from kefu.domain.codec import EventCodec
from kefu.domain.errors import ValidationError
from kefu.domain.events import Event

__all__ = [
    "CODEC",
    "CSAT",
    "KINDS",
    "LOW_SCORE",
    "LOW_SCORES",
    "NPS",
    "OPT_OUT",
    "SCORE_MAX",
    "SCORE_MIN",
    "Answer",
    "Survey",
    "SurveyAnswered",
    "SurveyBook",
    "SurveyConsentChanged",
    "SurveyEvent",
    "SurveySent",
    "SurveySkipped",
    "is_low",
    "parse_answer",
    "scale",
]

CSAT, NPS = "csat", "nps"
KINDS = (CSAT, NPS)
SCORE_MIN, SCORE_MAX = 1, 5
"""The CSAT scale."""
_SCALES = {CSAT: (SCORE_MIN, SCORE_MAX), NPS: (0, 10)}
LOW_SCORE = 2
"""A CSAT score at or below this one calls for a follow-up (a reopened case or a complaint)."""
LOW_SCORES = {CSAT: LOW_SCORE, NPS: 6}
"""The default low score of each kind: CSAT ≤ 2, NPS ≤ 6 (a detractor)."""
OPT_OUT = "opt_out"
""":func:`parse_answer`'s result for a customer who asks for no more surveys."""
_STOP_WORDS = frozenset({"stop", "unsubscribe", "td", "退订", "取消", "不要再发"})
# A score alone, or followed by a separator and a comment: "5号的账单" (the bill of the 5th)
# is not an answer.
_SCORE = re.compile(
    r"^\s*(10|[0-9])\s*(?:/\s*(?:5|10)|分|星|stars?|points?)?(?:[\s,.:;!，。：；、！\-]+(.*))?$",
    re.IGNORECASE | re.DOTALL,
)


def scale(kind: str) -> tuple[int, int]:
    """The lowest and highest score of a survey kind (CSAT 1–5, NPS 0–10)."""
    found = _SCALES.get(kind)
    if found is None:
        raise ValidationError(
            f"a survey is one of {', '.join(KINDS)}, not {kind!r}",
            text_key="error.survey_kind",
            kind=kind,
        )
    return found


def is_low(kind: str, score: int, low: dict[str, int] | None = None) -> bool:
    """Whether ``score`` of a ``kind`` survey is low (at or below ``low[kind]``, by default
    :data:`LOW_SCORES`)."""
    return score <= (low or LOW_SCORES)[kind]


@dataclass(frozen=True, slots=True)
class Answer:
    score: int
    comment: str


def parse_answer(text: str, kind: str = CSAT) -> Answer | str | None:
    """A score of the ``kind``'s scale (CSAT 1–5, NPS 0–10) and the comment after it,
    :data:`OPT_OUT`, or ``None`` when the text is neither (full-width digits count: the
    text is NFKC-normalized)."""
    plain = unicodedata.normalize("NFKC", text).strip()
    if plain.lower().strip(" .!。！") in _STOP_WORDS:
        return OPT_OUT
    found = _SCORE.match(plain)
    if found is None:
        return None
    low, high = scale(kind)
    score = int(found.group(1))
    if not low <= score <= high:
        return None
    return Answer(score, (found.group(2) or "").strip()[:1000])


# -- events ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SurveyEvent(Event):
    """Base of the survey events."""


@dataclass(frozen=True, slots=True)
class SurveySent(SurveyEvent):
    """A ``kind`` survey (CSAT or NPS) about ``subject`` went to ``customer_id`` on
    ``channel`` (in ``conversation_id``); the rest says what it rates (for the reports:
    ``topic`` is the contact's topic attribute, else the case type). It can be answered
    until ``expires_at``."""

    survey_id: str
    subject: str
    customer_id: str
    channel: str
    conversation_id: str | None
    site_id: str | None
    queue_id: str | None
    agent_id: str | None
    case_id: str | None
    case_type: str | None
    contact_id: str | None
    expires_at: float
    kind: str = CSAT
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class SurveySkipped(SurveyEvent):
    """No survey about ``subject``: ``reason`` is ``opted_out``, ``quiet_period`` or
    ``no_channel``. Recorded so the subject is decided once."""

    subject: str
    customer_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class SurveyAnswered(SurveyEvent):
    """The customer's answer; ``follow_up`` names what a low score caused
    (``reopened:<case>``, ``complaint:<case>``) or is ``None``."""

    survey_id: str
    score: int
    comment: str
    channel: str
    follow_up: str | None


@dataclass(frozen=True, slots=True)
class SurveyConsentChanged(SurveyEvent):
    """The customer allows (``allowed``) or refuses surveys from now on."""

    customer_id: str
    allowed: bool
    by: str
    reason: str


CODEC: EventCodec[SurveyEvent] = EventCodec(
    (SurveySent, SurveySkipped, SurveyAnswered, SurveyConsentChanged), family="survey "
)
"""The JSON form of the survey events."""


# -- the book -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Survey:
    """One sent survey as of its last event (``score`` ``None`` until answered)."""

    sent: SurveySent
    score: int | None = None
    comment: str = ""
    answered_at: float | None = None
    answer_channel: str | None = None
    follow_up: str | None = None

    @property
    def survey_id(self) -> str:
        return self.sent.survey_id


class SurveyBook:
    """Every survey, the subjects decided and the customers' consent."""

    def __init__(self) -> None:
        self.surveys: dict[str, Survey] = {}
        self.subjects: dict[str, str] = {}
        """Subject → the survey id sent, or ``skipped:<reason>``."""
        self.opted_out: set[str] = set()
        self.last_sent: dict[str, float] = {}
        """Customer id → when the last survey went to them."""
        self.by_conversation: dict[str, str] = {}
        """Conversation id → the newest survey sent in it."""
        self.log: list[SurveyEvent] = []

    @classmethod
    def replay(cls, events: Iterable[SurveyEvent]) -> SurveyBook:
        book = cls()
        for event in events:
            book._apply(event)
        return book

    # -- questions ------------------------------------------------------------------------
    def decided(self, subject: str) -> bool:
        return subject in self.subjects

    def skip_reason(self, customer_ids: Iterable[str], now: float, quiet_s: float) -> str | None:
        """Why the customer (known by all its merged ``customer_ids``) gets no survey at
        ``now``: ``opted_out``, ``quiet_period`` (one within ``quiet_s``), or ``None``."""
        ids = set(customer_ids)
        if ids & self.opted_out:
            return "opted_out"
        last = max((self.last_sent.get(i, float("-inf")) for i in ids), default=float("-inf"))
        if now - last < quiet_s:
            return "quiet_period"
        return None

    def pending(self, customer_ids: Iterable[str], channel: str, now: float) -> Survey | None:
        """The customer's newest unanswered survey on ``channel`` still open at ``now``."""
        ids = set(customer_ids)
        found: Survey | None = None
        for survey in self.surveys.values():
            sent = survey.sent
            if sent.customer_id not in ids or sent.channel != channel:
                continue
            if survey.score is not None or sent.expires_at <= now:
                continue
            if found is None or sent.at >= found.sent.at:
                found = survey
        return found

    def get(self, survey_id: str) -> Survey:
        survey = self.surveys.get(survey_id)
        if survey is None:
            raise UnknownSurvey(
                f"unknown survey {survey_id}", text_key="error.unknown_survey", survey_id=survey_id
            )
        return survey

    # -- changes --------------------------------------------------------------------------
    def send(self, event: SurveySent) -> None:
        if event.subject in self.subjects or event.survey_id in self.surveys:
            raise ValidationError(
                f"a survey about {event.subject} was decided already",
                text_key="error.survey_decided",
                subject=event.subject,
            )
        self._record(event)

    def skip(self, at: float, subject: str, customer_id: str | None, reason: str) -> None:
        if subject not in self.subjects:
            self._record(SurveySkipped(at, subject, customer_id, reason))

    def answer(
        self,
        survey_id: str,
        score: int,
        comment: str,
        at: float,
        *,
        channel: str,
        follow_up: str | None = None,
        dry_run: bool = False,
    ) -> Survey:
        """Record the answer; refused when the survey was answered (one answer each),
        expired, or the score is off its kind's scale. ``dry_run`` only checks."""
        survey = self.get(survey_id)
        low, high = scale(survey.sent.kind)
        if not low <= score <= high:
            raise ValidationError(
                f"a score is {low} to {high}, not {score}",
                text_key="error.survey_score",
                score=score,
                low=low,
                high=high,
            )
        if survey.score is not None:
            raise SurveyClosed(
                f"survey {survey_id} was answered already",
                text_key="error.survey_answered",
                survey_id=survey_id,
            )
        if survey.sent.expires_at <= at:
            raise SurveyClosed(
                f"survey {survey_id} has expired",
                text_key="error.survey_expired",
                survey_id=survey_id,
            )
        if not dry_run:
            self._record(SurveyAnswered(at, survey_id, score, comment[:1000], channel, follow_up))
        return self.surveys[survey_id]

    def consent(self, customer_id: str, allowed: bool, at: float, *, by: str, reason: str) -> bool:
        """Record a change of consent; False when nothing changes."""
        if (customer_id not in self.opted_out) == allowed:
            return False
        self._record(SurveyConsentChanged(at, customer_id, allowed, by, reason[:200]))
        return True

    def _record(self, event: SurveyEvent) -> None:
        self._apply(event)
        self.log.append(event)

    def _apply(self, e: SurveyEvent) -> None:
        if isinstance(e, SurveySent):
            self.surveys[e.survey_id] = Survey(e)
            self.subjects[e.subject] = e.survey_id
            if e.conversation_id is not None:
                self.by_conversation[e.conversation_id] = e.survey_id
            self.last_sent[e.customer_id] = max(self.last_sent.get(e.customer_id, e.at), e.at)
        elif isinstance(e, SurveySkipped):
            self.subjects[e.subject] = f"skipped:{e.reason}"
        elif isinstance(e, SurveyAnswered):
            before = self.surveys[e.survey_id]
            self.surveys[e.survey_id] = replace(
                before,
                score=e.score,
                comment=e.comment,
                answered_at=e.at,
                answer_channel=e.channel,
                follow_up=e.follow_up,
            )
        elif isinstance(e, SurveyConsentChanged):
            if e.allowed:
                self.opted_out.discard(e.customer_id)
            else:
                self.opted_out.add(e.customer_id)
