"""Business calendars: working hours, holidays, make-up days and DST days, by hand."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.calendar import BusinessCalendar, parse_spans
from kefu.domain.errors import ValidationError

H = 3600


def at(zone: str, *parts: int) -> float:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).timestamp()  # type: ignore[arg-type,misc]


def test_given_spans_text_when_parsed_then_seconds_after_midnight_sorted() -> None:
    assert parse_spans("13:30-18:00，09:00至12:00") == ((9 * H, 12 * H), (13 * H + 1800, 18 * H))
    assert parse_spans("00:00-24:00") == ((0, 24 * H),)
    assert parse_spans("") == ()


@pytest.mark.parametrize("text", ["9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:75-10:00"])
def test_given_bad_spans_when_parsed_then_validation_error(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_spans(text)


def test_given_unknown_zone_when_calendar_built_then_validation_error() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        BusinessCalendar.weekdays("Mars/Olympus")


def test_given_lunch_break_when_friday_evening_plus_two_hours_then_monday_morning() -> None:
    cal = BusinessCalendar.weekdays("Asia/Shanghai", "09:00-12:00,13:00-18:00")
    friday_17 = at("Asia/Shanghai", 2026, 12, 4, 17, 0)
    due = cal.add_business_seconds(friday_17, 2 * H)
    assert due == at("Asia/Shanghai", 2026, 12, 7, 10, 0)
    assert cal.business_seconds(friday_17, due) == 2 * H
    assert not cal.is_open(at("Asia/Shanghai", 2026, 12, 7, 12, 30))
    assert cal.next_opening(at("Asia/Shanghai", 2026, 12, 7, 12, 30)) == at(
        "Asia/Shanghai", 2026, 12, 7, 13, 0
    )


def test_given_holiday_week_and_make_up_saturday_when_counting_then_only_worked_days() -> None:
    # National Day week closed (Thu 1 Oct to Wed 7 Oct), Saturday 10 Oct worked instead.
    holidays = frozenset(date(2026, 10, d) for d in range(1, 8))
    cal = BusinessCalendar.weekdays(
        "Asia/Shanghai",
        "09:00-17:00",
        holidays=holidays,
        workdays={date(2026, 10, 10): "09:00-17:00"},
    )
    week = cal.business_seconds(at("Asia/Shanghai", 2026, 9, 30), at("Asia/Shanghai", 2026, 10, 12))
    # Wed 30 Sep, Thu 8, Fri 9 and Sat 10 Oct: four days of 8 h.
    assert week == 4 * 8 * H
    assert cal.is_open(at("Asia/Shanghai", 2026, 10, 10, 10, 0))
    assert not cal.is_open(at("Asia/Shanghai", 2026, 10, 5, 10, 0))
    assert cal.next_opening(at("Asia/Shanghai", 2026, 9, 30, 18, 0)) == at(
        "Asia/Shanghai", 2026, 10, 8, 9, 0
    )


def test_given_same_date_holiday_and_workday_when_built_then_refused() -> None:
    with pytest.raises(ValidationError, match="both"):
        BusinessCalendar.weekdays(
            "UTC",
            holidays=frozenset({date(2026, 1, 1)}),
            workdays={date(2026, 1, 1): "09:00-10:00"},
        )


def test_given_berlin_spring_forward_when_span_covers_gap_then_one_hour_shorter() -> None:
    cal = BusinessCalendar("Europe/Berlin", (((H, 4 * H),),) * 7)
    day = at("Europe/Berlin", 2026, 3, 29)
    assert cal.business_seconds(day, day + 86_400) == 2 * H
    one = at("Europe/Berlin", 2026, 3, 29, 1, 0)
    # 01:59:59 CET is followed by 03:00 CEST: one stretch of two real hours.
    assert list(cal.open_intervals(day, day + 86_400)) == [(one, one + 2 * H)]
    assert cal.add_business_seconds(at("Europe/Berlin", 2026, 3, 29, 1, 30), H) == at(
        "Europe/Berlin", 2026, 3, 29, 3, 30
    )


def test_given_new_york_fall_back_when_span_covers_overlap_then_one_hour_longer() -> None:
    cal = BusinessCalendar("America/New_York", (((0, 3 * H),),) * 7)
    day = at("America/New_York", 2026, 11, 1)
    assert cal.business_seconds(day, day + 2 * 86_400) == 4 * H + 3 * H
    assert list(cal.open_intervals(day, day + 86_400)) == [(day, day + 4 * H)]


def test_given_always_open_calendar_when_measured_then_elapsed_time_and_never_closes() -> None:
    cal = BusinessCalendar.always_open("Europe/Berlin")
    day = at("Europe/Berlin", 2026, 3, 29)
    assert cal.business_seconds(day, day + 3 * 86_400) == 3 * 86_400
    assert cal.add_business_seconds(day, 10.5) == day + 10.5
    assert cal.next_closing(day) == math.inf


def test_given_calendar_never_open_when_adding_time_then_validation_error() -> None:
    cal = BusinessCalendar("UTC", ((),) * 7)
    with pytest.raises(ValidationError, match="closed"):
        cal.add_business_seconds(0.0, 60.0)


def test_given_calendar_when_round_tripped_through_dict_then_equal() -> None:
    cal = BusinessCalendar.weekdays(
        "Asia/Shanghai",
        "09:00-12:00,13:00-18:00",
        saturday="10:00-14:00",
        holidays=frozenset({date(2026, 10, 1)}),
        workdays={date(2026, 10, 11): "09:00-18:00"},
    )
    assert BusinessCalendar.from_dict(cal.to_dict()) == cal
    assert hash(BusinessCalendar.from_dict(cal.to_dict())) == hash(cal)  # usable as a key
    with pytest.raises(ValidationError):
        BusinessCalendar.from_dict({"time_zone": "UTC", "weekly": [[["x", 1]]] * 7})


def test_given_reversed_instants_when_measured_then_validation_error() -> None:
    cal = BusinessCalendar.weekdays("UTC")
    with pytest.raises(ValidationError):
        cal.business_seconds(10.0, 5.0)
    with pytest.raises(ValidationError):
        cal.add_business_seconds(10.0, -1.0)
