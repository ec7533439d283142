"""Conversations: the join rule (thread, open conversation within the window, new), closing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.customers import (
    ConversationBook,
    ConversationClosed,
    CustomerDirectory,
    Direction,
    Identifier,
    IdentifierKind,
    JoinPolicy,
    Message,
    UnknownConversation,
)
from kefu.domain.errors import ValidationError
from kefu.domain.model import Channel

HOUR = 3600.0


def inbound(
    channel: Channel, at: float, text: str = "你好", external_id: str | None = None
) -> Message:
    return Message(Direction.INBOUND, channel, "cus-1", text, at, external_id=external_id)


def outbound(channel: Channel, at: float, external_id: str | None = None) -> Message:
    return Message(
        Direction.OUTBOUND,
        channel,
        "agent-1",
        "您好，请问有什么可以帮您？",
        at,
        external_id=external_id,
    )


def test_given_no_conversation_when_message_arrives_then_new_contact() -> None:
    book = ConversationBook()
    placement = book.receive("cus-1", inbound(Channel.CHAT, 0.0))
    assert (placement.joined, placement.reason) == (False, "new")
    conv = book.get(placement.conversation_id)
    assert not conv.is_closed and conv.customer_id == "cus-1" and len(conv.messages) == 1


def test_given_open_chat_when_message_within_window_then_joins() -> None:
    book = ConversationBook()
    first = book.receive("cus-1", inbound(Channel.CHAT, 0.0))
    again = book.receive("cus-1", inbound(Channel.CHAT, 1.5 * HOUR, "还在吗"))
    assert again.joined and again.reason == "open_conversation"
    assert again.conversation_id == first.conversation_id
    assert [m.text for m in book.get(first.conversation_id).messages] == ["你好", "还在吗"]


def test_given_open_chat_when_message_after_window_then_new_contact() -> None:
    book = ConversationBook()
    first = book.receive("cus-1", inbound(Channel.CHAT, 0.0))
    later = book.receive("cus-1", inbound(Channel.CHAT, 2 * HOUR + 1))
    assert not later.joined and later.conversation_id != first.conversation_id


def test_given_open_chat_when_sms_arrives_then_new_contact_on_sms() -> None:
    book = ConversationBook()
    book.receive("cus-1", inbound(Channel.CHAT, 0.0))
    sms = book.receive("cus-1", inbound(Channel.SMS, 60.0))
    assert not sms.joined
    assert book.get(sms.conversation_id).channel is Channel.SMS


def test_given_different_topic_when_message_within_window_then_new_contact() -> None:
    book = ConversationBook()
    billing = book.receive("cus-1", inbound(Channel.SMS, 0.0), topic="账单")
    same = book.receive("cus-1", inbound(Channel.SMS, 60.0), topic="账单")
    other = book.receive("cus-1", inbound(Channel.SMS, 120.0), topic="宽带故障")
    untagged = book.receive("cus-1", inbound(Channel.SMS, 180.0))
    assert same.joined and same.conversation_id == billing.conversation_id
    assert not other.joined
    assert untagged.joined and untagged.conversation_id == other.conversation_id  # latest activity


def test_given_email_without_references_when_conversation_open_then_new_contact() -> None:
    book = ConversationBook()
    first = book.receive("cus-1", inbound(Channel.EMAIL, 0.0, external_id="<a@x>"))
    second = book.receive("cus-1", inbound(Channel.EMAIL, 60.0, external_id="<b@x>"))
    assert not second.joined and second.conversation_id != first.conversation_id


def test_given_reply_to_our_reply_when_email_arrives_then_joins_by_thread() -> None:
    book = ConversationBook()
    first = book.receive("cus-1", inbound(Channel.EMAIL, 0.0, external_id="<a@customer>"))
    book.reply(first.conversation_id, outbound(Channel.EMAIL, 10.0, external_id="<r1@kefu>"))
    reply = book.receive(
        "cus-1",
        inbound(Channel.EMAIL, 3 * 24 * HOUR, external_id="<c@customer>"),
        thread_refs=["<r1@kefu>", "<a@customer>"],
    )
    assert (reply.joined, reply.reason) == (True, "thread")
    conv = book.get(first.conversation_id)
    assert conv.thread_references() == ("<a@customer>", "<r1@kefu>", "<c@customer>")
    assert book.by_thread("<c@customer>").conversation_id == first.conversation_id


def test_given_reply_to_closed_thread_when_email_arrives_then_new_contact_that_follows_it() -> None:
    book = ConversationBook()
    first = book.receive("cus-1", inbound(Channel.EMAIL, 0.0, external_id="<a@x>"))
    book.close(first.conversation_id, at=100.0, outcome="resolved")
    again = book.receive("cus-1", inbound(Channel.EMAIL, 200.0), thread_refs=["<a@x>"])
    assert (again.joined, again.reason) == (False, "thread_closed")
    assert book.get(again.conversation_id).follows == first.conversation_id
    assert book.get(first.conversation_id).outcome == "resolved"


def test_given_thread_of_another_customer_when_referenced_then_ignored() -> None:
    book = ConversationBook()
    book.receive("cus-1", inbound(Channel.EMAIL, 0.0, external_id="<a@x>"))
    forwarded = book.receive("cus-2", inbound(Channel.EMAIL, 10.0), thread_refs=["<a@x>"])
    assert (forwarded.joined, forwarded.reason) == (False, "new")


def test_given_merged_customers_when_survivor_writes_then_joins_merged_ones_conversation() -> None:
    directory = CustomerDirectory()
    a = directory.link([Identifier(IdentifierKind.EMAIL, "a@example.com")], at=0.0).customer_id
    b = directory.link([Identifier(IdentifierKind.PHONE, "13800138000")], at=0.0).customer_id
    book = ConversationBook(identities=directory.identities)
    sms = book.receive(b, inbound(Channel.SMS, 0.0))
    directory.merge(a, b, agent_id="x", reason="same person", at=5.0)
    again = book.receive(a, inbound(Channel.SMS, 60.0))
    assert again.joined and again.conversation_id == sms.conversation_id
    assert [c.conversation_id for c in book.for_customer(a)] == [sms.conversation_id]


def test_given_closed_conversation_when_agent_replies_then_refused() -> None:
    book = ConversationBook()
    placement = book.receive("cus-1", inbound(Channel.CHAT, 0.0))
    book.close(placement.conversation_id, at=5.0)
    with pytest.raises(ConversationClosed):
        book.reply(placement.conversation_id, outbound(Channel.CHAT, 6.0))
    with pytest.raises(UnknownConversation):
        book.get("conv-missing")
    with pytest.raises(ValidationError, match="inbound"):
        book.receive("cus-1", outbound(Channel.CHAT, 7.0))
    assert not book.receive("cus-1", inbound(Channel.CHAT, 8.0)).joined


def test_given_idle_conversations_when_close_idle_then_only_stale_closed() -> None:
    book = ConversationBook()
    stale = book.receive("cus-1", inbound(Channel.SMS, 0.0)).conversation_id
    fresh = book.receive("cus-2", inbound(Channel.SMS, 900.0)).conversation_id
    assert book.close_idle(now=1000.0, idle_s=500.0) == (stale,)
    assert book.get(stale).is_closed and book.get(stale).outcome == "idle"
    assert not book.get(fresh).is_closed


def test_given_custom_policy_when_email_window_set_then_email_joins_open_conversation() -> None:
    book = ConversationBook(JoinPolicy({Channel.EMAIL: HOUR}))
    first = book.receive("cus-1", inbound(Channel.EMAIL, 0.0))
    assert (
        book.receive("cus-1", inbound(Channel.EMAIL, 60.0)).conversation_id == first.conversation_id
    )
    assert not book.receive("cus-1", inbound(Channel.CHAT, 61.0)).joined
    with pytest.raises(ValidationError, match="join window"):
        JoinPolicy({Channel.CHAT: -1.0})


@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from([Channel.CHAT, Channel.SMS, Channel.EMAIL]),
            st.floats(0, 4 * HOUR),
        ),
        max_size=30,
    )
)
def test_property_a_message_joins_only_an_open_conversation_of_its_customer_and_channel_in_window(
    arrivals: list[tuple[int, Channel, float]],
) -> None:
    book = ConversationBook()
    now = 0.0
    for customer, channel, gap in arrivals:
        now += gap
        cid = f"cus-{customer}"
        before = {c.conversation_id: c for c in book.for_customer(cid)}
        placement = book.receive(cid, inbound(channel, now))
        if placement.joined:
            conv = before[placement.conversation_id]
            assert not conv.is_closed and conv.channel is channel
            assert now - conv.last_activity_at <= JoinPolicy().window(channel)
        else:
            assert placement.conversation_id not in before
            # A channel with no join window (e-mail) joins by thread only.
            assert JoinPolicy().window(channel) == 0.0 or all(
                now - c.last_activity_at > JoinPolicy().window(channel)
                for c in before.values()
                if c.channel is channel and not c.is_closed
            )
