"""Invariants of business time across weekends, holidays, make-up days and DST changes."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.domain.calendar import DAY_S, BusinessCalendar, Span

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC")
# DST changes of 2026 (Berlin 29 Mar / 25 Oct, New York 8 Mar / 1 Nov) and a Chinese holiday.
ANCHORS = tuple(
    datetime(2026, m, d, tzinfo=ZoneInfo("UTC")).timestamp()
    for m, d in ((3, 8), (3, 29), (10, 1), (10, 25), (11, 1))
)
QUARTER = 900


@st.composite
def spans(draw: st.DrawFn) -> tuple[Span, ...]:
    # Quarter-hour edges, dense around 01:00–04:00 where DST changes happen.
    edges = draw(st.lists(st.integers(0, 96), min_size=0, max_size=6, unique=True))
    edges.sort()
    pairs = [(edges[i] * QUARTER, edges[i + 1] * QUARTER) for i in range(0, len(edges) - 1, 2)]
    return tuple(pairs)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(ZONES))
    week = [draw(spans()) for _ in range(7)]
    if not any(week):
        week[0] = ((QUARTER * 4, QUARTER * 40),)
    days = st.dates(min_value=date(2026, 2, 20), max_value=date(2026, 11, 20))
    holidays = frozenset(draw(st.lists(days, max_size=6)))
    workdays = {d: draw(spans()) for d in draw(st.lists(days, max_size=3)) if d not in holidays}
    return BusinessCalendar(zone, tuple(week), holidays, workdays)


instants = st.builds(
    lambda anchor, shift: anchor + shift,
    st.sampled_from(ANCHORS),
    st.integers(-10 * DAY_S, 10 * DAY_S),
)
durations = st.integers(0, 30 * 3600)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations)
def test_given_any_calendar_when_adding_then_measuring_then_the_same_seconds(
    cal: BusinessCalendar, t: float, s: int
) -> None:
    due = cal.add_business_seconds(t, s)
    assert due >= t
    assert cal.business_seconds(t, due) == s


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, st.integers(0, 12 * DAY_S))
def test_given_any_calendar_when_measuring_then_adding_then_back_at_the_last_open_instant(
    cal: BusinessCalendar, t: float, span: int
) -> None:
    u = t + span
    back = cal.add_business_seconds(t, cal.business_seconds(t, u))
    assert back <= u
    assert cal.business_seconds(back, u) == 0


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, st.lists(st.integers(0, 6 * DAY_S), min_size=2, max_size=2))
def test_given_three_instants_when_measuring_then_additive_and_bounded_by_elapsed(
    cal: BusinessCalendar, a: float, gaps: list[int]
) -> None:
    b, c = a + gaps[0], a + gaps[0] + gaps[1]
    ab, bc, ac = cal.business_seconds(a, b), cal.business_seconds(b, c), cal.business_seconds(a, c)
    assert ac == ab + bc
    assert 0 <= ab <= b - a


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations, durations)
def test_given_more_business_time_when_added_then_never_an_earlier_deadline(
    cal: BusinessCalendar, t: float, s1: int, s2: int
) -> None:
    lo, hi = sorted((s1, s2))
    assert cal.add_business_seconds(t, lo) <= cal.add_business_seconds(t, hi)


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(0, 2 * DAY_S // 60))
def test_given_minute_grid_when_counting_open_minutes_then_business_seconds_agree(
    cal: BusinessCalendar, t: float, minutes: int
) -> None:
    # The definition itself: open time is the set of instants whose local clock is in a span.
    start = t - t % 60
    counted = sum(60 for k in range(minutes) if cal.is_open(start + 60 * k))
    assert cal.business_seconds(start, start + 60 * minutes) == counted


@settings(max_examples=100, deadline=None)
@given(calendars(), instants)
def test_given_open_intervals_when_probed_then_inside_open_and_between_closed(
    cal: BusinessCalendar, t: float
) -> None:
    found = list(cal.open_intervals(t, t + 4 * DAY_S))
    for (_s1, e1), (s2, _e2) in itertools.pairwise(found):
        assert e1 < s2
        assert not cal.is_open((e1 + s2) / 2)
        assert not cal.is_open(e1)
    for s, e in found:
        assert cal.is_open(s) and cal.is_open((s + e) / 2) and cal.is_open(e - 0.5)
    opening = cal.next_opening(t)
    assert cal.is_open(opening)
    assert cal.business_seconds(t, opening) == 0


def test_given_berlin_week_across_dst_when_measured_then_local_hours_count() -> None:
    # Mon–Fri 09:00–17:00 in the week of the spring change: 40 h whatever the offset.
    cal = BusinessCalendar.weekdays("Europe/Berlin", "09:00-17:00")
    zone = ZoneInfo("Europe/Berlin")
    monday = datetime(2026, 3, 23, tzinfo=zone)
    end = monday + timedelta(days=14)
    assert cal.business_seconds(monday.timestamp(), end.timestamp()) == 80 * 3600


@settings(max_examples=40, deadline=None)
@given(calendars(), st.sampled_from(tuple(f"n{i}" for i in range(4))))
def test_given_any_calendar_when_stored_as_data_then_read_back_the_same(
    cal: BusinessCalendar, name: str
) -> None:
    from kefu.domain.cases import SiteCalendar

    named = SiteCalendar(cal, dict.fromkeys(cal.holidays, name))
    assert SiteCalendar.from_dict(named.to_dict()) == named


@settings(max_examples=40, deadline=None)
@given(calendars(), instants, st.integers(1, 30 * 3600), st.integers(0, 12))
def test_given_a_deadline_when_a_holiday_is_declared_then_it_never_comes_earlier(
    cal: BusinessCalendar, t: float, s: int, ahead: int
) -> None:
    """A holiday takes open time away: a deadline moves later (or stays), and by the open
    time it took when that day fell before the old deadline."""
    day = datetime.fromtimestamp(t, ZoneInfo(cal.time_zone)).date() + timedelta(days=ahead)
    workdays = {d: v for d, v in cal.workdays.items() if d != day}
    closed = BusinessCalendar(cal.time_zone, cal.weekly, cal.holidays | {day}, workdays)
    before, after = cal.add_business_seconds(t, s), closed.add_business_seconds(t, s)
    assert after >= before
    assert closed.business_seconds(t, after) == s
