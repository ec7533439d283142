"""A serving process freezes what each full garbage collection leaves, so the next reads
only what was made since, and thaws it all once every full-scan period."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from kefu.cli.runtime import FreezeAfterFull


@pytest.fixture
def freezer() -> Iterator[FreezeAfterFull]:
    # What the test process holds already is set aside (frozen) first: the tests' first
    # full collections then read only their own objects, not a test worker's grown heap
    # (seconds each); the callback's freezes and thaws go on as in a server.
    gc.freeze()
    made = FreezeAfterFull(full_scan_s=3600.0)
    made.install()
    try:
        yield made
    finally:  # other tests count on a collector as Python sets it
        made.remove()
        gc.unfreeze()


def test_given_the_callback_when_a_full_collection_runs_then_its_survivors_are_frozen(
    freezer: FreezeAfterFull,
) -> None:
    kept = [[n] for n in range(10_000)]
    before = gc.get_freeze_count()
    gc.collect(1)
    assert gc.get_freeze_count() == before  # a younger collection freezes nothing
    gc.collect(2)
    assert gc.get_freeze_count() >= before + len(kept)
    freezer.remove()  # (installed once only)
    freezer.install()
    freezer.install()
    assert gc.callbacks.count(freezer) == 1


def test_given_the_full_scan_due_when_a_full_collection_runs_then_all_is_thawed(
    freezer: FreezeAfterFull,
) -> None:
    kept = [[n] for n in range(1_000)]
    before = gc.get_freeze_count()
    gc.collect(2)
    assert gc.get_freeze_count() >= before + len(kept)
    freezer.next_scan = 0.0  # due
    gc.collect(2)
    assert gc.get_freeze_count() == 0  # the next full collection reads everything
    assert freezer.next_scan > 1000.0
    gc.collect(2)
    assert gc.get_freeze_count() > 0


def test_given_a_frozen_cycle_when_the_full_scan_comes_then_it_is_collected(
    freezer: FreezeAfterFull,
) -> None:
    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.collect(2)  # a and b survive, frozen
    del a, b
    gc.collect(2)
    assert gone() is not None  # a frozen cycle waits
    freezer.next_scan = 0.0
    gc.collect(2)  # thaws
    gc.collect(2)  # reads everything: the cycle goes
    assert gone() is None


def test_given_no_period_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 0"):
        FreezeAfterFull(full_scan_s=0)
