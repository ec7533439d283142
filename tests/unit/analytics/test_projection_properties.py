"""The report projection (per-visit rows summed in SQL) gives the figures of the
event-decoding path, on random routing histories."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from report_compare import assert_same_report
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from test_kpi_accumulator import _STEP, _drive

from kefu.adapters.storage.report_projection import projected_report, rebuild
from kefu.adapters.storage.repositories import SqlEventLog
from kefu.adapters.storage.tables import Base
from kefu.analytics.history import DIMENSIONS, history_report
from kefu.analytics.projection import SLOT_S, VisitProjector

GROUPINGS = [g for n in range(3) for g in combinations(DIMENSIONS, n)]


@settings(max_examples=20, deadline=None)
@given(
    st.lists(_STEP, min_size=5, max_size=80),
    st.sampled_from(GROUPINGS),
    st.sampled_from(["interval:15", "interval:60", "day"]),
    st.integers(0, 3),
)
def test_given_any_history_when_projected_and_summed_in_sql_then_it_equals_the_event_path(
    steps: list[tuple[str, float, int]], group_by: tuple[str, ...], period: str, skip: int
) -> None:
    _, log, _now = _drive(steps)
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        SqlEventLog(session).append(log)
        session.commit()
    rebuild(engine)
    since = skip * SLOT_S  # ranges starting later leave earlier contacts out
    until = since + 2 * 86400.0
    got = projected_report(engine, since, until, period=period, group_by=group_by)
    expected = history_report(log, since, until, period=period, group_by=group_by)
    assert_same_report(got.to_dict(), expected.to_dict())
    engine.dispose()


@settings(max_examples=30)
@given(st.lists(_STEP, min_size=5, max_size=80), st.integers(1, 30))
def test_given_any_history_when_projected_in_batches_then_slots_sum_to_the_same_time(
    steps: list[tuple[str, float, int]], size: int
) -> None:
    _, log, _now = _drive(steps)
    whole = VisitProjector()
    whole.consume(log)
    visits, slots = whole.finish()
    parts = VisitProjector()
    got_visits, got_slots = [], []
    for i in range(0, len(log), size):
        parts.consume(log[i : i + size])
        got_visits += parts.take_visits()
        got_slots += parts.take_slots(parts.last_at)
    rest_visits, rest_slots = parts.finish()
    got_visits += rest_visits
    got_slots += rest_slots
    assert sorted(got_visits, key=lambda v: (v.contact_id, v.leg)) == sorted(
        visits, key=lambda v: (v.contact_id, v.leg)
    )

    def per_slot(rows: list) -> dict[tuple[str, float], tuple[float, float, float]]:
        out: dict[tuple[str, float], tuple[float, float, float]] = {}
        for s in rows:
            h, i, t = out.get((s.agent_id, s.slot_at), (0.0, 0.0, 0.0))
            out[(s.agent_id, s.slot_at)] = (h + s.handling_s, i + s.idle_s, t + s.staffed_s)
        return out

    a, b = per_slot(got_slots), per_slot(slots)
    assert sorted(a) == sorted(b)
    for key in a:
        assert all(abs(x - y) < 1e-6 for x, y in zip(a[key], b[key], strict=True)), key
    # every slot row is one slot's worth at most, and taken once
    assert all(0.0 <= s.handling_s <= s.staffed_s <= SLOT_S + 1e-9 for s in got_slots)
