"""The contact figures pre-added per slot (``contact_slot_sums``): filled by a rebuild up to
the oldest contact still open, caught up by a report once the projection is complete
further, read for the slots they hold (SQLite and PostgreSQL), with the figures of the
visits."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from db_helpers import Database
from sqlalchemy import func, select, text, update
from test_report_projection import DAY0, HOUR, _day, _store

from kefu.adapters.storage.report_projection import mark as read_mark
from kefu.adapters.storage.report_projection import projected_report, rebuild
from kefu.adapters.storage.report_repository import MARK, MARKS
from kefu.adapters.storage.report_sums import catch_up, clear_sums, sums_until
from kefu.analytics.projection import SLOT_S
from kefu.domain.events import Event

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "analytics"))
from report_compare import assert_same_report

DAY = 86_400.0


@pytest.fixture(scope="module")
def day() -> list[Event]:
    return _day()


def _both(database: Database, since: float, until: float, group_by: tuple[str, ...]) -> None:
    kw = {"period": "interval:30", "timezone": "Asia/Shanghai", "group_by": group_by}
    summed = projected_report(database.engine, since, until, **kw)  # type: ignore[arg-type]
    plain = projected_report(database.engine, since, until, sums=False, **kw)  # type: ignore[arg-type]
    assert_same_report(summed.to_dict(), plain.to_dict())
    assert summed.total.contacts.offered == plain.total.contacts.offered


def test_given_a_rebuilt_day_then_slots_before_the_oldest_open_contact_are_summed(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day)
    rebuild(database.engine)
    with database.engine.connect() as connection:
        until = sums_until(connection)
        rows = connection.scalar(text("SELECT COUNT(*) FROM contact_slot_sums"))
        open_at = connection.scalar(
            text("SELECT MIN(queued_at) FROM contact_visits WHERE ended_at IS NULL")
        )
    assert until is not None and rows is not None and rows > 20
    # some contacts are still open when the day's log ends: the sums stop before them
    assert open_at is not None and until == math.floor(open_at / SLOT_S)
    for group_by in (("queue",), ("site", "channel", "value_tier"), (), ("agent",)):
        _both(database, DAY0, DAY0 + DAY, group_by)
    # a range that ends inside the summed slots, one that starts after them
    _both(database, DAY0 + 9 * HOUR, until * SLOT_S - 2 * HOUR, ("queue",))
    _both(database, until * SLOT_S + SLOT_S, DAY0 + DAY, ("queue",))


def test_given_sums_when_visits_change_under_them_then_the_report_reads_the_sums(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day)
    rebuild(database.engine)
    since, until = DAY0 + 8 * HOUR, DAY0 + 10 * HOUR
    kw = {"period": "interval:60", "timezone": "Asia/Shanghai", "group_by": ("queue",)}
    before = projected_report(database.engine, since, until, **kw)  # type: ignore[arg-type]
    with database.engine.begin() as connection:  # the visits of 08:00-09:00 go
        gone = connection.execute(
            text("DELETE FROM contact_visits WHERE queued_at >= :a AND queued_at < :b"),
            {"a": since, "b": since + HOUR},
        ).rowcount
    assert gone > 10
    summed = projected_report(database.engine, since, until, **kw)  # type: ignore[arg-type]
    plain = projected_report(database.engine, since, until, sums=False, **kw)  # type: ignore[arg-type]
    assert summed.total.contacts.offered == before.total.contacts.offered
    assert plain.total.contacts.offered == before.total.contacts.offered - gone


def test_given_a_served_projection_when_reported_then_the_sums_catch_up_once(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day)
    rebuild(database.engine)
    with database.engine.begin() as connection:
        clear_sums(connection)
        first = connection.scalar(text("SELECT MIN(queued_at) FROM contact_visits"))
        # as a server would mark it: complete for what queued before 11:07
        connection.execute(
            update(MARKS).where(MARKS.c.name == MARK).values(complete_until=DAY0 + 11 * HOUR + 420)
        )
        connection.execute(text("DELETE FROM contact_visits WHERE ended_at IS NULL"))
    with database.engine.connect() as connection:
        found = read_mark(connection)
    assert found is not None and found.complete_until == DAY0 + 11 * HOUR + 420
    _both(database, DAY0, DAY0 + 11 * HOUR, ("queue",))
    with database.engine.connect() as connection:
        assert sums_until(connection) == (DAY0 + 11 * HOUR) / SLOT_S
        rows = connection.scalar(text("SELECT COUNT(*) FROM contact_slot_sums"))
        summed = connection.scalar(text("SELECT SUM(offered) FROM contact_slot_sums"))
        visits = connection.scalar(
            select(func.count())
            .select_from(text("contact_visits"))
            .where(text(f"queued_at < {DAY0 + 11 * HOUR!r}"))
        )
    assert first is not None and visits is not None
    assert summed == visits > 50
    # asked again: nothing more to add, nothing added twice
    assert catch_up(database.engine, found) == (DAY0 + 11 * HOUR) / SLOT_S
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM contact_slot_sums")) == rows
