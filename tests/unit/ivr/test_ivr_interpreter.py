"""The interpreter, one behaviour at a time: menus, retries, timeouts, the agent escape,
verification, self-service, hours, callbacks, chaining, bounds and the event log."""

from __future__ import annotations

from typing import Any

import pytest
from ivr_helpers import INVALID_CARD, VALID_CARD, FixedCalendar, small_flow, small_flow_dict, t

from kefu.domain.errors import InvalidState, ValidationError
from kefu.domain.ivr import Flow, IvrContext, IvrState, UnknownCalendar, begin, next_due, replay
from kefu.domain.ivr import events as ev
from kefu.domain.ivr import messages as m
from kefu.domain.ivr import step as ivr_step
from kefu.domain.ivr.events import ivr_event_from_dict, ivr_event_to_dict, ivr_events_to_jsonl
from kefu.domain.ivr.flow_io import parse_flow
from kefu.domain.ivr.records import IvrEvents

PIN = "135790"


def full_flow_dict() -> dict[str, Any]:
    """Language → hours → account → pin → menu (balance action, callback, again, chain)."""
    return {
        "flow": "full",
        "start": "lang",
        "agent": "agent",
        "max_visits": 12,
        "nodes": {
            "lang": {"kind": "language", "prompt": t("语言", "Language"), "options": [
                {"digit": "1", "label": t("中文", "Chinese"), "language": "zh", "next": "hours"},
                {"digit": "2", "label": t("英文", "English"), "language": "en",
                 "keywords": ["english"], "next": "hours"}]},
            "hours": {"kind": "hours", "calendar": "site", "open": "account", "closed": "closed"},
            "closed": {"kind": "end", "text": t("休息", "Closed")},
            "account": {"kind": "collect", "prompt": t("卡号", "Card"), "slot": "account",
                        "min_length": 16, "max_length": 16, "luhn": True, "next": "pin"},
            "pin": {"kind": "verify", "prompt": t("密码", "PIN"), "method": "account_pin",
                    "identifier_slot": "account", "secret_length": [6, 6], "retry": "account",
                    "retries": 1, "next": "menu"},
            "menu": {"kind": "menu", "prompt": t("服务", "Service"), "options": [
                {"digit": "1", "label": t("余额", "Balance"), "keywords": ["余额", "balance"],
                 "next": "balance"},
                {"digit": "2", "label": t("回电", "Callback"), "keywords": ["回电"],
                 "next": "wait"},
                {"digit": "3", "label": t("再验证", "Again"), "next": "pin"},
                {"digit": "4", "label": t("信用卡", "Cards"), "next": "cards"}]},
            "balance": {"kind": "action", "action": "balance",
                        "params": {"account": "{account}"},
                        "outcomes": {"ok": "said"}, "default": "agent"},
            "said": {"kind": "message", "next": "menu",
                     "text": t("余额 {balance.amount}", "Balance {balance.amount}")},
            "wait": {"kind": "callback", "queue": "billing", "threshold_s": 120,
                     "announce": t("约 {wait_min} 分钟", "About {wait_min} min"),
                     "offer": t("回电按1", "Press 1 for a callback"), "next": "agent"},
            "cards": {"kind": "goto", "flow": "cards"},
            "agent": {"kind": "transfer", "queue": "billing"},
        },
    }  # fmt: skip


CTX = IvrContext(calendars={"site": FixedCalendar(0.0, 1e9)})


def full_flow() -> Flow:
    return parse_flow(full_flow_dict())


class Run:
    """A contact driven by hand; keeps every event to check replay at each step."""

    def __init__(self, flow: Flow, ctx: IvrContext = CTX, now: float = 100.0) -> None:
        self.flow, self.ctx, self.now = flow, ctx, now
        self.state, self.actions, self.events = begin(flow, "c1", now, ctx=ctx)
        self.log = list(self.events)

    def send(self, inp: m.Input, dt: float = 1.0) -> list[m.Action]:
        self.now += dt
        result = ivr_step(self.flow, self.state, inp, self.now, self.ctx)
        self.state, self.actions, self.events = result
        self.log.extend(self.events)
        assert replay(self.log) == self.state.public()
        return self.actions

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


