"""Minimal examples of router bugs found by the stateful tests, kept as plain tests."""

from __future__ import annotations

import pytest

from kefu.domain import events as ev
from kefu.domain.errors import ValidationError
from kefu.domain.model import AgentSpec, Channel, ContactSpec, OverflowStep, QueueSpec
from kefu.domain.routing import Router

EMAIL_ONLY = {Channel.VOICE: 0, Channel.EMAIL: 2}


def _state(router: Router) -> tuple[int, list[dict[str, object]], list[dict[str, object]]]:
    contacts = [router.contact(c) for c in sorted(router.contacts)]
    return len(router.log), contacts, [router.agent(a) for a in sorted(router.agents)]


def test_given_voice_call_when_transferred_to_an_email_queue_then_refused_unchanged() -> None:
    # Found: the call waited in the e-mail bucket and was offered to an agent with no voice
    # capacity (voice load 1 of 0), and it could sit beside that agent's e-mails.
    r = Router()
    r.define_queue(QueueSpec("billing", Channel.VOICE, {"billing": 1}), 0.0)
    r.define_queue(QueueSpec("email", Channel.EMAIL), 0.0)
    r.define_agent(AgentSpec("voice", {"billing": 1}), 0.0)
    r.define_agent(AgentSpec("mail", capacity=EMAIL_ONLY), 0.0)
    r.set_presence("voice", "ready", 0.0)
    r.set_presence("mail", "ready", 0.0)
    r.enqueue(ContactSpec("c1", "billing"), 0.0)
    r.accept("c1/1", 1.0)
    before = _state(r)
    with pytest.raises(ValidationError, match="email"):
        r.transfer("c1", 2.0, to_queue="email")
    assert _state(r) == before
    assert r.agent("mail")["contacts"] == []


def test_given_overflow_step_to_a_queue_of_another_channel_when_defined_then_refused() -> None:
    r = Router()
    r.define_queue(QueueSpec("email", Channel.EMAIL), 0.0)
    move = OverflowStep(30.0, queue_id="email")
    with pytest.raises(ValidationError, match="email"):
        r.define_queue(QueueSpec("chat", Channel.CHAT, overflow=(move,)), 0.0)
    assert [type(e) for e in r.log] == [ev.QueueDefined]
    assert "chat" not in r.queues


def test_given_vip_waiting_when_agent_transfers_a_call_to_a_queue_it_serves_then_vip_first() -> (
    None
):
    # Found: the transferred call went straight back to the transferring agent, who was
    # free at that instant, while a better (value tier 2) call waited for that agent.
    r = Router()
    r.define_queue(QueueSpec("q", Channel.VOICE, {"x": 1}), 0.0)
    r.define_queue(QueueSpec("q2", Channel.VOICE, {"x": 1}), 0.0)
    r.define_agent(AgentSpec("a", {"x": 1}), 0.0)
    r.set_presence("a", "ready", 0.0)
    r.enqueue(ContactSpec("v1", "q"), 0.0)
    r.accept("v1/1", 1.0)
    r.enqueue(ContactSpec("vip", "q", value_tier=2), 2.0)
    r.transfer("v1", 3.0, to_queue="q2")
    offers = [e for e in r.log if isinstance(e, ev.OfferCreated)]
    assert (offers[-1].contact_id, offers[-1].agent_id) == ("vip", "a")
    assert r.contact("v1")["state"] == "queued"
