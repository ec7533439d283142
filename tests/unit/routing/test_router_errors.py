"""Bad input raises a specific error and changes nothing; logs are deterministic."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from routing_helpers import last_offer, ready_agents

from kefu.domain.errors import (
    AlreadyExists,
    InvalidState,
    KefuError,
    NoRecording,
    OfferNotPending,
    UnknownAgent,
    UnknownContact,
    UnknownOffer,
    UnknownQueue,
    ValidationError,
)
from kefu.domain.events import (
    CallBarged,
    CallListened,
    CallWhispered,
    Event,
    event_from_dict,
    event_to_dict,
    events_to_jsonl,
)
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router


def _busy_center(router: Router) -> Router:
    ready_agents(router, [AgentSpec("a", {"billing": 5}), AgentSpec("b", {"billing": 5})])
    router.enqueue(ContactSpec("answered", "billing"), 1.0)
    router.accept(last_offer(router).offer_id, 2.0)
    router.enqueue(ContactSpec("ringing", "billing"), 3.0)
    router.enqueue(ContactSpec("waiting", "billing"), 4.0)
    return router


def _state(router: Router) -> tuple[int, str, list[dict[str, object]]]:
    return (
        len(router.log),
        json.dumps([router.agent(a) for a in sorted(router.agents)], sort_keys=True),
        [router.contact(c) for c in sorted(router.contacts)],
    )


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (lambda r: r.enqueue(ContactSpec("x", "nowhere"), 5.0), UnknownQueue),
        (lambda r: r.enqueue(ContactSpec("waiting", "billing"), 5.0), AlreadyExists),
        (lambda r: r.set_presence("ghost", "ready", 5.0), UnknownAgent),
        (lambda r: r.set_presence("a", "dancing", 5.0), ValidationError),
        (lambda r: r.accept("nobody/1", 5.0), UnknownOffer),
        (lambda r: r.accept("answered/1", 5.0), OfferNotPending),
        (lambda r: r.accept("ringing/7", 5.0), UnknownOffer),
        (lambda r: r.accept("ringing/1", 5.0, agent_id="a"), OfferNotPending),
        (lambda r: r.complete("waiting", 5.0), InvalidState),
        (lambda r: r.complete("ghost", 5.0), UnknownContact),
        (lambda r: r.hold("ringing", 5.0), InvalidState),
        (lambda r: r.resume("answered", 5.0), InvalidState),
        (lambda r: r.transfer("answered", 5.0), ValidationError),
        (lambda r: r.transfer("answered", 5.0, to_queue="nowhere"), UnknownQueue),
        (lambda r: r.transfer("answered", 5.0, to_agent="a"), ValidationError),
        (lambda r: r.abandon("answered", 5.0), InvalidState),
        (lambda r: r.end_wrapup("answered", 5.0), InvalidState),
        (lambda r: r.record_call("waiting", 5.0, "waiting.wav"), InvalidState),
        (lambda r: r.record_call("ghost", 5.0, "ghost.wav"), UnknownContact),
        (lambda r: r.listen_to_call("waiting", 5.0, "s1"), InvalidState),
        (lambda r: r.listen_to_call("answered", 5.0, ""), ValidationError),
        (lambda r: r.whisper_to_call("waiting", 5.0, "s1"), InvalidState),
        (lambda r: r.barge_into_call("answered", 5.0, ""), ValidationError),
        (lambda r: r.assign("waiting", "a", 5.0), Exception),
        (lambda r: r.advance(0.5), ValidationError),
    ],
)
def test_given_bad_command_then_specific_error_and_state_unchanged(
    router: Router, command: Callable[[Router], object], error: type[Exception]
) -> None:
    _busy_center(router)
    before = _state(router)
    with pytest.raises(error) as info:
        command(router)
    assert isinstance(info.value, KefuError)
    assert info.value.error_id and str(info.value)
    assert _state(router) == before


def test_given_an_answered_call_when_recorded_then_its_attribute_names_the_file_and_replays(
    router: Router,
) -> None:
    _busy_center(router)
    router.record_call("answered", 5.0, "answered.wav")
    assert router.contacts["answered"].attributes["recording"] == "answered.wav"
    recorded = router.log[-1]
    assert event_from_dict(event_to_dict(recorded)) == recorded
    replayed = Router.replay(router.log)
    assert replayed.contacts["answered"].attributes["recording"] == "answered.wav"


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (Router.listen_to_call, CallListened),
        (Router.whisper_to_call, CallWhispered),
        (Router.barge_into_call, CallBarged),
    ],
)
def test_given_an_answered_call_when_a_supervisor_joins_then_it_is_logged(
    router: Router, action: Callable[[Router, str, float, str], None], kind: type[Event]
) -> None:
    _busy_center(router)
    action(router, "answered", 5.0, "s1")
    joined = router.log[-1]
    assert type(joined) is kind
    assert (joined.contact_id, joined.supervisor) == ("answered", "s1")  # type: ignore[attr-defined]
    assert event_from_dict(event_to_dict(joined)) == joined
    assert Router.replay(router.log).log == router.log


def test_given_completed_contact_when_completed_twice_then_invalid_state(router: Router) -> None:
    _busy_center(router)
    router.complete("answered", 5.0)
    with pytest.raises(InvalidState, match="wrapup"):
        router.complete("answered", 6.0)


def test_given_withdrawn_offer_when_accepted_then_offer_not_pending(router: Router) -> None:
    _busy_center(router)
    router.abandon("ringing", 5.0)
    with pytest.raises(OfferNotPending, match="no longer pending"):
        router.accept("ringing/1", 6.0)


def test_given_expired_offer_when_accepted_late_then_offer_not_pending(router: Router) -> None:
    _busy_center(router)
    with pytest.raises(OfferNotPending):
        router.accept("ringing/1", 100.0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: AgentSpec("a", capacity={Channel.CHAT: -1}),
        lambda: AgentSpec("a", {"billing": 11}),
        lambda: AgentSpec("", {}),
        lambda: QueueSpec("q", skills={"x": 0}),
        lambda: QueueSpec("q", channel="fax"),  # type: ignore[arg-type]
        lambda: QueueSpec("q", sl_target=1.5),
        lambda: QueueSpec("q", wrapup_s=-1.0),
        lambda: OverflowStep(10.0),
        lambda: ContactSpec("c", "q", priority="high"),  # type: ignore[arg-type]
    ],
)
def test_given_invalid_spec_then_validation_error_with_message(build: Callable[[], object]) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.message


def test_given_queue_with_waiting_contacts_when_redefined_then_refused(router: Router) -> None:
    router.enqueue(ContactSpec("c", "billing"), 1.0)
    with pytest.raises(InvalidState):
        router.define_queue(QueueSpec("billing", skills={"other": 1}), 2.0)


def _script(router: Router) -> None:
    router.define_queue(
        QueueSpec("q2", Channel.EMAIL, {"mail": 2}, overflow=(OverflowStep(50.0, {}),)), 0.0
    )
    ready_agents(router, [AgentSpec("a", {"billing": 5, "mail": 2}), AgentSpec("b", {"mail": 9})])
    for i in range(6):
        router.enqueue(ContactSpec(f"v{i}", "billing", value_tier=i % 2), 1.0 + i)
        router.enqueue(ContactSpec(f"m{i}", "q2", attributes={"主题": "账单"}), 1.5 + i)
    router.advance(30.0)
    router.set_presence("a", "ready", 31.0)
    router.advance(200.0)


def test_given_same_commands_then_byte_identical_logs_and_replay_rebuilds_state() -> None:
    logs = []
    routers = []
    for _ in range(2):
        r = Router()
        r.define_queue(QueueSpec("billing", skills={"billing": 3}, wrapup_s=10.0), 0.0)
        _script(r)
        logs.append(events_to_jsonl(r.log))
        routers.append(r)
    assert logs[0] == logs[1]
    replayed = Router.replay(routers[0].log)
    assert events_to_jsonl(replayed.log) == logs[0]
    assert _state(replayed)[1:] == _state(routers[0])[1:]
    assert replayed.next_due() == routers[0].next_due()
    for r in (replayed, routers[0]):
        r.enqueue(ContactSpec("late", "billing"), 300.0)
        r.advance(400.0)
    assert events_to_jsonl(replayed.log) == events_to_jsonl(routers[0].log)


def test_every_event_round_trips_through_its_dict_form(router: Router) -> None:
    _script(router)
    for event in router.log:
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


def test_given_unknown_event_type_then_validation_error() -> None:
    with pytest.raises(ValidationError, match="unknown event type"):
        event_from_dict({"type": "Nope", "at": 1.0})


def test_given_a_recorded_call_when_paused_played_and_deleted_then_logged_and_replayed(
    router: Router,
) -> None:
    _busy_center(router)
    with pytest.raises(InvalidState):
        router.pause_recording("answered", 5.0)  # not recorded yet
    router.record_call("answered", 5.0, "answered.wav")
    router.pause_recording("answered", 6.0)
    assert router.contacts["answered"].attributes["recording_paused"] == "a"
    with pytest.raises(InvalidState):
        router.pause_recording("answered", 6.5)
    router.resume_recording("answered", 7.0)
    assert "recording_paused" not in router.contacts["answered"].attributes
    assert router.play_recording("answered", 8.0, "sup") == "answered.wav"
    router.delete_recording("answered", 9.0, "answered.wav", "retention")
    router.delete_recording("forgotten", 9.0, "forgotten.wav", "retention")
    assert router.contacts["answered"].attributes["recording_deleted"] == "retention"
    with pytest.raises(NoRecording):
        router.play_recording("answered", 10.0, "sup")
    kinds = [type(e).__name__ for e in router.log[-6:]]
    assert kinds == [
        "CallRecorded",
        "RecordingPaused",
        "RecordingResumed",
        "RecordingPlayed",
        "RecordingDeleted",
        "RecordingDeleted",
    ]
    assert all(event_from_dict(event_to_dict(e)) == e for e in router.log[-6:])
    replayed = Router.replay(router.log)
    assert replayed.contacts["answered"].attributes == router.contacts["answered"].attributes
