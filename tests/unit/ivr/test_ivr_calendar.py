"""Business hours of a site (the hours node's calendar): weekdays, hours, holidays, zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kefu.adapters.ivr.calendar import BusinessHours


def _at(text: str, zone: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


HOURS = BusinessHours.of(
    "Asia/Shanghai", opens=9.0, closes=17.5, weekdays=range(5), holidays=["2026-10-01"]
)


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        ("2026-09-30 09:00:00", True),  # Wednesday, opening time
        ("2026-09-30 08:59:59", False),
        ("2026-09-30 17:29:59", True),
        ("2026-09-30 17:30:00", False),  # closes at 17:30
        ("2026-10-01 10:00:00", False),  # national day: a holiday
        ("2026-10-03 10:00:00", False),  # Saturday
        ("2026-10-05 10:00:00", True),  # Monday
    ],
)
def test_given_site_hours_when_asked_in_local_time_then_open_only_in_hours_on_workdays(
    local: str, is_open: bool
) -> None:
    assert HOURS.is_open(_at(local, "Asia/Shanghai")) is is_open


def test_given_the_same_instant_when_asked_of_two_zones_then_each_site_answers_in_its_own() -> None:
    instant = _at("2026-09-30 02:00:00", "UTC")  # 10:00 in Shanghai, 03:00 in London (BST)
    london = BusinessHours.of("Europe/London", opens=9.0, closes=17.5, weekdays=range(5))
    assert HOURS.is_open(instant)
    assert not london.is_open(instant)
    assert london.is_open(instant + 7 * 3600)  # 10:00 in London


def test_given_an_unknown_zone_when_built_then_refused_at_once() -> None:
    with pytest.raises(Exception, match="Mars"):
        BusinessHours.of("Mars/Olympus")
