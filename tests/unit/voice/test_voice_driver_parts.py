"""The voice driver's pure parts: a flow's lines as clips, the caller's identity, the tone."""

from __future__ import annotations

import numpy as np

from kefu.adapters.ivr.files import load_flow
from kefu.adapters.ivr.wiring import BANK_FLOW
from kefu.adapters.voice.call_state import caller_identifier, caller_number, comfort_tone
from kefu.adapters.voice.g711 import ulaw_decode
from kefu.adapters.voice.texts import flow_texts, spoken_lines
from kefu.domain.customers import IdentifierKind


def test_given_the_bank_flow_when_listing_its_lines_then_menus_read_as_the_wing_writes_them() -> (
    None
):
    texts = flow_texts([load_flow(BANK_FLOW)])
    assert "请输入您的 16 位银行卡号。" in texts["zh"]
    assert "Please enter your 16-digit card number." in texts["en"]
    assert "1. 中文" in texts["zh"]  # an option line, as told off the web
    # Texts filled in during the call ({slot}) are not rendered ahead.
    assert not any("{" in line for lines in texts.values() for line in lines)


def test_given_a_text_with_blank_lines_when_spoken_then_one_clip_per_line() -> None:
    assert spoken_lines("请选择：\n\n1. 余额 \n2. 账单") == ["请选择：", "1. 余额", "2. 账单"]


def test_given_caller_uris_when_identified_then_phones_else_a_sip_handle() -> None:
    assert caller_number("sip:13800000000@127.0.0.1:5070") == "13800000000"
    assert caller_number("<sip:+8613900000000@example.com>") == "+8613900000000"
    phone = caller_identifier(caller_number("sip:13800000000@127.0.0.1"))
    assert (phone.kind, phone.value) == (IdentifierKind.PHONE, "+8613800000000")
    anonymous = caller_identifier(caller_number("sip:sipp@127.0.0.1"))
    assert (anonymous.kind, anonymous.value) == (IdentifierKind.SOCIAL, "sip:sipp")


def test_given_the_comfort_tone_when_made_then_a_short_beep_every_4_s_and_silence() -> None:
    samples = ulaw_decode(comfort_tone(8.0)).astype(np.float64)
    assert len(samples) == 64_000
    loud = np.abs(samples) > 1000
    assert loud[:2400].any() and loud[32_000:34_400].any()  # beeps at 0 s and 4 s
    assert not loud[2500:31_900].any()  # silence in between
