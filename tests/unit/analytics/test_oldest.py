"""OldestFirst gives the earliest instant of the items still open, as a scan would, while
items open, close and open again in any order (instants not sorted)."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st
from test_kpi_accumulator import _STEP, _drive

from kefu.analytics.oldest import OldestFirst
from kefu.analytics.projection import VisitProjector
from kefu.analytics.visits import VisitLog

_STEPS = st.lists(
    st.tuples(st.sampled_from("ooc"), st.integers(0, 30), st.floats(0, 1e6)), max_size=300
)


class _Item:
    def __init__(self, at: float) -> None:
        self.at = at


@given(_STEPS)
def test_given_items_opening_and_closing_then_the_oldest_is_what_a_scan_finds(
    steps: list[tuple[str, int, float]],
) -> None:
    live: dict[str, _Item] = {}
    oldest: OldestFirst[_Item] = OldestFirst()
    for what, n, at in steps:
        key = f"c{n}"
        if what == "o":  # opens (again: a new item replaces the open one)
            live[key] = item = _Item(at)
            oldest.push(at, key, item, live)
        else:
            live.pop(key, None)
        assert oldest.oldest(live) == min((i.at for i in live.values()), default=None)


def test_given_many_closed_under_an_old_open_item_then_the_heap_stays_bounded() -> None:
    live: dict[str, _Item] = {"old": _Item(0.0)}
    oldest: OldestFirst[_Item] = OldestFirst()
    oldest.push(0.0, "old", live["old"], live)
    for n in range(20_000):
        live[f"c{n}"] = item = _Item(float(n + 1))
        oldest.push(item.at, f"c{n}", item, live)
        del live[f"c{n}"]
    assert len(oldest) <= 2 * len(live) + 1025
    assert oldest.oldest(live) == 0.0


def test_given_a_pickled_one_then_it_goes_on_as_before() -> None:
    live = {"a": _Item(5.0), "b": _Item(3.0)}
    oldest = OldestFirst.of({k: (v.at, v) for k, v in live.items()})
    live2, oldest2 = pickle.loads(pickle.dumps((live, oldest)))
    del live2["b"]
    assert oldest2.oldest(live2) == 5.0


@settings(max_examples=30)
@given(st.lists(_STEP, min_size=5, max_size=80))
def test_given_a_visit_log_pickled_before_it_kept_the_oldest_then_it_reads_the_same(
    steps: list[tuple[str, float, int]],
) -> None:
    _, log, _now = _drive(steps)
    projector = VisitProjector()
    projector.consume(log)
    state = dict(projector.log.__dict__)
    del state["_oldest"]  # as a snapshot taken before it was kept
    old: VisitLog = VisitLog.__new__(VisitLog)
    old.__setstate__(state)
    assert old.open_since() == projector.log.open_since()
    assert old.open_since() == min(
        (v.queued_at for v in projector.log._open.values()), default=None
    )
