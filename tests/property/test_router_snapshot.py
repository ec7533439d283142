"""A router restored from a snapshot plus the tail of its log equals the one replayed from
the whole log: random command sequences (the stateful router machine's), a snapshot at a
random point of the log, finished contacts forgotten or kept; then both run on and must
log the same events."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule
from test_router_stateful import RouterMachine

from kefu.domain import events as ev
from kefu.domain.routing import Router
from kefu.domain.routing.digest import state_digest
from kefu.service.snapshots import dump_router, load_router


class SnapshotMachine(RouterMachine):
    """The router machine with one more rule: snapshot, restore, compare."""

    @rule(
        cut=st.integers(0, 10_000),
        retain=st.sampled_from([math.inf, 0.0, 30.0]),
        ahead=st.sampled_from([0.0, 5.0, 60.0]),
    )
    def snapshot_and_tail(self, cut: int, retain: float, ahead: float) -> None:
        events = list(self.router.log)
        k = cut % (len(events) + 1)
        base = Router.replay(events[:k], self.config)
        base.drain()
        before = base.time - retain
        base.forget_finished(before)
        restored = load_router(dump_router(base), events[k:])
        full = Router.replay(events, self.config)
        full.drain()
        full.forget_finished(before)
        assert state_digest(restored) == state_digest(full)
        kept = {c for c, r in full.contacts.items() if r.ended_at is None or r.ended_at >= before}
        assert set(restored.contacts) == kept
        # Both decide alike from here: the timers due in the next seconds log the same.
        later = self.router.time + ahead
        for router in (restored, full):
            router.advance(later)
        assert ev.events_to_jsonl(restored.drain()) == ev.events_to_jsonl(full.drain())
        assert state_digest(restored) == state_digest(full)


SnapshotMachine.TestCase.settings = settings(
    max_examples=15, stateful_step_count=40, suppress_health_check=[HealthCheck.too_slow]
)
TestRouterSnapshot = SnapshotMachine.TestCase