def transfer_of(actions: list[m.Action]) -> m.Transfer:
    found = [a for a in actions if isinstance(a, m.Transfer)]
    assert len(found) == 1, actions
    return found[0]


def verified_run(flow: Flow | None = None) -> Run:
    run = Run(flow or full_flow())
    run.send(m.Reply("1"))
    run.send(m.Reply(VALID_CARD))
    run.send(m.Reply(PIN))
    run.send(m.VerifyDone(True, "cust-1"), dt=0.0)
    return run


def test_given_new_contact_when_begun_then_menu_asked_with_a_deadline() -> None:
    state, actions, events = begin(small_flow(), "c1", 50.0)
    ask = actions[0]
    assert isinstance(ask, m.Ask)
    assert ask.options == (("1", "余额"), ("2", "挂失"))
    assert ask.deadline == 55.0 == next_due(state)
    assert [type(e) for e in events] == [ev.FlowStarted, ev.NodeEntered]


def test_given_invalid_card_when_collected_then_retried_and_valid_one_accepted() -> None:
    run = Run(small_flow())
    run.send(m.Reply("1"))
    actions = run.send(m.Reply(INVALID_CARD))
    assert run.kinds() == ["InputReceived", "RetryCounted"]
    assert isinstance(actions[0], m.Ask) and actions[0].retry == 1
    actions = run.send(m.Reply(VALID_CARD[:4] + " " + VALID_CARD[4:]))
    assert run.state.slots["account"] == "•••• " + VALID_CARD[-4:]
    assert run.state.private["account"] == VALID_CARD
    assert run.state.outcome == "end"
    assert isinstance(actions[-1], m.EndContact)


def test_given_text_collect_with_pattern_when_answered_then_only_matching_values_kept() -> None:
    data = small_flow_dict()
    data["nodes"]["account"] = {
        "kind": "collect",
        "mode": "text",
        "prompt": t("车牌号", "Plate"),
        "slot": "plate",
        "pattern": "[A-Z]{2}-[0-9]{4}",
        "min_length": 7,
        "max_length": 7,
        "retries": 2,
        "next": "done",
    }
    run = Run(parse_flow(data))
    run.send(m.Reply("1"))
    for wrong in ("ab-1234", "AB-12345"):  # lower case; too long
        run.send(m.Reply(wrong))
        assert run.kinds() == ["InputReceived", "RetryCounted"], wrong
    actions = run.send(m.Reply("AB 1234"))  # a third wrong answer: out of retries
    assert transfer_of(actions).attributes["ivr.reason"] == "retries_exhausted"
    run = Run(parse_flow(data))
    run.send(m.Reply("1"))
    run.send(m.Reply("  SH-2026 "))
    assert run.kinds()[:2] == ["InputReceived", "ValueCollected"]
    assert run.state.slots["plate"] == "SH-2026"  # not a card: kept as typed (stripped)
    assert run.state.outcome == "end"


@pytest.mark.parametrize("words", ["0", "人工", "转人工", "人工服务", "agent", "I want an AGENT"])
def test_given_agent_request_when_any_node_waits_then_transferred(words: str) -> None:
    for prefix in ([], [m.Reply("1")]):  # from the menu, and from the collect node
        run = Run(small_flow())
        for inp in prefix:
            run.send(inp)
        transfer = transfer_of(run.send(m.Reply(words)))
        assert transfer.queue_id == "billing"
        assert transfer.attributes["ivr.reason"] == "agent_requested"
        assert run.state.outcome == "transfer"


def test_given_chinese_and_english_words_when_menu_then_keyword_chooses() -> None:
    for words in ("我要查余额", "check my balance"):
        run = Run(small_flow())
        run.send(m.Reply(words))
        assert run.state.node == "account"
        matched = [e for e in run.events if isinstance(e, ev.OptionMatched)]
        assert matched[0].by == "keyword" and matched[0].digit == "1"
    run = Run(small_flow())
    run.send(m.Reply("余额还是挂失"))  # two options match equally: ask again
    assert run.state.node == "main" and run.state.retries == 1


