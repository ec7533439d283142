"""The desktop's read models: a screen compares equal to another read later when only the
instant differs (the socket sends nothing then), messages pushed alone are appended to the
held conversation they belong to, and a suggestion says ``cross_site`` only once a viewer
was checked."""

from __future__ import annotations

from dataclasses import replace

from kefu.service.channels import ConversationView, MessageView, SuggestionView
from kefu.service.desktop import (
    ContactFigures,
    CustomerBrief,
    DeskAgent,
    DesktopScreen,
    HeldContact,
    OfferedContact,
)


def _figures(contact_id: str, state: str) -> ContactFigures:
    return ContactFigures(
        contact_id, "chat", "chat", state, 0, 0, None, {"customer": "王芳"}, "a1",
        f"{contact_id}/1" if state == "offered" else None, 0, False, False, 10.0, None, None,
        (), ("chat",),
    )  # fmt: skip


def _message(seq: int, text: str) -> MessageView:
    return MessageView(seq, "inbound", "cus-1", "王芳", text, 10.0 + seq, "", None, None, None, ())


def _conversation(*messages: MessageView) -> ConversationView:
    return ConversationView(
        "conv-1", "cus-1", "chat", "chat", 10.0, None, None, None, "c1", "active", "a1", None,
        messages, (), (),
    )  # fmt: skip


BRIEF = CustomerBrief(None, "王芳", None, ())


def _screen(at: float, seconds_left: float) -> DesktopScreen:
    agent = DeskAgent("a1", "王小明", "sh", "ready", None, None, "busy", 0.0)
    offer = OfferedContact(
        _figures("c2", "offered"), "chat", None, (), 30.0, seconds_left, BRIEF, "zh"
    )
    held = HeldContact(
        _figures("c1", "active"), "chat", None, (), _conversation(_message(1, "你好")), BRIEF, "zh"
    )
    return DesktopScreen(at, agent, (offer,), (held,), (), ())


def test_given_two_reads_when_only_the_instant_differs_then_the_screens_are_the_same() -> None:
    first = _screen(100.0, 5.0)
    assert first.same_as(_screen(101.0, 5.0))
    assert not first.same_as(_screen(101.0, 4.0))  # the offer's countdown moved
    assert not first.same_as(None)
    assert first.to_json()["at"] == 100.0 and first.agent_id == "a1"


def test_given_messages_pushed_alone_when_added_to_a_held_contact_then_they_follow_its_own() -> (
    None
):
    (held,) = _screen(100.0, 5.0).contacts
    more = held.with_messages((_message(2, "在吗"), _message(3, "谢谢")))
    assert more.conversation is not None
    assert [m.seq for m in more.conversation.messages] == [1, 2, 3]
    assert [m["text"] for m in more.to_json()["conversation"]["messages"]] == [
        "你好",
        "在吗",
        "谢谢",
    ]
    assert held.with_messages(()) is held
    call = replace(held, conversation=None)
    assert call.with_messages((_message(2, "x"),)) is call


def test_given_a_suggestion_when_no_viewer_was_checked_then_it_has_no_cross_site() -> None:
    plain = SuggestionView("phone", "+8613800138000", "cus-2")
    assert plain.to_json() == {"kind": "phone", "value": "+8613800138000", "customer_id": "cus-2"}
    checked = replace(plain, cross_site=False)
    assert checked.to_json()["cross_site"] is False
