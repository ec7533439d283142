"""A waiting contact's new priority (a case's escalation raising its work item): it goes
ahead of contacts of lower priority, keeps its place among equals, and replay agrees."""

from __future__ import annotations

import pytest

from kefu.domain import events as ev
from kefu.domain.errors import InvalidState
from kefu.domain.model import AgentPresence, AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router


def _router() -> Router:
    router = Router()
    router.define_queue(QueueSpec("bo", Channel.WORKITEM), 0.0)
    router.define_agent(AgentSpec("a1", capacity={Channel.WORKITEM: 1}), 0.0)
    for n in range(3):
        router.enqueue(ContactSpec(f"w{n}", "bo"), float(n))
    return router


def test_given_three_waiting_items_when_the_last_is_raised_then_it_is_offered_first() -> None:
    router = _router()
    router.reprioritize("w2", 1, 10.0)
    assert router.queue_status("bo")["waiting"] == 3
    router.set_presence("a1", AgentPresence.READY, 11.0)
    assert router.contacts["w2"].agent_id == "a1"
    replayed = Router.replay(router.log)
    assert replayed.contacts["w2"].agent_id == "a1"
    assert replayed.contacts["w2"].priority == 1
    assert any(isinstance(e, ev.ContactReprioritized) for e in router.log)
    assert ev.event_from_dict(ev.event_to_dict(ev.ContactReprioritized(1.0, "w2", 3))).priority == 3


def test_given_an_unchanged_priority_when_set_then_no_event_and_a_taken_item_is_refused() -> None:
    router = _router()
    before = len(router.log)
    router.reprioritize("w1", 0, 10.0)
    assert len(router.log) == before
    router.set_presence("a1", AgentPresence.READY, 11.0)
    with pytest.raises(InvalidState):
        router.reprioritize("w0", 2, 12.0)
