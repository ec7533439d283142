"""Consultative transfer and the conference of three: the router's rules and its agents'
occupancy during them (the consulted agent holds a slot; nothing is lost on replay)."""

from __future__ import annotations

import pytest
from routing_helpers import last_offer, ready_agents

from kefu.domain import events as ev
from kefu.domain.errors import InvalidState, UnknownAgent, UnknownQueue, ValidationError
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router
from kefu.domain.routing.consulting import (
    ConsultInProgress,
    ConsultNoAgent,
    ConsultTargetBusy,
    NoConsult,
)
from kefu.domain.routing.digest import state_digest


def _kinds(router: Router, since: int) -> list[str]:
    return [type(e).__name__ for e in router.log[since:]]


def _serving(router: Router, agents: tuple[str, ...] = ("a", "b", "c")) -> None:
    """Agents *agents* ready on billing (a first), and call ``x`` answered by a."""
    router.define_queue(QueueSpec("loans", Channel.VOICE, {"loans": 1}), 0.0)
    specs = [AgentSpec("a", {"billing": 9})]
    specs += [AgentSpec(name, {"billing": 1, "loans": 5}) for name in agents[1:]]
    ready_agents(router, specs)
    router.enqueue(ContactSpec("x", "billing", attributes={"verified": "yes"}), 1.0)
    assert last_offer(router).agent_id == "a"
    router.accept("x/1", 2.0)


def test_given_call_when_agent_consults_an_agent_then_caller_held_and_target_occupied(
    router: Router,
) -> None:
    _serving(router)
    before = len(router.log)
    assert router.start_consult("x", 5.0, to_agent="c") == "c"
    assert _kinds(router, before) == ["ContactHeld", "ConsultStarted"]
    view = router.contact("x")
    assert view["on_hold"] and view["agent_id"] == "a"
    assert view["attributes"] == {"verified": "yes", "consult": "c"}
    assert router.agent("c")["activity"] == "busy"
    assert router.agent("c")["contacts"] == ["x"]
    # A new call is not offered to the consulted agent (its one voice slot is taken).
    router.enqueue(ContactSpec("y", "loans"), 6.0)
    assert last_offer(router).agent_id == "b"


def test_given_consult_when_cancelled_then_caller_resumed_and_target_takes_waiting_work(
    router: Router,
) -> None:
    _serving(router, ("a", "c"))
    router.start_consult("x", 5.0, to_agent="c")
    router.enqueue(ContactSpec("y", "loans"), 6.0)
    assert router.contact("y")["state"] == "queued"  # c, the only loans agent, is consulted
    before = len(router.log)
    router.cancel_consult("x", 8.0)
    assert _kinds(router, before) == ["ConsultCancelled", "ContactResumed", "OfferCreated"]
    assert last_offer(router).contact_id == "y" and last_offer(router).agent_id == "c"
    view = router.contact("x")
    assert not view["on_hold"] and "consult" not in view["attributes"]
    assert router.agent("a")["contacts"] == ["x"]


def test_given_queue_consult_then_router_picks_free_agent_of_queue(router: Router) -> None:
    _serving(router)
    router.enqueue(ContactSpec("z", "loans"), 3.0)  # offered to b or c: that one is busy
    busy = last_offer(router).agent_id
    free = ({"b", "c"} - {busy}).pop()
    router.start_consult("x", 5.0, to_queue="loans")
    started = [e for e in router.log if isinstance(e, ev.ConsultStarted)][-1]
    assert (started.target_agent_id, started.queue_id) == (free, "loans")
    assert router.contact("x")["attributes"]["consult_queue"] == "loans"


def test_given_consult_when_completed_then_target_serves_with_note_and_first_agent_freed(
    router: Router,
) -> None:
    _serving(router)
    router.start_consult("x", 5.0, to_agent="c")
    before = len(router.log)
    router.complete_consult("x", 20.0, note="想办房贷 wants a mortgage")
    assert _kinds(router, before) == [
        "ConsultCompleted",
        "ContactTransferred",
        "OfferCreated",
        "OfferAccepted",
    ]
    view = router.contact("x")
    assert view["state"] == "active" and view["agent_id"] == "c"
    assert view["notes"] == ["想办房贷 wants a mortgage"]
    assert view["attributes"] == {"verified": "yes"}
    assert view["path"] == ["billing", "@c"]
    assert not view["on_hold"]
    assert router.agent("a")["contacts"] == [] and router.agent("a")["activity"] == "ready"
    assert router.agent("c")["contacts"] == ["x"]
    assert router.agents["c"].load[Channel.VOICE] == 1
    router.complete("x", 30.0)
    router.end_wrapup("x", 31.0)
    assert router.agent("c")["activity"] == "ready"


