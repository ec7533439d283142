"""The compact log: hot events kept as records until read, equal to the events they stand for."""

from __future__ import annotations

import dataclasses

from kefu.analytics import KpiAccumulator
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router, RouterConfig
from kefu.domain.routing.log import event_of, field_index, materialize

QUEUES = (
    QueueSpec("账单", Channel.VOICE, {"billing": 3}, wrapup_s=5.0),
    QueueSpec("support", Channel.CHAT, {"support": 1}),
)
AGENTS = (
    AgentSpec("a1", {"billing": 5}),
    AgentSpec("a2", {"billing": 3, "support": 2}, name="李娜"),
)


def _day(router: Router, drain_records: bool) -> list[object]:
    """The same commands every time: arrivals, answers, a reject, completions, wrap-ups,
    an abandon and a missed offer; returns what the drains handed over, in order."""
    out: list[object] = []

    def drain() -> None:
        out.extend(router.drain_records() if drain_records else router.drain())

    for queue in QUEUES:
        router.define_queue(queue, 0.0)
    for spec in AGENTS:
        router.define_agent(spec, 0.0)
        router.set_presence(spec.agent_id, "ready", 0.0)
    drain()
    router.arrive("c1", "账单", 1.0)
    router.arrive("c2", "账单", 2.0)
    router.enqueue(ContactSpec("c3", "support", value_tier=1), 3.0)
    drain()
    router.accept("c1/1", 4.0)
    router.reject("c2/1", 4.5)
    router.complete("c1", 10.0, "sold")
    drain()
    router.advance(16.0)  # c1's wrap-up ends; c2 is offered to a1 again
    router.abandon("c3", 17.0)
    router.advance(60.0)  # the offer of c2 to a1 is missed
    drain()
    return out


def test_given_the_same_day_when_drained_as_records_then_they_build_the_drained_events() -> None:
    config = RouterConfig(offer_timeout_s=15.0)
    events = _day(Router(config), drain_records=False)
    records = _day(Router(config), drain_records=True)

    assert any(type(r) is tuple for r in records)
    assert materialize(records) == events  # type: ignore[arg-type]
    assert ev.events_to_jsonl(materialize(records)) == ev.events_to_jsonl(events)  # type: ignore[arg-type]


def test_given_a_record_when_built_then_it_is_the_event_with_its_fields_in_order() -> None:
    record = (ev.OfferCreated, 1.0, "c1/1", "c1", "a1", 21.0, False)

    event = event_of(record)

    assert event == ev.OfferCreated(1.0, "c1/1", "c1", "a1", 21.0, False)
    assert record[field_index(ev.OfferCreated, "agent_id")] == "a1"
    assert dataclasses.is_dataclass(event) and event_of(event) is event


def test_given_enqueue_when_read_from_the_log_then_the_returned_event_is_the_logged_one() -> None:
    router = Router()
    router.define_queue(QUEUES[0], 0.0)

    queued = router.enqueue(ContactSpec("c1", "账单"), 1.0)

    assert router.log[-1] is queued
    assert queued.position == 1 and queued.estimated_wait_s is None
    assert router.log is router.log  # built once, in place


def test_given_records_when_consumed_then_kpis_equal_those_of_the_events() -> None:
    config = RouterConfig(offer_timeout_s=15.0)
    events = _day(Router(config), drain_records=False)
    records = _day(Router(config), drain_records=True)
    from_events, from_records = KpiAccumulator(60.0), KpiAccumulator(60.0)

    from_events.consume_all(events)  # type: ignore[arg-type]
    from_records.consume_records(records)  # type: ignore[arg-type]

    report = from_records.result(120.0)
    assert report == from_events.result(120.0)
    assert (report.queues["账单"].offered, report.queues["账单"].answered) == (2, 1)
    assert report.queues["support"].abandoned == 1
    assert from_records.result().intervals == from_events.result().intervals
