"""The demo bank flow end to end: the interpreter, the bank's actions and the jieba tokenizer."""

from __future__ import annotations

import pytest
from ivr_helpers import BANK_YAML, FixedCalendar

from kefu.adapters.ivr.bank_actions import FakeBank, luhn_complete
from kefu.adapters.ivr.driver import LocalDriver, Turn
from kefu.adapters.ivr.files import load_flow
from kefu.adapters.ivr.tokenizer import JiebaTokenizer
from kefu.domain.ivr import IvrContext, replay
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.lint import lint
from kefu.domain.ivr.matching import luhn_ok

TOKENIZER = JiebaTokenizer()


def driver(bank: FakeBank, wait_s: float = 300.0, open_: bool = True) -> LocalDriver:
    calendar = FixedCalendar(0.0, 1e12) if open_ else FixedCalendar(0.0, 0.0)
    ctx = IvrContext(TOKENIZER, {"bank": calendar})
    return LocalDriver(load_flow(BANK_YAML), bank.actions(), bank.verify, lambda _q: wait_s, ctx)


class Caller:
    def __init__(self, d: LocalDriver) -> None:
        self.d, self.now = d, 1000.0
        self.turn = d.start("call-1", self.now)
        self.log = list(self.turn.events)

    def say(self, text: str) -> Turn:
        self.now += 3.0
        self.turn = self.d.send(self.turn.state, m.Reply(text), self.now)
        self.log.extend(self.turn.events)
        return self.turn

    def texts(self) -> str:
        return " | ".join(a.text for a in self.turn.actions if isinstance(a, m.Say))


def verified_caller(bank: FakeBank, language: str = "中文", **kw: float) -> Caller:
    account = next(iter(bank.accounts.values()))
    caller = Caller(driver(bank, **kw))
    caller.say(language)
    caller.say(account.card)
    caller.say(account.pin)
    assert caller.turn.state.node == "main"
    return caller


def test_given_bank_flow_when_linted_then_clean() -> None:
    assert lint(load_flow(BANK_YAML)) == []


def test_given_fake_bank_when_generated_then_deterministic_with_valid_cards() -> None:
    a, b = FakeBank(seed=7), FakeBank(seed=7)
    assert [x.card for x in a.accounts.values()] == [x.card for x in b.accounts.values()]
    assert all(luhn_ok(card) and len(card) == 16 for card in a.accounts)
    assert luhn_ok(luhn_complete("621588139986987"))


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("查余额", "可用余额"),
        ("我的卡丢了，要挂失", "确认挂失"),
        ("最近的交易明细", "最近 3 笔交易"),
        ("账单", "本期账单"),
    ],
)
def test_given_verified_caller_when_asking_in_chinese_then_self_service_answers(
    words: str, said: str
) -> None:
    bank = FakeBank()
    caller = verified_caller(bank)
    caller.say(words)
    prompt = " ".join(a.prompt for a in caller.turn.actions if isinstance(a, m.Ask))
    assert said in caller.texts() + prompt


def test_given_lost_card_when_confirmed_then_card_blocked_once() -> None:
    bank = FakeBank()
    caller = verified_caller(bank)
    account = next(iter(bank.accounts.values()))
    caller.say("我要挂失")
    caller.say("1")
    assert account.blocked
    assert f"尾号 {account.card[-4:]}" in caller.texts()
    caller.say("其他")
    caller.say("挂失")
    caller.say("确认")
    blocks = caller.turn.state.attempts[-2:]
    assert blocks == (("card_block", "blocked"), ("card_block", "already_blocked"))


def test_given_english_caller_when_balance_then_answered_in_english() -> None:
    bank = FakeBank()
    caller = verified_caller(bank, language="English please")
    caller.say("What is my balance?")
    assert "Your available balance is CNY" in caller.texts()