def test_given_silence_when_timer_fires_then_retries_then_agent() -> None:
    run = Run(small_flow())
    due = next_due(run.state)
    assert due is not None
    assert run.send(m.Timeout(), dt=due - run.now - 0.5) == []  # early: ignored
    assert run.events == []
    run.send(m.Timeout(), dt=0.5)
    assert run.kinds() == ["InputReceived", "RetryCounted"]
    assert next_due(run.state) == run.now + 5.0
    transfer = transfer_of(run.send(m.Timeout(), dt=5.0))
    assert transfer.attributes["ivr.reason"] == "retries_exhausted"
    assert next_due(run.state) is None


def test_given_pin_when_verified_then_secret_in_no_event_and_identity_handed_off() -> None:
    run = Run(full_flow())
    run.send(m.Reply("1"))
    run.send(m.Reply(VALID_CARD))
    actions = run.send(m.Reply(PIN))
    assert actions == [m.VerifyIdentity("pin", "account_pin", VALID_CARD, PIN)]
    assert run.state.waiting == "verify"
    run.send(m.VerifyDone(True, "cust-1"))
    assert run.state.verified is not None and run.state.verified.customer_id == "cust-1"
    run.send(m.Reply("3"))  # the menu leads to the verify node again: not asked twice
    assert run.state.node == "menu"
    transfer = transfer_of(run.send(m.Reply("0")))
    assert transfer.attributes["ivr.verified.method"] == "account_pin"
    assert transfer.attributes["ivr.verified.customer_id"] == "cust-1"
    assert transfer.attributes["ivr.path"] == "lang:1>menu:3>menu:0"
    assert PIN not in ivr_events_to_jsonl(run.log)
    assert PIN not in repr(run.state)


def test_given_wrong_pins_when_retries_exhausted_then_agent_with_reason() -> None:
    run = Run(full_flow())
    run.send(m.Reply("1"))
    run.send(m.Reply(VALID_CARD))
    run.send(m.Reply(PIN))
    run.send(m.VerifyDone(False))
    assert run.state.node == "account"  # back to the identifier
    run.send(m.Reply(VALID_CARD))
    run.send(m.Reply(PIN))
    transfer = transfer_of(run.send(m.VerifyDone(False)))
    assert transfer.attributes["ivr.reason"] == "verification_failed"
    assert "ivr.verified.method" not in transfer.attributes


def test_given_self_service_when_done_then_data_said_and_attempt_recorded() -> None:
    run = verified_run()
    actions = run.send(m.Reply("余额"))
    assert actions == [m.RunAction("balance", "balance", {"account": VALID_CARD})]
    assert run.send(m.Reply("1")) == []  # the customer types while the bank answers: ignored
    actions = run.send(m.ActionDone("ok", {"amount": "12.50"}))
    assert isinstance(actions[0], m.Say) and actions[0].text == "余额 12.50"
    assert run.state.attempts == (("balance", "ok"),)
    run.send(m.Reply("1"))
    due = next_due(run.state)
    assert due is not None
    run.send(m.Timeout(), dt=due - run.now)  # the bank never answered
    assert run.state.attempts[-1] == ("balance", "timeout")
    assert run.state.outcome == "transfer"


def test_given_unasked_driver_answer_or_finished_contact_when_step_then_refused() -> None:
    run = Run(small_flow())
    with pytest.raises(InvalidState):
        run.send(m.ActionDone("ok"))
    run.send(m.Hangup())
    assert run.state.outcome == "abandon"
    with pytest.raises(InvalidState):
        run.send(m.Reply("1"))


def test_given_calendar_when_closed_or_unknown_then_closed_branch_or_error() -> None:
    closed = IvrContext(calendars={"site": FixedCalendar(0.0, 50.0)})
    run = Run(full_flow(), closed)
    run.send(m.Reply("2"))
    assert run.state.outcome == "end" and run.state.node == "closed"
    assert run.state.language == "en"
    with pytest.raises(UnknownCalendar):
        Run(full_flow(), IvrContext()).send(m.Reply("1"))


