"""Card numbers in a flow: kept masked in events and replayed state, full in memory only."""

from __future__ import annotations

from test_ivr_bank_flow import Caller, driver, verified_caller

from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.domain.ivr import replay
from kefu.domain.ivr.events import ivr_events_to_jsonl
from kefu.domain.ivr.masking import mask_value, scrub_cards


def test_given_a_verified_caller_using_self_service_when_logged_then_no_full_card_or_pin() -> None:
    bank = FakeBank()
    account = next(iter(bank.accounts.values()))
    caller = verified_caller(bank)
    caller.say("查余额")
    assert "可用余额" in caller.texts()  # the action saw the full number
    caller.say("我的卡号是 " + account.card)  # typed where no card is asked: masked too
    log = ivr_events_to_jsonl(caller.log)
    assert account.card not in log
    assert account.pin not in log
    assert "•••• " + account.card[-4:] in log
    state = caller.turn.state
    assert state.verified is not None and state.verified.identifier == mask_value(account.card)
    assert state.private["account"] == account.card
    assert replay(caller.log) == state.public()
    assert not replay(caller.log).private


def test_given_text_with_numbers_when_scrubbed_then_only_card_numbers_masked() -> None:
    card = "4539 5787 6362 1486"
    assert scrub_cards(f"卡号 {card} 谢谢") == "卡号 •••• 1486 谢谢"
    assert scrub_cards("order 4539578763621487 (not Luhn)") == "order 4539578763621487 (not Luhn)"
    assert scrub_cards("call 13800138000") == "call 13800138000"
    assert mask_value("123") == "••••"


def test_given_card_prompt_when_agent_asked_then_words_kept_and_digits_masked() -> None:
    bank = FakeBank()
    account = next(iter(bank.accounts.values()))
    asks = Caller(driver(bank))
    asks.say("中文")
    asks.say("人工")  # at the card-number prompt: no card number, kept as typed
    inputs = [e for e in asks.log if type(e).__name__ == "InputReceived"]
    assert inputs[-1].text == "人工"
    assert asks.turn.state.node != "account"
    typed = Caller(driver(bank))
    typed.say("中文")
    typed.say(account.card)  # a card number at that prompt stays masked
    log = ivr_events_to_jsonl(typed.log)
    assert account.card not in log
    assert "•••• " + account.card[-4:] in log
