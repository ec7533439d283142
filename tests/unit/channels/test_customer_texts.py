"""The language kefu writes to a customer in: their messages' (newest first, a message
without letters tells nothing), else the site's default; and a text in exactly that one."""

from __future__ import annotations

from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import ChannelState, Inbound
from kefu.service.channels.inbound import wait_notice_text
from kefu.service.channels.read_models import WaitInfo
from kefu.service.channels.texts import customer_language, customer_text

PHONE = Identifier(IdentifierKind.PHONE, "13800138000")


def _say(state: ChannelState, text: str, at: float) -> str:
    link, _placement, _new = state.receive(Inbound(Channel.SMS, (PHONE,), text, at, f"m{at}"))
    return link.customer_id


def test_given_messages_then_the_newest_telling_one_sets_the_language() -> None:
    state = ChannelState()
    assert customer_language(state, None, "en") == "en"
    assert customer_language(state, "nobody", "zh_Hans") == "zh_Hans"
    customer = _say(state, "我的账单有问题", 1.0)
    assert customer_language(state, customer, "en") == "zh_Hans"
    _say(state, "My bill is wrong", 2.0)
    _say(state, "123 !", 3.0)  # no letters: tells nothing
    assert customer_language(state, customer, "zh_Hans") == "en"


def test_given_a_language_then_the_text_is_in_that_language_only() -> None:
    info = WaitInfo(position=3, ahead=2, estimated_wait_s=170.0)
    assert wait_notice_text(info, "en") == "You are number 3 (2 ahead of you), about 3 minutes."
    assert wait_notice_text(info, "zh_Hans") == "您排在第 3 位，前面还有 2 位，预计等待约 3 分钟。"
    came = customer_text("en", "branch_text.come_back", ticket="A007", ahead=1)
    assert came == "Please come back: ticket A007, 1 ahead."
