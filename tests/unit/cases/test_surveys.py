"""Follow-up surveys: sent once when a case is resolved (on the customer's channel, in one
language: the record's, else their messages', else the site's), answered by SMS, low
scores followed up, opt-out and quiet period respected, nothing sent twice after a
restart; the CSAT report."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.bootstrap import case_wing, channel_wing, routing_engine, survey_wing
from kefu.domain.cases import CaseState
from kefu.domain.cases.surveys import CODEC, OPT_OUT, Answer, SurveyBook, parse_answer
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.errors import KefuError
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.cases import (
    AnswerSurvey,
    MoveCase,
    OpenCase,
    SetSurveyConsent,
    SurveyItem,
    SurveyOptions,
    SurveyWing,
    csat_report,
    customer_timeline,
)
from kefu.service.channels import Inbound, OutboundReply, SetContactConsent, UpdateCustomer
from kefu.service.routing import commands as c
from kefu.service.security import Principal, Role
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler

PHONE = Identifier(IdentifierKind.PHONE, "+8613800138000")
OTHER = Identifier(IdentifierKind.PHONE, "+8613900139000")
T0 = 1_780_000_000.0
DAY = 86_400.0


class Outbox:
    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []
        self.count = 0

    def new_external_id(self) -> str:
        self.count += 1
        return f"sms-{self.count}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


class Desk:
    """Routing, channels (SMS), cases and surveys on one in-memory store."""

    def __init__(
        self, store: InMemoryUnitOfWorkFactory | None = None, options: SurveyOptions | None = None
    ) -> None:
        self.store = store or InMemoryUnitOfWorkFactory()
        self.clock = ManualClock(T0)
        self.engine = routing_engine(
            self.store, self.clock, scheduler=ManualScheduler(), config=RouterConfig()
        )
        self.sms = Outbox()
        self.channels = channel_wing(self.engine, gateways={Channel.SMS: self.sms})
        self.cases = case_wing(self.channels)
        self.surveys: SurveyWing = survey_wing(self.cases, options)
        self.n = 0

    async def start(self, *, seed: bool = True) -> None:
        await self.engine.start()
        await self.channels.start()
        if seed:
            e = self.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=120), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh", name="李")))
            await e(c.SetAgentState("a1", "ready"))

    async def stop(self) -> None:
        await self.channels.stop()
        await self.engine.stop()

    async def sms_in(self, text: str, who: Identifier = PHONE) -> tuple[str, str | None]:
        self.n += 1
        self.clock.advance(60.0)
        got = await self.channels.receive(
            Inbound(Channel.SMS, (who,), text, self.clock.now(), f"in-{self.n}-{text[:4]}")
        )
        await self.channels.idle()
        return got.conversation_id, got.contact_id

    async def handled_case(self, who: Identifier = PHONE, text: str = "我的账单多扣了钱") -> str:
        """An SMS contact (``text``), taken by a1, a case opened from it, the contact
        wrapped up."""
        conv_id, contact_id = await self.sms_in(text, who)
        assert contact_id is not None
        contact = self.engine.router.contacts[contact_id]
        assert contact.offer_id is not None
        await self.engine.execute(c.AcceptOffer(contact_id, contact.offer_id, "a1"))
        case = await self.engine.execute(
            OpenCase("inquiry", "账单疑问", by="a1", contact_id=contact_id, owner=("agent", "a1"))
        )
        await self.channels.wrap_up("a1", conv_id, "resolved")
        await self.engine.execute(c.SetAgentState("a1", "ready"))
        await self.channels.idle()
        return str(case.case_id)

    async def move(self, case_id: str, to: str) -> None:
        await self.engine.execute(MoveCase(case_id, to, by="a1", reason="已处理"))
        await self.channels.idle()


def run(scenario: Callable[[Desk], Awaitable[None]], options: SurveyOptions | None = None) -> None:
    async def main() -> None:
        desk = Desk(options=options)
        await desk.start()
        try:
            await scenario(desk)
        finally:
            await desk.stop()

    asyncio.run(main())


def asks(desk: Desk) -> list[OutboundReply]:
    return [r for r in desk.sms.sent if "1" in r.text and "5" in r.text and "满意" in r.text]


def test_given_a_resolved_case_then_one_survey_goes_out_and_an_sms_4_is_recorded() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        assert asks(desk) == []
        await desk.move(case_id, "resolved")
        sent = asks(desk)
        assert len(sent) == 1 and sent[0].route.address == PHONE.value
        assert "How satisfied" not in sent[0].text  # one language: the customer's Chinese
        await desk.move(case_id, "closed")
        assert len(asks(desk)) == 1  # closing does not survey again

        contacts_before = len(desk.engine.router.contacts)
        await desk.sms_in("4 处理得很快")
        survey = desk.surveys.book.surveys["s1"]
        assert (survey.score, survey.comment, survey.follow_up) == (4, "处理得很快", None)
        assert (survey.sent.case_id, survey.sent.agent_id, survey.sent.queue_id) == (
            case_id,
            "a1",
            "sms",
        )
        assert len(desk.engine.router.contacts) == contacts_before  # no new contact
        case = desk.cases.store.book.case(case_id)
        assert case.state is CaseState.CLOSED and "4/5" in case.notes[-1].text
        assert "感谢" in desk.sms.sent[-1].text
        timeline = await desk.channels.read(
            lambda engine, state: customer_timeline(
                engine, state, desk.cases.store, survey.sent.customer_id,
                surveys=desk.surveys.book,
            )
        )  # fmt: skip
        answered = [i for i in timeline if isinstance(i, SurveyItem)]
        assert answered and answered[0].score == 4
        # One answer per survey: a second "5" is an ordinary message, a new contact.
        _conv, contact_id = await desk.sms_in("5")
        assert contact_id is not None and desk.surveys.book.surveys["s1"].score == 4

    run(scenario)


@pytest.mark.parametrize(
    ("said", "recorded", "english"),
    [
        ("My bill was charged twice", None, True),  # their message's language
        ("我的账单多扣了钱", "en", True),  # the record's language first
        ("My bill was charged twice", "zh", False),
        ("12345 678", None, False),  # nothing tells: the site's default (zh_Hans)
    ],
)
def test_given_the_customers_language_when_a_case_is_resolved_then_the_survey_is_in_it_only(
    said: str, recorded: str | None, english: bool
) -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case(text=said)
        if recorded is not None:
            customer = desk.cases.store.book.case(case_id).customer_id
            assert customer is not None
            await desk.engine.execute(
                UpdateCustomer(customer, by="a1", role="agent", language=recorded)
            )
        await desk.move(case_id, "resolved")
        sent = desk.sms.sent[-1].text
        assert ("How satisfied" in sent) is english
        assert ("满意" in sent) is not english

    run(scenario)


def test_given_a_low_score_when_the_case_is_resolved_then_it_reopens() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        await desk.sms_in("２分，问题还是没解决")  # full-width digit
        case = desk.cases.store.book.case(case_id)
        assert case.state is CaseState.REOPENED
        assert desk.surveys.book.surveys["s1"].follow_up == f"reopened:{case_id}"

    run(scenario)


def test_given_low_score_complaint_option_then_a_linked_complaint_case_opens() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        await desk.sms_in("1")
        book = desk.cases.store.book
        assert book.case(case_id).state is CaseState.RESOLVED
        complaint = book.case(str(len(book.cases)))
        assert complaint.case_type == "complaint" and complaint.customer_id is not None
        assert any(lk.kind == "case" and lk.target_id == case_id for lk in complaint.links)

    run(scenario, SurveyOptions(low_score="complaint"))


def test_given_a_restart_then_no_survey_is_sent_again_and_the_answer_still_counts() -> None:
    async def scenario() -> None:
        desk = Desk()
        await desk.start()
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        assert len(asks(desk)) == 1
        await desk.stop()

        again = Desk(desk.store)
        again.clock.set(desk.clock.now())
        await again.start(seed=False)
        await again.move(case_id, "closed")  # a survey state again, after the restart
        assert asks(again) == [] and len(again.surveys.book.surveys) == 1
        await again.sms_in("5")
        assert again.surveys.book.surveys["s1"].score == 5
        await again.stop()

    asyncio.run(scenario())


def test_given_an_opt_out_or_a_recent_survey_then_the_next_case_is_not_surveyed() -> None:
    async def scenario(desk: Desk) -> None:
        first = await desk.handled_case()
        await desk.move(first, "resolved")
        second = await desk.handled_case()
        await desk.move(second, "resolved")  # within the quiet period
        assert len(asks(desk)) == 1
        assert desk.surveys.book.subjects[f"case:{second}"] == "skipped:quiet_period"
        await desk.sms_in("退订")
        assert "不再" in desk.sms.sent[-1].text
        desk.clock.advance(8 * DAY)
        third = await desk.handled_case()
        await desk.move(third, "resolved")
        assert len(asks(desk)) == 1
        assert desk.surveys.book.subjects[f"case:{third}"] == "skipped:opted_out"
        customer = desk.surveys.book.surveys["s1"].sent.customer_id
        await desk.engine.execute(SetSurveyConsent(customer, True, by="a1", reason="客户同意"))
        fourth = await desk.handled_case()
        await desk.move(fourth, "resolved")
        assert len(asks(desk)) == 2
        # The stored JSON form rebuilds the same book (what a restart reads).
        book = desk.surveys.book
        stored = [json.loads(json.dumps(CODEC.to_dict(e))) for e in book.log]
        again = SurveyBook.replay(CODEC.from_dict(d) for d in stored)
        assert (again.surveys, again.subjects, again.opted_out, again.last_sent) == (
            book.surveys, book.subjects, book.opted_out, book.last_sent,
        )  # fmt: skip

    run(scenario)


def test_given_a_wrap_up_queue_then_the_contact_is_surveyed_and_bad_answers_are_refused() -> None:
    async def scenario(desk: Desk) -> None:
        conv_id, contact_id = await desk.sms_in("查询余额")
        assert contact_id is not None
        contact = desk.engine.router.contacts[contact_id]
        assert contact.offer_id is not None
        await desk.engine.execute(c.AcceptOffer(contact_id, contact.offer_id, "a1"))
        await desk.channels.wrap_up("a1", conv_id, "answered")
        await desk.channels.idle()
        assert len(asks(desk)) == 1
        survey = desk.surveys.book.surveys["s1"]
        assert survey.sent.subject == f"contact:{contact_id}" and survey.sent.case_id is None
        logged = len(desk.surveys.book.log)
        for bad in (AnswerSurvey("s1", 6), AnswerSurvey("s404", 3)):
            with pytest.raises(KefuError):
                await desk.engine.execute(bad)
        assert len(desk.surveys.book.log) == logged
        await desk.engine.execute(AnswerSurvey("s1", 2, "等太久"))
        follow_up = desk.surveys.book.surveys["s1"].follow_up
        assert follow_up is not None and follow_up.startswith("complaint:")
        with pytest.raises(KefuError) as twice:
            await desk.engine.execute(AnswerSurvey("s1", 5))
        assert twice.value.error_id == "survey_closed"

    run(scenario, SurveyOptions(wrap_up_queues=frozenset({"sms"})))


def test_given_answers_then_the_csat_report_groups_by_queue_agent_and_case_type() -> None:
    async def scenario(desk: Desk) -> None:
        scores = {PHONE: "5", OTHER: "2"}
        for who in scores:
            case_id = await desk.handled_case(who)
            await desk.move(case_id, "resolved")
        for who, text in scores.items():
            await desk.sms_in(text, who)
        book = desk.surveys.book
        boss = Principal("u1", "boss", Role.SUPERVISOR, frozenset({"sh"}))
        stranger = Principal("u2", "x", Role.SUPERVISOR, frozenset({"bj"}))
        end = desk.clock.now() + 1
        report = csat_report(book, boss, T0, end, by="agent")
        total = report.total
        assert (total.sent, total.answered, total.csat, total.low) == (2, 2, 0.5, 1)
        assert report.rows[0].key == "a1" and report.rows[0].figures.mean_score == 3.5
        by_type = csat_report(book, boss, T0, end, by="case_type").rows
        assert [(r.key, r.figures.sent) for r in by_type] == [("inquiry", 2)]
        assert csat_report(book, stranger, T0, end).total.sent == 0
        assert csat_report(book, boss, end, end + DAY).total.sent == 0
        for bad in ({"by": "mood"}, {"start": end, "end": T0}):
            with pytest.raises(KefuError):
                csat_report(
                    book, boss, bad.get("start", T0), bad.get("end", end), by=bad.get("by", "queue")
                )  # type: ignore[arg-type]

    run(scenario)


@given(st.integers(1, 5), st.text(max_size=20).filter(lambda t: not t[:1].isdigit()))
def test_given_a_score_and_any_comment_when_parsed_then_the_score_comes_back(
    score: int, comment: str
) -> None:
    parsed = parse_answer(f"{score} {comment}")
    assert isinstance(parsed, Answer) and parsed.score == score


def test_given_texts_when_parsed_then_scores_opt_outs_and_others_are_told_apart() -> None:
    assert parse_answer("5/5 很好") == Answer(5, "很好")
    assert parse_answer(" STOP ") == OPT_OUT and parse_answer("退订") == OPT_OUT
    assert parse_answer("4") == Answer(4, "") and parse_answer("3分") == Answer(3, "")
    assert parse_answer("２分，还没解决") == Answer(2, "还没解决")
    for other in ("", "6", "10", "45", "我要投诉", "0", "5号的账单有问题", "3G网络断了"):
        assert parse_answer(other) is None, other


def test_given_a_link_base_then_the_survey_message_carries_its_signed_link() -> None:
    async def scenario(desk: Desk) -> None:
        desk.surveys.secret_key = "k" * 32
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        token = desk.surveys.link_token("s1")
        assert token is not None
        text = asks(desk)[0].text
        assert f"https://kefu.example/s/{token}" in text and "作答" in text

    run(scenario, SurveyOptions(link_base="https://kefu.example/s/"))


def test_given_survey_settings_then_the_platform_wires_them_and_refuses_a_bad_one() -> None:
    import pydantic

    from kefu.bootstrap import build_test
    from kefu.config import Settings

    settings = Settings(
        survey_wrap_up_queues="sms, chat-billing,", survey_low_score="complaint",
        survey_quiet_days=1.5, survey_link_base="https://kefu.example/s",
    )  # fmt: skip
    options = build_test(settings).app.state.surveys.options
    assert options.wrap_up_queues == {"sms", "chat-billing"}
    assert (options.low_score, options.quiet_period_s) == ("complaint", 1.5 * DAY)
    assert options.link_base == "https://kefu.example/s"
    with pytest.raises(pydantic.ValidationError):
        Settings(survey_low_score="maybe")


def test_given_a_follow_up_that_cannot_be_made_then_the_answer_is_still_recorded() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        await desk.move(case_id, "resolved")
        await desk.sms_in("1 太差了")
        survey = desk.surveys.book.surveys["s1"]
        assert (survey.score, survey.follow_up) == (1, "failed:unknown_case_type")
        assert len(desk.cases.store.book.cases) == 1

    run(scenario, SurveyOptions(low_score="complaint", complaint_type="no-such-type"))


def test_given_case_moves_and_a_low_score_then_the_profile_segment_follows() -> None:
    async def scenario(desk: Desk) -> None:
        case_id = await desk.handled_case()
        directory = desk.channels.state.directory
        customer_id = directory.resolve(str(desk.cases.store.book.case(case_id).customer_id))
        await desk.move(case_id, "resolved")
        assert directory.get(customer_id).segment == "new"
        directory.set_profile(customer_id, at=desk.clock.now(), value_tier=1)
        desk.clock.advance(40 * DAY)  # no longer new
        await desk.sms_in("1 没解决")  # a low score: at risk
        assert directory.get(customer_id).segment == "at_risk"
        events = [e for e in directory.events if type(e).__name__ == "CustomerProfileChanged"]
        assert [e.segment for e in events][-1] == "at_risk"  # type: ignore[attr-defined]

    run(scenario, SurveyOptions(valid_s=60 * DAY))


def test_given_sms_consent_refused_when_a_contact_wraps_up_then_no_survey_goes_by_sms() -> None:
    async def scenario(desk: Desk) -> None:
        conv_id, contact_id = await desk.sms_in("查询余额")
        assert contact_id is not None
        customer_id = desk.channels.state.conversation(conv_id).customer_id
        refused = SetContactConsent(customer_id, "sms", False, by="a1", reason="电话中要求")
        assert await desk.engine.execute(refused) is True
        contact = desk.engine.router.contacts[contact_id]
        assert contact.offer_id is not None
        await desk.engine.execute(c.AcceptOffer(contact_id, contact.offer_id, "a1"))
        await desk.channels.wrap_up("a1", conv_id, "answered")
        await desk.channels.idle()
        assert asks(desk) == []
        assert desk.surveys.book.subjects == {f"contact:{contact_id}": "skipped:no_sms_consent"}

    run(scenario, SurveyOptions(wrap_up_queues=frozenset({"sms"})))