def test_given_conference_when_agent_ends_it_then_third_party_freed(router: Router) -> None:
    _serving(router)
    router.start_consult("x", 5.0, to_agent="c")
    before = len(router.log)
    router.start_conference("x", 6.0)
    assert _kinds(router, before) == ["ConferenceStarted", "ContactResumed"]
    assert router.contact("x")["attributes"]["conference"] == "c"
    assert router.agent("c")["activity"] == "busy"
    before = len(router.log)
    router.end_conference("x", 9.0)
    assert _kinds(router, before) == ["ConferenceEnded"]
    assert router.agent("c")["contacts"] == []
    assert router.contact("x")["agent_id"] == "a"
    assert "conference" not in router.contact("x")["attributes"]


def test_given_conference_when_agent_leaves_then_other_two_stay(router: Router) -> None:
    _serving(router)
    router.start_consult("x", 5.0, to_agent="c")
    router.start_conference("x", 6.0)
    router.complete_consult("x", 9.0, note="")
    assert router.contact("x")["agent_id"] == "c"
    assert router.agent("a")["contacts"] == []


def test_given_conference_when_call_completed_then_both_agents_released(router: Router) -> None:
    _serving(router)
    router.start_consult("x", 5.0, to_agent="c")
    router.start_conference("x", 6.0)
    before = len(router.log)
    router.complete("x", 9.0)
    assert _kinds(router, before)[:2] == ["ConferenceEnded", "ContactCompleted"]
    ended = [e for e in router.log if isinstance(e, ev.ConferenceEnded)][-1]
    assert ended.reason == "call_ended"
    assert router.agent("c")["contacts"] == []
    assert router.agent("a")["activity"] == "wrapup"


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (lambda r: r.start_consult("x", 5.0, to_agent="nobody"), UnknownAgent),
        (lambda r: r.start_consult("x", 5.0, to_queue="nowhere"), UnknownQueue),
        (lambda r: r.start_consult("x", 5.0, to_agent="a"), ValidationError),
        (lambda r: r.start_consult("x", 5.0, to_queue="support"), ValidationError),
        (lambda r: r.start_consult("x", 5.0), ValidationError),
        (lambda r: r.cancel_consult("x", 5.0), NoConsult),
        (lambda r: r.complete_consult("x", 5.0), NoConsult),
        (lambda r: r.start_conference("x", 5.0), NoConsult),
        (lambda r: r.end_conference("x", 5.0), NoConsult),
    ],
)
def test_given_bad_consult_request_then_refused_and_nothing_logged(
    router: Router, step: object, error: type[Exception]
) -> None:
    _serving(router)
    before = len(router.log)
    with pytest.raises(error):
        step(router)  # type: ignore[operator]
    assert len(router.log) == before


def test_given_busy_or_absent_targets_then_consult_refused_with_nothing_logged(
    router: Router,
) -> None:
    _serving(router, ("a", "b"))
    router.enqueue(ContactSpec("y", "loans"), 3.0)
    router.accept(last_offer(router).offer_id, 3.5)  # b is on a call
    router.define_agent(AgentSpec("off", {"loans": 5}), 4.0)  # offline
    before = len(router.log)
    with pytest.raises(ConsultTargetBusy):
        router.start_consult("x", 5.0, to_agent="b")
    with pytest.raises(ConsultTargetBusy):
        router.start_consult("x", 5.0, to_agent="off")
    with pytest.raises(ConsultNoAgent):
        router.start_consult("x", 5.0, to_queue="loans")
    assert len(router.log) == before
    assert not router.contact("x")["on_hold"]


def test_given_chat_contact_then_consult_refused_as_not_a_call(router: Router) -> None:
    ready_agents(router, [AgentSpec("a", {"support": 1}), AgentSpec("b", {"support": 1})])
    router.enqueue(ContactSpec("t", "support"), 1.0)
    router.accept(last_offer(router).offer_id, 2.0)
    with pytest.raises(InvalidState) as refused:
        router.start_consult("t", 3.0, to_agent="b")
    assert refused.value.text_key == "error.not_a_call"


def test_given_consult_going_then_second_consult_transfer_hold_resume_refused(
    router: Router,
) -> None:
    _serving(router)
    router.start_consult("x", 5.0, to_agent="c")
    before = len(router.log)
    for step in (
        lambda: router.start_consult("x", 6.0, to_agent="b"),
        lambda: router.transfer("x", 6.0, to_agent="b"),
        lambda: router.resume("x", 6.0),
        lambda: router.hold("x", 6.0),
    ):
        with pytest.raises(ConsultInProgress):
            step()
    router.start_conference("x", 6.0)
    with pytest.raises(ConsultInProgress):
        router.start_conference("x", 7.0)
    assert len(router.log) == before + 2


def test_given_consults_and_conferences_when_log_replayed_then_same_state(
    router: Router,
) -> None:
    _serving(router)
    router.start_consult("x", 5.0, to_agent="c")
    router.cancel_consult("x", 6.0)
    router.start_consult("x", 7.0, to_queue="loans")
    router.start_conference("x", 8.0)
    router.enqueue(ContactSpec("y", "billing"), 8.5)
    router.complete_consult("x", 9.0, note="over to you")
    router.start_consult("x", 10.0, to_queue="loans")  # left open: the state has it
    replayed = Router.replay(list(router.log), router.config)
    assert state_digest(replayed) == state_digest(router)