@pytest.mark.parametrize(
    ("language", "words", "expected"),
    [
        ("中文", "账单", "本期账单 {total} 元，其中消费 {purchases} 元，年费 {fee} 元。"),
        ("English please", "bill", "This statement is CNY {total}: purchases CNY {purchases}"),
    ],
)
def test_given_caller_when_bill_explained_then_statement_is_in_their_language_only(
    language: str, words: str, expected: str
) -> None:
    bank = FakeBank()
    account = next(iter(bank.accounts.values()))
    account.fee_cents, account.statement_cents = 2_500, 12_345
    caller = verified_caller(bank, language=language)
    caller.say(words)
    said = caller.texts()
    assert expected.format(total="123.45", purchases="98.45", fee="25.00") in said
    other = "purchases" if language == "中文" else "消费"
    assert other not in said


@pytest.mark.parametrize(
    ("language", "words", "expected", "other"),
    [
        ("中文", "最近的交易明细", "最近 3 笔交易：超市购物 -1.00; 餐饮 -22.50; 转账 -300.00", "/"),
        (
            "English please",
            "recent transactions",
            "Your last 3 transactions: supermarket -1.00; restaurant -22.50; transfer -300.00",
            "超市",
        ),
    ],
)
def test_given_caller_when_last_transactions_then_merchants_are_in_their_language_only(
    language: str, words: str, expected: str, other: str
) -> None:
    bank = FakeBank()
    account = next(iter(bank.accounts.values()))
    account.transactions = [("0", -100), ("1", -2_250), ("2", -30_000), ("3", -5)]
    caller = verified_caller(bank, language=language)
    caller.say(words)
    said = caller.texts()
    assert expected in said
    assert other not in said


def test_given_caller_asks_for_agent_when_verified_then_hand_off_carries_everything() -> None:
    bank = FakeBank()
    caller = verified_caller(bank)
    caller.say("查余额")
    turn = caller.say("人工服务")
    transfer = next(a for a in turn.actions if isinstance(a, m.Transfer))
    assert transfer.queue_id == "billing"
    attrs = transfer.attributes
    assert attrs["ivr.verified.method"] == "account_pin"
    assert attrs["ivr.verified.customer_id"] == "bank-0000"
    assert attrs["ivr.self_service"] == "balance=ok"
    assert attrs["ivr.path"] == "language:1>main:3>more:0"
    assert replay(caller.log) == turn.state.public()


def test_given_long_wait_when_caller_wants_agent_from_menu_then_callback_offered() -> None:
    bank = FakeBank()
    caller = verified_caller(bank, wait_s=600.0)
    caller.say("3")
    caller.say("2")  # more → talk to an agent → the callback offer
    assert "预计等待约 10 分钟" in caller.texts()
    turn = caller.say("请回电给我")
    transfer = next(a for a in turn.actions if isinstance(a, m.Transfer))
    assert transfer.callback and turn.state.outcome == "callback"


def test_given_closed_hours_when_calling_then_told_and_self_service_still_works() -> None:
    bank = FakeBank()
    caller = Caller(driver(bank, open_=False))
    caller.say("1")
    assert "非营业时间" in caller.texts()
    assert caller.turn.state.node == "account"


def test_given_jieba_when_splitting_then_words_not_characters() -> None:
    assert "挂失" in TOKENIZER.tokens("我要挂失")
    assert TOKENIZER.tokens("人工智能") == ["人工智能"]  # "人工" inside another word is no request
    assert TOKENIZER.tokens("Call me BACK!") == ["call", "me", "back"]


def test_given_word_containing_rengong_when_menu_then_no_agent_transfer_with_jieba() -> None:
    bank = FakeBank()
    caller = verified_caller(bank)
    caller.say("人工智能")
    assert caller.turn.state.outcome is None
    assert caller.turn.state.retries == 1


def test_given_fresh_jieba_tokenizer_when_first_used_then_nothing_printed(
    capfd: pytest.CaptureFixture[str],
) -> None:
    tokens = JiebaTokenizer(words=["查余额"]).tokens("我要查余额")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert "查余额" in tokens  # the flow's own words are added to the dictionary
