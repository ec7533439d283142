"""The case lifecycle: types and fields, the transition table, complaints, replay."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from case_fixtures import COMPLAINT, TYPES, H, book

from kefu.domain.cases import (
    TRANSITIONS,
    CaseAlreadyExists,
    CaseBook,
    CaseState,
    InvalidCaseField,
    InvalidCaseTransition,
    ResolutionIncomplete,
    UnknownCase,
    UnknownCaseType,
)
from kefu.domain.cases.events import case_event_from_dict, case_event_to_dict
from kefu.domain.errors import KefuError, ValidationError

S = CaseState


def opened(case_type: str = "inquiry", **fields: object) -> CaseBook:
    b = book()
    b.new_case(
        "c1", case_type, 0.0, site_id="sh", title="账单有误", by="a1",
        customer_id="cust-1", fields=fields, owner=("agent", "a1"),
    )  # fmt: skip
    return b


def test_given_new_case_when_opened_then_new_with_owner_and_history() -> None:
    case = opened().case("c1")
    assert case.state is S.NEW
    assert (case.owner_kind, case.owner_id) == ("agent", "a1")
    assert case.history == ((0.0, S.NEW),)
    assert case.title == "账单有误"


def test_given_every_pair_of_states_when_moved_then_only_the_table_allows_it() -> None:
    for source in S:
        for target in S:
            b = opened()
            b.cases["c1"] = replace(b.case("c1"), state=source)
            kwargs = {"department": "loans"} if target is S.WAITING_ON_DEPARTMENT else {}
            if target in TRANSITIONS[source]:
                b.move("c1", target, 1.0, by="a1", reason="because", **kwargs)
                assert b.case("c1").state is target
            else:
                with pytest.raises(InvalidCaseTransition) as info:
                    b.move("c1", target, 1.0, by="a1", reason="because", **kwargs)
                assert info.value.error_id == "invalid_case_transition"
                assert b.case("c1").state is source


def test_given_closed_case_when_anything_but_a_note_then_refused() -> None:
    b = opened()
    b.move("c1", S.RESOLVED, 1.0, by="a1", reason="answered")
    b.move("c1", S.CLOSED, 2.0, by="a1", reason="confirmed")
    with pytest.raises(InvalidCaseTransition):
        b.move("c1", S.REOPENED, 3.0, by="a1", reason="again")
    with pytest.raises(ValidationError):
        b.assign("c1", ("team", "t1"), 3.0, by="a1")
    b.note("c1", "n1", "客户来电确认", 3.0, author="a1")
    assert b.case("c1").notes[-1].text == "客户来电确认"


def test_given_move_without_reason_when_not_to_open_then_validation_error() -> None:
    b = opened()
    with pytest.raises(ValidationError, match="reason"):
        b.move("c1", S.WAITING_ON_CUSTOMER, 1.0, by="a1")
    b.move("c1", S.OPEN, 1.0, by="a1")
    assert b.case("c1").state is S.OPEN


def test_given_waiting_on_department_when_moved_then_department_involved_and_required() -> None:
    b = opened()
    with pytest.raises(ValidationError, match="department"):
        b.move("c1", S.WAITING_ON_DEPARTMENT, 1.0, by="a1", reason="credit check")
    b.move("c1", S.WAITING_ON_DEPARTMENT, 1.0, by="a1", reason="credit check", department="风控")
    b.move("c1", S.OPEN, 2.0, by="a1")
    case = b.case("c1")
    assert case.departments == ("风控",) and case.waiting_on is None


def test_given_complaint_when_resolved_without_root_cause_then_refused_unchanged() -> None:
    b = opened("complaint", product="card")
    assert COMPLAINT.needs_root_cause
    with pytest.raises(ResolutionIncomplete) as info:
        b.move("c1", S.RESOLVED, 1.0, by="a1", reason="done", resolution="refund")
    assert info.value.error_id == "resolution_incomplete"
    assert b.case("c1").state is S.NEW and len(b.log) == 1
    b.move(
        "c1", S.RESOLVED, 1.0, by="a1", reason="done",
        root_cause="fee charged twice", resolution="refund 25 元",
    )  # fmt: skip
    case = b.case("c1")
    assert (case.root_cause, case.resolution) == ("fee charged twice", "refund 25 元")


def test_given_case_type_fields_when_values_bad_then_invalid_case_field() -> None:
    with pytest.raises(InvalidCaseField):
        opened("complaint")  # product is required
    with pytest.raises(InvalidCaseField):
        opened("complaint", product="car")
    with pytest.raises(InvalidCaseField):
        opened("mortgage", amount="lots")
    with pytest.raises(InvalidCaseField):
        opened("mortgage", amount=1e6, colour="red")
    b = opened("mortgage", amount=1_200_000, signed_on="2026-12-01", urgent=True)
    b.set_fields("c1", {"branch": " 浦东支行 "}, 1.0, by="a1")
    assert dict(b.case("c1").fields) == {
        "amount": 1_200_000, "signed_on": "2026-12-01", "urgent": True, "branch": "浦东支行",
    }  # fmt: skip
    with pytest.raises(InvalidCaseField):
        b.set_fields("c1", {"amount": float("nan")}, 2.0, by="a1")


def test_given_unknown_ids_when_used_then_not_found_errors() -> None:
    b = opened()
    with pytest.raises(UnknownCase):
        b.move("nope", S.OPEN, 1.0, by="a1")
    with pytest.raises(UnknownCaseType):
        b.new_case("c2", "refund", 0.0, site_id="sh", title="x", by="a1")
    with pytest.raises(CaseAlreadyExists):
        b.new_case("c1", "inquiry", 0.0, site_id="sh", title="x", by="a1")


def test_given_change_earlier_than_last_when_applied_then_refused() -> None:
    b = opened()
    b.move("c1", S.OPEN, 10.0, by="a1")
    with pytest.raises(ValidationError, match="earlier"):
        b.note("c1", "n1", "late", 5.0, author="a1")


def test_given_links_when_added_twice_then_refused_and_kinds_checked() -> None:
    b = opened()
    b.link("c1", "conversation", "conv-1", 1.0, by="a1", channel="chat")
    b.link("c1", "contact", "k-9", 2.0, by="a1", channel="voice")
    with pytest.raises(ValidationError):
        b.link("c1", "conversation", "conv-1", 3.0, by="a1")
    with pytest.raises(ValidationError):
        b.link("c1", "fax", "f1", 3.0, by="a1")
    assert [(lk.kind, lk.channel) for lk in b.case("c1").links] == [
        ("conversation", "chat"),
        ("contact", "voice"),
    ]


def test_given_full_lifecycle_when_log_replayed_through_json_then_same_cases() -> None:
    b = opened("complaint", product="loan")
    b.involve("c1", "信贷部", 1 * H, by="a1")
    b.move("c1", S.WAITING_ON_DEPARTMENT, 2 * H, by="a1", reason="review", department="信贷部")
    b.respond("c1", 2 * H, by="a1", channel="sms")
    b.move("c1", S.WAITING_ON_CUSTOMER, 3 * H, by="a1", reason="need statement")
    b.move("c1", S.OPEN, 4 * H, by="a1")
    b.classify("c1", "complaint", 2, 4 * H, by="a1")
    b.escalate("c1", "resolution", 3, "raise_priority", 5 * H)
    b.escalate("c1", "resolution", 5, "reassign", 5 * H, to="complaints-desk")
    b.move(
        "c1", S.RESOLVED, 6 * H, by="a2", reason="fixed", root_cause="bug", resolution="重算利息"
    )
    b.move("c1", S.REOPENED, 7 * H, by="a2", reason="customer disagrees")
    lines = [json.dumps(case_event_to_dict(e), ensure_ascii=False, sort_keys=True) for e in b.log]
    again = CaseBook.replay(TYPES, [case_event_from_dict(json.loads(line)) for line in lines])
    assert again.cases == b.cases
    case = again.case("c1")
    assert case.priority == 1 and case.owner_id == "complaints-desk" and case.reopen_count == 1
    assert case.escalations == {("resolution", 3), ("resolution", 5)}
    with pytest.raises(ValidationError):
        b.escalate("c1", "resolution", 3, "raise_priority", 8 * H)
    with pytest.raises(ValidationError, match="unknown escalation"):
        b.escalate("c1", "resolution", 9, "shout", 8 * H)


def test_given_unknown_event_type_when_decoded_then_validation_error() -> None:
    with pytest.raises(KefuError):
        case_event_from_dict({"type": "CaseVanished", "at": 0.0, "case_id": "c1"})
    with pytest.raises(ValidationError):
        case_event_from_dict({"type": "CaseResponded", "at": 0.0, "case_id": "c1"})
