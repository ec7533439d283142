"""NPS (0–10) beside CSAT (1–5): the survey kind follows the queue / case type rules, the
SMS answer is read on the survey's scale, a detractor's score (≤ 6, configurable) follows the
low-score rule, and the report gives NPS = promoters − detractors next to CSAT."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_surveys import Desk, run

from kefu.domain.cases import CaseState
from kefu.domain.cases.surveys import (
    CODEC,
    NPS,
    Answer,
    SurveyAnswered,
    SurveyBook,
    SurveySent,
    parse_answer,
)
from kefu.domain.errors import KefuError, ValidationError
from kefu.service.cases import AnswerSurvey, SurveyOptions, csat_report
from kefu.service.security import Principal, Role

T0 = 1_780_000_000.0
NPS_SMS = SurveyOptions(nps_queues=frozenset({"sms"}))


def _nps_asks(desk: Desk) -> list[str]:
    return [r.text for r in desk.sms.sent if "0" in r.text and "10" in r.text and "推荐" in r.text]


def test_given_an_nps_queue_when_the_case_is_resolved_then_an_nps_question_goes_and_9_counts() -> (
    None
):
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        texts = _nps_asks(desk)
        assert len(texts) == 1 and "recommend" not in texts[0]  # the customer's Chinese only
        assert desk.surveys.book.surveys["s1"].sent.kind == NPS
        await desk.sms_in("9 很专业")
        survey = desk.surveys.book.surveys["s1"]
        assert (survey.score, survey.comment, survey.follow_up) == (9, "很专业", None)
        assert "9/10" in desk.cases.store.book.case(case_id).notes[-1].text

    run(scenario, NPS_SMS)


def test_given_an_nps_survey_when_the_customer_answers_6_then_the_case_reopens() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        await desk.sms_in("6")
        assert desk.cases.store.book.case(case_id).state is CaseState.REOPENED
        assert desk.surveys.book.surveys["s1"].follow_up == f"reopened:{case_id}"

    run(scenario, NPS_SMS)


def test_given_a_lower_nps_bound_when_the_customer_answers_6_then_nothing_follows() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        await desk.sms_in("6")
        assert desk.cases.store.book.case(case_id).state is CaseState.RESOLVED
        assert desk.surveys.book.surveys["s1"].follow_up is None

    run(scenario, SurveyOptions(nps_case_types=frozenset({"inquiry"}), low_nps=4))


def test_given_an_nps_survey_when_answered_off_its_scale_then_it_is_refused() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        with pytest.raises(ValidationError):
            await desk.engine.execute(AnswerSurvey("s1", 11))
        done = await desk.engine.execute(AnswerSurvey("s1", 0, "太慢"))
        assert done.score == 0 and done.survey.sent.kind == NPS

    run(scenario, NPS_SMS)


@given(st.integers(0, 10), st.text(max_size=20).filter(lambda t: not t[:1].isdigit()))
def test_given_an_nps_score_and_any_comment_when_parsed_then_the_score_comes_back(
    score: int, comment: str
) -> None:
    parsed = parse_answer(f"{score} {comment}", NPS)
    assert isinstance(parsed, Answer) and parsed.score == score


def test_given_texts_when_parsed_for_nps_then_0_to_10_count_and_csat_keeps_1_to_5() -> None:
    assert parse_answer("10分 非常好", NPS) == Answer(10, "非常好")
    assert parse_answer("0", NPS) == Answer(0, "") and parse_answer("9/10", NPS) == Answer(9, "")
    for other in ("11", "100", "105", "3G网络断了"):
        assert parse_answer(other, NPS) is None, other
    assert parse_answer("10") is None and parse_answer("0") is None


def test_given_bad_low_bounds_then_the_options_are_refused() -> None:
    for bad in ({"low_nps": 10}, {"low_csat": 5}, {"low_nps": -1}):
        with pytest.raises(KefuError):
            SurveyOptions(**bad)  # type: ignore[arg-type]


def test_given_an_old_record_without_a_kind_when_read_then_it_is_a_csat_survey() -> None:
    sent = SurveySent(T0, "s1", "case:1", "c1", "sms", None, "sh", "q", "a", "1", "t", None, T0)
    data = CODEC.to_dict(sent)
    del data["kind"], data["topic"]
    assert CODEC.from_dict(data) == sent and sent.kind == "csat"


def test_given_nps_and_csat_answers_then_the_report_gives_nps_next_to_csat_by_topic() -> None:
    def sent(n: int, kind: str, topic: str) -> SurveySent:
        return SurveySent(
            T0 + n, f"s{n}", f"contact:{n}", f"c{n}", "sms", None, "sh", "q1", "a1", None,
            None, f"k{n}", T0 + 1e6, kind=kind, topic=topic,
        )  # fmt: skip

    scores = {1: ("nps", 10), 2: ("nps", 9), 3: ("nps", 7), 4: ("nps", 3), 5: ("csat", 5)}
    events: list[SurveySent | SurveyAnswered] = []
    for n, (kind, score) in scores.items():
        events.append(sent(n, kind, "billing"))
        events.append(SurveyAnswered(T0 + 100 + n, f"s{n}", score, "", "sms", None))
    events.append(sent(6, "nps", "card"))  # not answered
    book = SurveyBook.replay(events)
    boss = Principal("u0", "boss", Role.ADMIN, frozenset())
    report = csat_report(book, boss, T0, T0 + 10, by="topic")
    billing = next(r.figures for r in report.rows if r.key == "billing")
    assert (billing.promoters, billing.detractors, billing.nps_answered) == (2, 1, 4)
    assert billing.nps == 25.0 and billing.csat == 1.0 and billing.low == 1
    card = next(r.figures for r in report.rows if r.key == "card")
    assert card.nps is None and card.answered == 0
    assert report.total.nps == 25.0 and report.total.sent == 6
    strict = csat_report(book, boss, T0, T0 + 10, by="topic", low={"csat": 2, "nps": 7})
    assert strict.total.low == 2
