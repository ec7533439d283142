"""Invariants of case SLA clocks across pauses, reopenings, weekends, holidays and DST."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.domain.calendar import DAY_S, BusinessCalendar
from kefu.domain.cases import (
    CLOCK_PAUSED,
    TRANSITIONS,
    Case,
    CaseBook,
    CaseKind,
    CaseState,
    CaseType,
    SlaClock,
    SlaPolicy,
    SlaTargets,
    clock_status,
    evaluate,
)

S = CaseState
H = 3600
TARGETS = SlaTargets(4 * H, 16 * H)
POLICY = SlaPolicy({"t": {0: TARGETS}})
ANCHORS = tuple(
    datetime(2026, m, d, 12, tzinfo=ZoneInfo("UTC")).timestamp()
    for m, d in ((3, 6), (3, 27), (9, 30), (10, 23), (10, 30))
)
HOURS = ("09:00-18:00", "09:00-12:00,13:00-17:30", "01:30-03:30,08:00-20:00", "00:00-24:00")


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(("Asia/Shanghai", "Europe/Berlin", "America/New_York")))
    days = st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 11, 10))
    holidays = frozenset(draw(st.lists(days, max_size=5)))
    return BusinessCalendar.weekdays(
        zone,
        draw(st.sampled_from(HOURS)),
        saturday=draw(st.sampled_from(("", "10:00-14:00"))),
        holidays=holidays,
        workdays={d: "09:00-17:00" for d in draw(st.lists(days, max_size=2)) if d not in holidays},
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A case walked through random allowed moves (and maybe a response) at random gaps."""
    book = CaseBook([CaseType("t", CaseKind.INQUIRY, "T", "T")])
    t = draw(st.sampled_from(ANCHORS)) + draw(st.integers(-3 * DAY_S, 3 * DAY_S))
    book.new_case("c", "t", t, site_id="s", title="x", by="a")
    for _ in range(draw(st.integers(0, 8))):
        t += draw(st.integers(0, 2 * DAY_S))
        case = book.case("c")
        if case.state is S.CLOSED:
            break
        if draw(st.integers(0, 5)) == 0 and case.first_response_at is None:
            book.respond("c", t, by="a", channel="chat")
            continue
        target = draw(st.sampled_from(sorted(TRANSITIONS[case.state])))
        dept = "d" if target is S.WAITING_ON_DEPARTMENT else None
        extra = {"root_cause": "r", "resolution": "r"} if target is S.RESOLVED else {}
        book.move("c", target, t, by="a", reason="r", department=dept, **extra)  # type: ignore[arg-type]
    return book.case("c")


def running_time(case: Case, cal: BusinessCalendar, now: float) -> float:
    """The definition: business time, up to ``now``, spent in states that do not pause."""
    total = 0.0
    marks = [*case.history, (float("inf"), S.CLOSED)]
    for (start, state), (end, _next) in itertools.pairwise(marks):
        if state not in CLOCK_PAUSED and start < now:
            total += cal.business_seconds(start, min(end, now))
    return total


later = st.integers(0, 5 * DAY_S)


@settings(max_examples=120, deadline=None)
@given(calendars(), cases(), later)
def test_given_any_history_when_resolution_clock_read_then_counts_only_unpaused_business_time(
    cal: BusinessCalendar, case: Case, extra: int
) -> None:
    now = case.updated_at + extra
    status = clock_status(case, cal, SlaClock.RESOLUTION, TARGETS.resolution_s, now)
    assert status.elapsed_s == running_time(case, cal, now)
    assert status.remaining_s == TARGETS.resolution_s - status.elapsed_s
    assert status.running == (case.state not in CLOCK_PAUSED)


@settings(max_examples=120, deadline=None)
@given(calendars(), cases(), st.lists(later, min_size=2, max_size=4))
def test_given_later_instants_when_clocks_read_then_elapsed_never_decreases(
    cal: BusinessCalendar, case: Case, extras: list[int]
) -> None:
    for clock in SlaClock:
        seen = [
            clock_status(case, cal, clock, TARGETS.of(clock), case.opened_at + x).elapsed_s
            for x in sorted(extras)
        ]
        assert seen == sorted(seen)


@settings(max_examples=120, deadline=None)
@given(calendars(), cases(), later)
def test_given_a_deadline_when_read_at_that_instant_then_exactly_the_target_has_run(
    cal: BusinessCalendar, case: Case, extra: int
) -> None:
    now = case.updated_at + extra
    for clock in SlaClock:
        due = clock_status(case, cal, clock, TARGETS.of(clock), now).due_at
        if due is not None:
            assert clock_status(case, cal, clock, TARGETS.of(clock), due).elapsed_s == TARGETS.of(
                clock
            )


@settings(max_examples=120, deadline=None)
@given(calendars(), cases(), later)
def test_given_department_waits_when_replaced_by_open_then_resolution_clock_unchanged(
    cal: BusinessCalendar, case: Case, extra: int
) -> None:
    now = case.updated_at + extra
    plain = replace(
        case,
        history=tuple((t, S.OPEN if s is S.WAITING_ON_DEPARTMENT else s) for t, s in case.history),
    )
    for clock in SlaClock:
        ours = clock_status(case, cal, clock, TARGETS.of(clock), now)
        theirs = clock_status(plain, cal, clock, TARGETS.of(clock), now)
        assert (ours.elapsed_s, ours.due_at, ours.breached) == (
            theirs.elapsed_s,
            theirs.due_at,
            theirs.breached,
        )


@settings(max_examples=120, deadline=None)
@given(calendars(), cases(), later)
def test_given_customer_waits_when_replaced_by_open_then_clock_gains_exactly_their_time(
    cal: BusinessCalendar, case: Case, extra: int
) -> None:
    now = case.updated_at + extra
    marks = [*case.history, (now, S.CLOSED)]
    waited = sum(
        cal.business_seconds(a, max(a, b))
        for (a, s), (b, _n) in itertools.pairwise(marks)
        if s is S.WAITING_ON_CUSTOMER
    )
    unpaused = replace(
        case,
        history=tuple((t, S.OPEN if s is S.WAITING_ON_CUSTOMER else s) for t, s in case.history),
    )
    ours = clock_status(case, cal, SlaClock.RESOLUTION, TARGETS.resolution_s, now)
    theirs = clock_status(unpaused, cal, SlaClock.RESOLUTION, TARGETS.resolution_s, now)
    assert theirs.elapsed_s == ours.elapsed_s + waited


@settings(max_examples=120, deadline=None)
@given(calendars(), cases(), later)
def test_given_due_steps_when_taken_then_not_due_again_and_next_due_fires_one(
    cal: BusinessCalendar, case: Case, extra: int
) -> None:
    now = case.updated_at + extra
    decision = evaluate(case, cal, POLICY, now)
    for action in decision.actions:
        assert action.due_at <= now
    taken = replace(
        case, escalations=case.escalations | {(a.clock.value, a.step) for a in decision.actions}
    )
    again = evaluate(taken, cal, POLICY, now)
    assert again.actions == ()
    assert again.next_due == decision.next_due
    if again.next_due is not None:
        assert again.next_due > now
        assert evaluate(taken, cal, POLICY, again.next_due).actions != ()
