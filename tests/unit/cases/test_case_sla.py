"""SLA clocks and escalation by hand, including the bugs other helpdesks shipped."""

from __future__ import annotations

from datetime import date

from case_fixtures import POLICY, H, at, book, shanghai_weekdays

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import (
    CaseBook,
    CaseState,
    EscalationAction,
    SlaClock,
    clock_status,
    evaluate,
)

S = CaseState
CAL = shanghai_weekdays()  # Mon–Fri 09:00–12:00, 13:00–18:00
FRIDAY_17 = at(2026, 12, 4, 17, 0)


def open_inquiry(start: float = FRIDAY_17, case_type: str = "inquiry", tier: int = 0) -> CaseBook:
    b = book()
    fields = {"complaint": {"product": "card"}, "mortgage": {"amount": 900_000}}.get(case_type, {})
    b.new_case(
        "c1", case_type, start, site_id="sh", title="问询", by="a1",
        value_tier=tier, fields=fields,
    )  # fmt: skip
    return b


def test_given_friday_evening_case_when_evaluated_then_deadlines_in_monday_working_hours() -> None:
    b = open_inquiry()
    decision = evaluate(b.case("c1"), CAL, POLICY, FRIDAY_17 + 1800)
    assert decision.actions == ()
    first, resolution = decision.clocks
    assert first.due_at == at(2026, 12, 7, 10, 0)  # 1 h on Friday + 1 h on Monday
    assert resolution.due_at == at(2026, 12, 7, 17, 0)  # 1 h Friday + 7 h Monday (lunch off)
    # The owner's warning at 75 % of 2 h falls at Monday 09:30, never at midnight or Sunday.
    assert decision.next_due == at(2026, 12, 7, 9, 30)
    warned = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 7, 9, 30))
    assert [(a.clock, a.action, a.to) for a in warned.actions] == [
        (SlaClock.FIRST_RESPONSE, EscalationAction.NOTIFY, "owner")
    ]


def test_given_wait_on_customer_when_paused_then_deadline_moves_by_the_paused_business_time() -> (
    None
):
    b = open_inquiry(at(2026, 12, 7, 9, 0))
    b.respond("c1", at(2026, 12, 7, 9, 10), by="a1", channel="chat")
    b.move("c1", S.WAITING_ON_CUSTOMER, at(2026, 12, 7, 10, 0), by="a1", reason="need id")
    paused = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 8, 15, 0))
    resolution = paused.clocks[1]
    assert resolution.elapsed_s == 1 * H and not resolution.running
    assert resolution.due_at is None and paused.next_due is None
    b.move("c1", S.OPEN, at(2026, 12, 8, 15, 0), by="a1")
    resumed = clock_status(b.case("c1"), CAL, SlaClock.RESOLUTION, 8 * H, at(2026, 12, 8, 15, 0))
    # 7 h left from Tuesday 15:00: 3 h Tuesday, 4 h Wednesday (09–12, 13–14).
    assert resumed.due_at == at(2026, 12, 9, 14, 0)


def test_given_wait_on_department_when_evaluated_then_clock_keeps_running() -> None:
    b = open_inquiry(at(2026, 12, 7, 9, 0))
    b.respond("c1", at(2026, 12, 7, 9, 10), by="a1", channel="chat")
    b.move(
        "c1", S.WAITING_ON_DEPARTMENT, at(2026, 12, 7, 10, 0), by="a1",
        reason="card ops", department="卡部",
    )  # fmt: skip
    status = clock_status(b.case("c1"), CAL, SlaClock.RESOLUTION, 8 * H, at(2026, 12, 7, 16, 0))
    assert status.running and status.elapsed_s == 6 * H
    assert status.due_at == at(2026, 12, 7, 18, 0)
    late = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 8, 9, 0))
    assert late.clocks[1].breached
    assert {a.action for a in late.actions} == {
        EscalationAction.NOTIFY,
        EscalationAction.RAISE_PRIORITY,
    }


def test_given_internal_note_when_first_response_due_then_note_does_not_stop_the_clock() -> None:
    # Zammad #3140 in reverse: only an answer to the customer settles the first response.
    b = open_inquiry(at(2026, 12, 7, 9, 0))
    b.note("c1", "n1", "looked at it", at(2026, 12, 7, 9, 30), author="a1", internal=True)
    decision = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 7, 11, 1))
    assert decision.clocks[0].breached
    assert (SlaClock.FIRST_RESPONSE, 1) in {(a.clock, a.step) for a in decision.actions}


