"""The customer directory: linking, identifiers, profile, timeline, merges with audit and undo."""

from __future__ import annotations

import pytest

from kefu.domain.customers import (
    ContactRef,
    CustomerDirectory,
    Identifier,
    IdentifierConflict,
    IdentifierKind,
    IdentifierTaken,
    MergeNotUndoable,
    UnknownCustomer,
    UnknownMerge,
)
from kefu.domain.customers.events import customer_event_from_dict, customer_event_to_dict
from kefu.domain.errors import InvalidState, ValidationError

PHONE = IdentifierKind.PHONE
EMAIL = IdentifierKind.EMAIL
COOKIE = IdentifierKind.CHAT_COOKIE


def phone(raw: str) -> Identifier:
    return Identifier(PHONE, raw)


def email(raw: str) -> Identifier:
    return Identifier(EMAIL, raw)


def cookie(raw: str) -> Identifier:
    return Identifier(COOKIE, raw)


def test_given_unknown_identifier_when_linked_then_new_customer_holds_it() -> None:
    directory = CustomerDirectory()
    result = directory.link([phone("13800138000")], at=10.0, name="张三")
    assert result.created
    customer = directory.get(result.customer_id)
    assert customer.name == "张三"
    assert customer.identifiers == (phone("+8613800138000"),)
    assert customer.created_at == 10.0
    assert not customer.verified


def test_given_known_identifier_in_another_spelling_when_linked_then_same_customer() -> None:
    directory = CustomerDirectory()
    first = directory.link([email("Li.Si@Example.com")], at=0.0)
    again = directory.link([email("li.si@example.COM")], at=5.0)
    assert not again.created
    assert again.customer_id == first.customer_id
    assert len(list(directory.customers())) == 1


def test_given_known_cookie_and_new_email_when_linked_then_email_added_to_customer() -> None:
    directory = CustomerDirectory()
    first = directory.link([cookie("c-1")], at=0.0)
    later = directory.link([cookie("c-1"), email("wang@example.com")], at=60.0)
    assert later.customer_id == first.customer_id
    assert later.added == (email("wang@example.com"),)
    assert directory.find(email("wang@example.com")).customer_id == first.customer_id


def test_given_two_unverified_customers_when_one_message_names_both_then_merged_automatically() -> (
    None
):
    directory = CustomerDirectory()
    by_cookie = directory.link([cookie("c-1")], at=0.0).customer_id
    by_mail = directory.link([email("wang@example.com")], at=1.0).customer_id
    result = directory.link([cookie("c-1"), email("wang@example.com")], at=2.0)
    assert result.customer_id == by_cookie  # the older customer survives
    assert len(result.merges) == 1
    entry = directory.audit()[0]
    assert (entry.survivor_id, entry.merged_id, entry.agent_id) == (by_cookie, by_mail, None)
    assert directory.resolve(by_mail) == by_cookie
    assert directory.identities(by_mail) == tuple(sorted((by_cookie, by_mail)))


def test_given_verified_phones_on_both_when_one_message_names_both_then_not_merged() -> None:
    directory = CustomerDirectory()
    a = directory.link([phone("13800138000")], at=0.0, verified=[phone("13800138000")])
    b = directory.link([phone("13900139000")], at=1.0, verified=[phone("13900139000")])
    result = directory.link([phone("13800138000"), phone("13900139000")], at=2.0)
    assert result.customer_id == a.customer_id
    assert result.conflicts == (b.customer_id,)
    assert result.merges == ()
    assert directory.resolve(b.customer_id) == b.customer_id


def test_given_verified_conflict_when_agent_merges_without_force_then_conflict_and_no_change() -> (
    None
):
    directory = CustomerDirectory()
    a = directory.link([phone("13800138000")], at=0.0, verified=[phone("13800138000")])
    b = directory.link([phone("13900139000")], at=1.0, verified=[phone("13900139000")])
    before = len(directory.events)
    with pytest.raises(IdentifierConflict) as info:
        directory.merge(a.customer_id, b.customer_id, agent_id="a1", reason="same person", at=3)
    assert info.value.details["kinds"] == ["phone"]
    assert info.value.error_id == "identifier_conflict"
    assert len(directory.events) == before
    merge_id = directory.merge(
        a.customer_id, b.customer_id, agent_id="a1", reason="checked ID card", at=3.0, force=True
    )
    assert directory.audit()[0].forced
    assert directory.audit()[0].merge_id == merge_id
    assert directory.get(a.customer_id).verified == {phone("13800138000"), phone("13900139000")}


