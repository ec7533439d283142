"""A contact handed to another routing domain: ended here as transferred out (from its
queue, a ringing offer or an agent), the agent freed, the same state on replay, and
counted as transferred out (never abandoned) by the live KPIs and the history."""

from __future__ import annotations

import pytest
from routing_helpers import last_offer, ready_agents

from kefu.analytics.history import history_report
from kefu.analytics.kpi import KpiAccumulator
from kefu.domain import events as ev
from kefu.domain.errors import InvalidState, ValidationError
from kefu.domain.model import AgentSpec, ContactSpec
from kefu.domain.routing import Router


def _out(router: Router, contact_id: str, at: float, remote: str = "b-1") -> None:
    router.transfer_out(
        contact_id, at, to_domain="south", to_queue="loans", remote_contact_id=remote, note="转南区"
    )


def test_given_waiting_ringing_and_served_contacts_when_handed_over_then_ended_and_agent_freed(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 5})])
    router.enqueue(ContactSpec("w", "support", customer_id="客户甲"), 1.0)  # nobody takes chat
    _out(router, "w", 5.0)
    assert router.contact("w")["state"] == "transferred_out"
    assert router.contact("w")["path"] == ["support", "south/loans"]
    assert router.queue_status("support")["waiting"] == 0

    router.enqueue(ContactSpec("r", "billing"), 6.0)
    assert last_offer(router).contact_id == "r"
    _out(router, "r", 7.0, "b-2")  # ringing at a: the offer is withdrawn
    kinds = [type(e).__name__ for e in router.log[-2:]]
    assert kinds == ["OfferWithdrawn", "ContactTransferredOut"]
    assert router.agent("a")["contacts"] == []

    router.enqueue(ContactSpec("s", "billing"), 8.0)
    router.enqueue(ContactSpec("next", "billing"), 8.0)
    router.accept(last_offer(router).offer_id, 9.0)
    _out(router, "s", 20.0, "b-3")
    out = [e for e in router.log if isinstance(e, ev.ContactTransferredOut)]
    assert [(e.contact_id, e.from_agent_id) for e in out] == [("w", None), ("r", None), ("s", "a")]
    assert last_offer(router).contact_id == "next", "the freed agent takes the next contact"
    with pytest.raises(InvalidState):
        _out(router, "s", 21.0)
    with pytest.raises(ValidationError):
        router.transfer_out("next", 21.0, to_domain="", to_queue="q", remote_contact_id="x")

    replayed = Router.replay(router.log, router.config)
    for contact_id in ("w", "r", "s", "next"):
        assert replayed.contact(contact_id) == router.contact(contact_id)
    assert replayed.agent("a") == router.agent("a")


def test_given_handed_over_contacts_when_reported_then_transferred_out_not_abandoned(
    router: Router,
) -> None:
    ready_agents(router, [AgentSpec("a", {"billing": 5})])
    router.enqueue(ContactSpec("s", "billing"), 100.0)
    router.accept(last_offer(router).offer_id, 110.0)
    _out(router, "s", 200.0)
    router.enqueue(ContactSpec("w", "billing"), 300.0)
    router.enqueue(ContactSpec("w2", "billing"), 300.0)
    _out(router, "w2", 320.0, "b-2")
    kpi = KpiAccumulator(3600.0)
    for event in router.log:
        kpi.consume(event)
    billing = kpi.result(400.0).queues["billing"]
    assert (billing.offered, billing.transferred_out, billing.abandoned) == (3, 2, 0)
    assert kpi.result(400.0).waiting_at_end == 1  # only w: w2 left
    history = history_report(router.log, 0.0, 3600.0).total.contacts
    assert (history.offered, history.transferred_out, history.abandoned) == (3, 2, 0)
    assert history.handled == 1  # s: answered here, then handed over