def test_given_agent_answered_when_past_first_response_target_then_never_escalates_it() -> None:
    # Zammad #3140: an SLA escalated although the agent had answered.
    b = open_inquiry(at(2026, 12, 7, 9, 0))
    b.respond("c1", at(2026, 12, 7, 9, 20), by="a1", channel="email")
    decision = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 7, 15, 0))
    first = decision.clocks[0]
    assert first.stopped_at == at(2026, 12, 7, 9, 20) and not first.breached
    assert all(a.clock is SlaClock.RESOLUTION for a in decision.actions)


def test_given_short_resolution_target_when_no_response_then_first_response_keeps_its_own() -> None:
    # Zammad #5177: a smaller update/resolution time overruled the first-response deadline.
    b = open_inquiry(at(2026, 12, 7, 9, 0), case_type="complaint", tier=2)  # 1 h / 8 h
    decision = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 7, 9, 5))
    first, resolution = decision.clocks
    assert first.due_at == at(2026, 12, 7, 10, 0)
    assert resolution.due_at == at(2026, 12, 7, 18, 0)
    assert decision.next_due == at(2026, 12, 7, 9, 45)


def test_given_resolved_then_reopened_when_measured_then_time_while_resolved_not_counted() -> None:
    b = open_inquiry(at(2026, 12, 7, 9, 0))
    b.respond("c1", at(2026, 12, 7, 9, 5), by="a1", channel="chat")
    b.move("c1", S.RESOLVED, at(2026, 12, 7, 11, 0), by="a1", reason="answered")
    resolved = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 8, 11, 0))
    assert resolved.clocks[1].stopped_at == at(2026, 12, 7, 11, 0)
    assert resolved.actions == () and resolved.next_due is None
    b.move("c1", S.REOPENED, at(2026, 12, 9, 9, 0), by="a1", reason="still wrong")
    status = clock_status(b.case("c1"), CAL, SlaClock.RESOLUTION, 8 * H, at(2026, 12, 9, 10, 0))
    assert status.elapsed_s == 3 * H and status.running and status.stopped_at is None
    assert status.due_at == at(2026, 12, 9, 16, 0)  # 5 h left: 10–12 and 13–16


def test_given_tier_raised_while_paused_when_evaluated_then_new_targets_keep_the_pause() -> None:
    # GLPI #6902: a changed SLA forgot the time spent waiting on the customer.
    b = open_inquiry(at(2026, 12, 7, 9, 0), case_type="mortgage")  # 8 h / 40 h
    b.move("c1", S.WAITING_ON_CUSTOMER, at(2026, 12, 7, 10, 0), by="a1", reason="documents")
    b.move("c1", S.OPEN, at(2026, 12, 8, 10, 0), by="a1")
    b.classify("c1", "mortgage", 2, at(2026, 12, 8, 10, 0), by="a1")  # 2 h / 16 h
    first = evaluate(b.case("c1"), CAL, POLICY, at(2026, 12, 8, 10, 30)).clocks[0]
    assert first.target_s == 2 * H and first.elapsed_s == 1.5 * H
    assert first.due_at == at(2026, 12, 8, 11, 0)


def test_given_step_taken_when_evaluated_again_then_not_repeated_and_next_step_due() -> None:
    b = open_inquiry(at(2026, 12, 7, 9, 0))
    now = at(2026, 12, 7, 10, 30)
    (warning,) = evaluate(b.case("c1"), CAL, POLICY, now).actions
    b.escalate("c1", warning.clock.value, warning.step, warning.action.value, now, to=warning.to)
    again = evaluate(b.case("c1"), CAL, POLICY, now)
    assert again.actions == ()
    assert again.next_due == at(2026, 12, 7, 11, 0)


def test_given_holiday_week_when_case_opened_before_then_deadline_after_the_holidays() -> None:
    cal = BusinessCalendar.weekdays(
        "Asia/Shanghai",
        "09:00-12:00,13:00-18:00",
        holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
        workdays={date(2026, 10, 10): "09:00-18:00"},
    )
    b = open_inquiry(at(2026, 9, 30, 17, 0))
    decision = evaluate(b.case("c1"), cal, POLICY, at(2026, 10, 3, 12, 0))
    assert decision.actions == ()
    assert decision.clocks[0].due_at == at(2026, 10, 8, 10, 0)


def test_given_case_type_without_targets_when_evaluated_then_no_clock() -> None:
    b = book()
    b.new_case("c1", "inquiry", 0.0, site_id="sh", title="x", by="a1")
    from kefu.domain.cases import SlaPolicy

    assert evaluate(b.case("c1"), CAL, SlaPolicy({}), 10.0).clocks == ()