def test_given_merge_when_undone_then_both_customers_restored_exactly() -> None:
    directory = CustomerDirectory()
    a = directory.link([email("a@example.com")], at=0.0, name="王五").customer_id
    b = directory.link([phone("13800138000")], at=1.0).customer_id
    directory.set_profile(b, at=1.5, value_tier=3, segment="贵宾")
    directory.record_contact(b, ContactRef("k1", "sms", 1.0, "查询余额"), at=1.0)
    before_a, before_b = directory.get(a), directory.get(b)
    merge_id = directory.merge(a, b, agent_id="agent-7", reason="same phone on file", at=5.0)
    merged = directory.get(a)
    assert merged.value_tier == 3 and merged.segment == "贵宾" and merged.name == "王五"
    assert [r.contact_id for r in directory.timeline(b)] == ["k1"]
    directory.undo_merge(merge_id, agent_id="agent-8", reason="different people", at=9.0)
    assert directory.get(a) == before_a
    assert directory.get(b) == before_b
    assert directory.timeline(b)[0].contact_id == "k1"
    assert directory.timeline(a) == ()
    entry = directory.audit(b)[0]
    assert (entry.undone_at, entry.undone_by, entry.undo_reason) == (
        9.0,
        "agent-8",
        "different people",
    )


def test_given_changes_after_merge_when_undone_then_survivor_keeps_them() -> None:
    directory = CustomerDirectory()
    a = directory.link([email("a@example.com")], at=0.0).customer_id
    b = directory.link([email("b@example.com")], at=1.0).customer_id
    merge_id = directory.merge(a, b, agent_id="x", reason="r", at=2.0)
    directory.link([email("b@example.com"), phone("13800138000")], at=3.0)
    directory.set_profile(a, at=4.0, value_tier=2)
    directory.undo_merge(merge_id, agent_id="x", reason="r", at=5.0)
    assert directory.find(phone("13800138000")).customer_id == a
    assert directory.find(email("b@example.com")).customer_id == b
    assert directory.get(a).value_tier == 2


def test_given_survivor_merged_later_when_earlier_merge_undone_then_refused() -> None:
    directory = CustomerDirectory()
    a, b, c = (directory.create(at=float(i)) for i in range(3))
    first = directory.merge(a, b, agent_id="x", reason="r", at=5.0)
    second = directory.merge(c, a, agent_id="x", reason="r", at=6.0)
    with pytest.raises(MergeNotUndoable, match=second):
        directory.undo_merge(first, agent_id="x", reason="r", at=7.0)
    directory.undo_merge(second, agent_id="x", reason="r", at=7.0)
    directory.undo_merge(first, agent_id="x", reason="r", at=8.0)
    with pytest.raises(MergeNotUndoable, match="undone already"):
        directory.undo_merge(first, agent_id="x", reason="r", at=9.0)
    with pytest.raises(UnknownMerge):
        directory.undo_merge("mrg-999", agent_id="x", reason="r", at=9.0)


def test_given_bad_merge_requests_when_merging_then_clear_errors() -> None:
    directory = CustomerDirectory()
    a, b = directory.create(at=0.0), directory.create(at=0.0)
    with pytest.raises(ValidationError, match="itself"):
        directory.merge(a, a, agent_id="x", reason="r", at=1.0)
    with pytest.raises(ValidationError, match="reason"):
        directory.merge(a, b, agent_id="x", reason=" ", at=1.0)
    with pytest.raises(UnknownCustomer):
        directory.merge(a, "nobody", agent_id="x", reason="r", at=1.0)
    directory.merge(a, b, agent_id="x", reason="r", at=1.0)
    with pytest.raises(InvalidState, match="merged into"):
        directory.merge(a, b, agent_id="x", reason="r", at=2.0)


