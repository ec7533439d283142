"""The router's fast paths keep its log: trusted arrivals, timer FIFOs, fast events."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from routing_helpers import offers, ready_agents

from kefu.domain import events as ev
from kefu.domain.errors import AlreadyExists, UnknownQueue, ValidationError
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router, RouterConfig

QUEUES = (
    QueueSpec("billing", Channel.VOICE, {"billing": 3}, wrapup_s=10.0),
    QueueSpec("support", Channel.CHAT, {"support": 1}, aht_s=120.0),
)
AGENTS = (
    AgentSpec("a1", {"billing": 5}),
    AgentSpec("a2", {"billing": 3, "support": 2}, name="李娜"),
    AgentSpec("a3", {"support": 1}),
)


def _center() -> Router:
    router = Router(RouterConfig(offer_timeout_s=15.0, retain_closed=False))
    for queue in QUEUES:
        router.define_queue(queue, 0.0)
    ready_agents(router, AGENTS)
    return router


# A day in steps: (gap before the step in seconds, queue index, what happens to its offer).
STEPS = st.lists(
    st.tuples(
        st.floats(0.0, 30.0, allow_nan=False),
        st.integers(0, 1),
        st.sampled_from(["accept", "reject", "ring"]),
    ),
    max_size=40,
)


def _drive(router: Router, steps: list[tuple[float, int, str]], trusted: bool) -> str:
    """Feed the same arrivals through ``arrive`` or ``enqueue``; answer offers as told."""
    t = 0.0
    for n, (gap, qi, fate) in enumerate(steps):
        t += gap
        cid, qid = f"来电-{n}", QUEUES[qi].queue_id
        if trusted:
            router.arrive(cid, qid, t)
        else:
            router.enqueue(ContactSpec(cid, qid), t)
        todo = router.drain()
        while todo:  # answer at once, including the offers that answers lead to
            for offer in [e for e in todo if isinstance(e, ev.OfferCreated)]:
                record = router.contacts.get(offer.contact_id)
                if record is None or record.offer_id != offer.offer_id:
                    continue  # made and timed out while time advanced to this step
                if fate == "accept":
                    router.accept(offer.offer_id, t)
                    router.complete(offer.contact_id, t)
                elif fate == "reject":
                    router.reject(offer.offer_id, t)
            todo = router.drain()
    router.advance(t + 100.0)
    return ev.events_to_jsonl(router.log)


@settings(max_examples=40, deadline=None)
@given(STEPS)
def test_given_the_same_arrivals_when_queued_through_arrive_or_enqueue_then_logs_are_identical(
    steps: list[tuple[float, int, str]],
) -> None:
    via_spec = _center()
    via_spec.drain()
    trusted = _center()
    trusted.drain()

    assert _drive(trusted, steps, True) == _drive(via_spec, steps, False)


def test_given_unknown_queue_or_existing_contact_when_arriving_then_refused() -> None:
    router = _center()
    router.arrive("c1", "billing", 1.0)

    with pytest.raises(UnknownQueue):
        router.arrive("c2", "nowhere", 1.0)
    with pytest.raises(AlreadyExists):
        router.arrive("c1", "support", 1.0)


def test_given_replayed_offers_of_decreasing_length_when_time_passes_then_expire_in_order() -> None:
    # Two logs' worth of settings: a 30 s offer made before a 10 s one. The later, shorter
    # offer must still time out first, though the FIFO of offer timers is in arming order.
    events: list[ev.Event] = [ev.QueueDefined(0.0, QUEUES[0])]
    for spec in AGENTS[:2]:
        events += [
            ev.AgentDefined(0.0, spec),
            ev.AgentStateChanged(0.0, spec.agent_id, "ready", None),
        ]
    for n, (agent, at, expires) in enumerate((("a1", 0.0, 30.0), ("a2", 1.0, 11.0)), start=1):
        events += [
            ev.ContactQueued(at, f"c{n}", "billing", "voice", 0, 0, None, {}, None, 1),
            ev.OfferCreated(at, f"c{n}/1", f"c{n}", agent, expires, False),
        ]
    router = Router.replay(events)

    assert router.next_due() == 11.0
    router.advance(20.0)
    assert [e.offer_id for e in router.log if isinstance(e, ev.OfferTimedOut)] == ["c2/1"]
    assert router.next_due() == 30.0
    router.advance(30.0)
    assert [e.offer_id for e in router.log if isinstance(e, ev.OfferTimedOut)] == ["c2/1", "c1/1"]


def test_given_offers_answered_at_once_when_time_passes_then_no_stale_timer_is_due() -> None:
    router = _center()
    for n in range(5):
        router.arrive(f"c{n}", "billing", float(n))
        offer = offers(router)[-1]
        router.accept(offer.offer_id, float(n))
        router.complete(offer.contact_id, n + 0.5)
        router.end_wrapup(offer.contact_id, n + 0.5)

    assert router.next_due() is None  # the answered offers' timeouts are stale


def test_given_overflow_steps_of_several_lengths_when_due_then_fire_in_time_order() -> None:
    # Overflow timers go to one FIFO per length; c1's second step (due 20 s, armed at 10 s)
    # is earlier than c2's first step of the same 20 s length armed before it (due 25 s),
    # so it cannot join that FIFO and waits on the heap: the merge must still fire in order.
    router = Router()
    q = QueueSpec(
        "q",
        Channel.VOICE,
        {"billing": 3},
        overflow=(OverflowStep(10.0, skills={"billing": 1}), OverflowStep(20.0, skills={})),
    )
    r = QueueSpec("r", Channel.VOICE, {"billing": 5}, overflow=(OverflowStep(20.0, skills={}),))
    router.define_queue(q, 0.0)
    router.define_queue(r, 0.0)
    router.arrive("c1", "q", 0.0)
    router.arrive("c2", "r", 5.0)
    router.arrive("c3", "q", 6.0)
    router.advance(40.0)

    fired = [
        (e.at, e.contact_id, e.step) for e in router.log if isinstance(e, ev.ContactOverflowed)
    ]
    assert fired == [
        (10.0, "c1", 1),
        (16.0, "c3", 1),
        (20.0, "c1", 2),
        (25.0, "c2", 1),
        (26.0, "c3", 2),
    ]
    assert router.next_due() is None


HOT_EVENTS = [
    ev.ContactQueued(1.5, "c1", "billing", "voice", 1, 2, "客户-9", {"意图": "账单"}, 3.0, 2),
    ev.OfferCreated(1.5, "c1/1", "c1", "a1", 16.5, True),
    ev.OfferAccepted(2.0, "c1/1", "c1", "a1"),
    ev.OfferRejected(2.0, "c1/1", "c1", "a1"),
    ev.OfferTimedOut(2.0, "c1/1", "c1", "a1"),
    ev.OfferWithdrawn(2.0, "c1/1", "c1", "a1"),
    ev.ContactAbandoned(9.0, "c1", "billing", 7.5),
    ev.ContactCompleted(60.0, "c1", "a1", "resolved", 10.0),
    ev.WrapupEnded(70.0, "c1", "a1"),
]


@pytest.mark.parametrize("event", HOT_EVENTS, ids=lambda e: type(e).__name__)
def test_given_a_hot_event_when_built_then_it_is_the_same_frozen_dataclass_as_before(
    event: ev.Event,
) -> None:
    names = [f.name for f in dataclasses.fields(event)]
    values = [getattr(event, name) for name in names]

    assert type(event)(**dict(zip(names, values, strict=True))) == event
    assert ev.event_from_dict(ev.event_to_dict(event)) == event
    if not isinstance(event, ev.ContactQueued):  # its attributes mapping is not hashable
        assert hash(event) == hash(type(event)(*values))
    assert repr(event).startswith(f"{type(event).__name__}(at=")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.at = 0.0  # type: ignore[misc]


def test_given_a_hot_event_missing_a_field_when_read_from_a_dict_then_refused() -> None:
    data = ev.event_to_dict(ev.OfferAccepted(2.0, "c1/1", "c1", "a1"))
    del data["agent_id"]

    with pytest.raises(ValidationError, match="malformed OfferAccepted"):
        ev.event_from_dict(data)
