from __future__ import annotations

import pytest

from kefu.adapters.clock import SystemClock
from kefu.domain.time import Clock, ManualClock


def test_given_manual_clock_when_advanced_then_now_moves() -> None:
    clock = ManualClock(10.0)
    assert clock.advance(2.5) == 12.5
    assert clock.now() == 12.5


def test_given_manual_clock_when_moved_backwards_then_refused() -> None:
    clock = ManualClock(10.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(5.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1.0)
    assert clock.now() == 10.0


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(ManualClock(), Clock)
    assert isinstance(SystemClock(), Clock)
    assert SystemClock().now() > 1_600_000_000