def test_given_long_wait_when_callback_offered_then_accepted_or_declined() -> None:
    run = verified_run()
    assert run.send(m.Reply("2")) == [m.EstimateWait("wait", "billing")]
    actions = run.send(m.WaitEstimate(300.0))
    assert actions[0] == m.Say("约 5 分钟")
    transfer = transfer_of(run.send(m.Reply("回电")))
    assert transfer.callback and run.state.outcome == "callback"
    assert transfer.attributes["ivr.estimated_wait_s"] == "300"
    short = verified_run()
    short.send(m.Reply("2"))
    assert not transfer_of(short.send(m.WaitEstimate(30.0))).callback
    silent = verified_run()
    silent.send(m.Reply("2"))
    silent.send(m.WaitEstimate(600.0))
    due = next_due(silent.state)
    assert due is not None
    assert not transfer_of(silent.send(m.Timeout(), dt=due - silent.now)).callback


def test_given_goto_when_next_flow_begins_then_slots_and_verification_carried() -> None:
    run = verified_run()
    assert run.send(m.Reply("4"))[-1] == m.StartFlow("cards")
    assert run.state.outcome == "flow"
    cards = parse_flow(small_flow_dict(flow="cards"))
    state, _, events = begin(cards, "c1", run.now, carry=run.state)
    assert state.verified == run.state.verified
    assert state.slots["account"] == "•••• " + VALID_CARD[-4:]
    assert state.private["account"] == VALID_CARD
    assert replay(events) == state.public()


def test_given_caller_looping_in_menus_when_max_visits_then_agent() -> None:
    run = verified_run()
    for _ in range(20):
        if run.state.finished:
            break
        run.send(m.Reply("3"))
    transfer = transfer_of(run.actions)
    assert transfer.attributes["ivr.reason"] == "max_visits"
    assert run.state.visits <= run.flow.max_visits + 1


def test_given_event_log_when_encoded_then_round_trips_byte_stable() -> None:
    run = verified_run()
    run.send(m.Reply("1"))
    run.send(m.ActionDone("ok", {"amount": "1.00"}))
    run.send(m.Reply("人工"))
    back = [ivr_event_from_dict(ivr_event_to_dict(e)) for e in run.log]
    assert back == run.log
    assert ivr_events_to_jsonl(back) == ivr_events_to_jsonl(run.log)
    assert '"type":"HandedOff"' in ivr_events_to_jsonl(run.log)


def test_given_state_of_other_flow_version_when_step_then_refused() -> None:
    state: IvrState = begin(small_flow(), "c1", 0.0)[0]
    with pytest.raises(Exception, match="another flow version"):
        ivr_step(small_flow().with_version(2), state, m.Reply("1"), 1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -5.0])
def test_given_bad_wait_estimate_when_step_then_refused_and_state_kept(bad: float) -> None:
    run = verified_run()
    run.send(m.Reply("2"))
    before = run.state
    with pytest.raises(ValidationError, match="predicted wait"):
        ivr_step(run.flow, before, m.WaitEstimate(bad), run.now, run.ctx)
    assert run.state == before and run.state.waiting == "estimate"


def test_given_huge_reply_when_step_then_cut_and_handled_as_no_match() -> None:
    run = Run(small_flow())
    run.send(m.Reply("余额" * 100_000))
    received = [e for e in run.events if isinstance(e, ev.InputReceived)]
    assert len(received[0].text) == 1000
    assert run.state.node == "account"  # the keyword is still found in the kept part


def test_given_a_step_when_its_events_are_read_then_built_once_and_equal_to_their_records() -> None:
    flow = small_flow()
    state, _, started = begin(flow, "c-1", 100.0, ctx=CTX)
    state, _, events = ivr_step(flow, state, m.Reply("1"), 101.0, CTX)
    assert len(events) == len(list(events)) >= 2 and events
    first = list(events)
    assert all(a is b for a, b in zip(first, events, strict=True))  # the same objects again
    assert events == first and events[0] is first[0] and events[-2:] == first[-2:]
    assert isinstance(first[0], ev.InputReceived) and first[0].text == "1"
    assert replay([*started, *events]) == state.public()
    assert isinstance(events, IvrEvents)
    assert events.dicts() == [ivr_event_to_dict(e) for e in events]
    assert [(r[0], r[1], r[3]) for r in events.records()] == [
        (type(e), e.at, getattr(e, "node_id", None)) for e in events
    ]
    _, actions, ignored = ivr_step(flow, state, m.Timeout(), 101.5, CTX)  # early: nothing
    assert not ignored and ignored == [] and actions == []