def test_given_identifier_of_another_customer_when_added_then_taken() -> None:
    directory = CustomerDirectory()
    a = directory.link([email("a@example.com")], at=0.0).customer_id
    b = directory.create(at=0.0)
    with pytest.raises(IdentifierTaken, match=a):
        directory.add_identifier(b, email("A@example.com"), at=1.0)
    directory.add_identifier(b, phone("13800138000"), at=1.0, verified=True)
    assert directory.get(b).verified == {phone("13800138000")}


def test_given_contacts_on_several_channels_when_timeline_then_newest_first_with_outcome() -> None:
    directory = CustomerDirectory()
    cid = directory.link([phone("13800138000")], at=0.0).customer_id
    directory.record_contact(cid, ContactRef("c-email", "email", 100.0, "账单问题"), at=100.0)
    directory.record_contact(cid, ContactRef("c-chat", "chat", 300.0, "跟进"), at=300.0)
    directory.record_contact(cid, ContactRef("c-branch", "branch", 200.0, "营业厅"), at=200.0)
    directory.record_contact(
        cid, ContactRef("c-email", "email", 100.0, "账单问题", outcome="resolved"), at=400.0
    )
    timeline = directory.timeline(cid)
    assert [r.contact_id for r in timeline] == ["c-chat", "c-branch", "c-email"]
    assert timeline[-1].outcome == "resolved"
    assert [r.contact_id for r in directory.timeline(cid, limit=1)] == ["c-chat"]


def test_given_profile_when_changed_then_tier_and_segment_set_and_bad_tier_refused() -> None:
    directory = CustomerDirectory()
    cid = directory.create(at=0.0, name="赵六")
    directory.set_profile(cid, at=1.0, value_tier=2, segment="高价值")
    directory.set_profile(cid, at=2.0, name="赵六六")
    customer = directory.get(cid)
    assert (customer.name, customer.value_tier, customer.segment) == ("赵六六", 2, "高价值")
    directory.set_profile(cid, at=3.0, segment=None)
    assert directory.get(cid).segment is None
    with pytest.raises(ValidationError, match="value_tier"):
        directory.set_profile(cid, at=4.0, value_tier=-1)


def test_given_event_log_when_replayed_through_json_then_same_directory() -> None:
    directory = CustomerDirectory()
    a = directory.link([phone("13800138000"), cookie("ck")], at=0.0, name="张三").customer_id
    b = directory.link([email("z@example.com")], at=1.0).customer_id
    directory.record_contact(b, ContactRef("k", "email", 1.0, "你好"), at=1.0)
    merge_id = directory.merge(a, b, agent_id="x", reason="同一人", at=2.0)
    directory.undo_merge(merge_id, agent_id="y", reason="不是", at=3.0)
    directory.merge(a, b, agent_id="x", reason="确认", at=4.0)
    log = [customer_event_to_dict(e) for e in directory.events]
    rebuilt = CustomerDirectory.from_events(customer_event_from_dict(d) for d in log)
    assert list(rebuilt.customers()) == list(directory.customers())
    assert rebuilt.audit() == directory.audit()
    assert rebuilt.timeline(b) == directory.timeline(b)
    with pytest.raises(ValidationError, match="unknown customer event type"):
        customer_event_from_dict({"type": "Nope", "at": 0.0})


def test_given_names_when_searched_before_and_after_changes_then_the_current_names_match() -> None:
    directory = CustomerDirectory()
    nameless = directory.create(at=1.0)
    wang = directory.create(at=1.0, name="王小明")
    anna = directory.create(at=1.0, name="Anna Li")
    assert (directory.named("小明"), directory.named("li"), directory.named("x")) == (
        [wang], [anna], [],
    )  # fmt: skip
    directory.merge(nameless, wang, agent_id="a1", reason="same person", at=2.0)
    assert sorted(directory.named("王")) == sorted([nameless, wang])  # the survivor took it
    directory.set_profile(anna, name="Hanna", at=3.0)
    assert (directory.named("anna"), directory.named("li")) == ([anna], [])
    again = CustomerDirectory.from_events(directory.events)
    assert sorted(again.named("王")) == sorted([nameless, wang])
