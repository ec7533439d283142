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
from kefu.domain.model import ARRIVED_AT, AgentSpec, ContactSpec
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


def _served(router: Router, start: float, count: int) -> list[str]:
    """The contacts one agent serves in turn from ``start`` (s), each for a second."""
    served = []
    for n in range(count):
        offer = last_offer(router)
        served.append(offer.contact_id)
        t = start + 2 * n
        router.accept(offer.offer_id, t)
        router.complete(offer.contact_id, t + 0.5)
        router.end_wrapup(offer.contact_id, t + 1.0)
    return served


def test_given_a_contact_handed_over_after_a_long_wait_when_an_agent_frees_then_it_goes_first(
    router: Router,
) -> None:
    # Local callers came at 100 and 110 s; the handed-over one waited in north since 50 s
    # and came here at 120 s. A later original arrival and a bad one count from here.
    router.enqueue(ContactSpec("local-100", "billing"), 100.0)
    router.enqueue(ContactSpec("local-110", "billing"), 110.0)
    router.enqueue(ContactSpec("north-50", "billing", attributes={ARRIVED_AT: "50.0"}), 120.0)
    router.enqueue(ContactSpec("north-105", "billing", attributes={ARRIVED_AT: "105.5"}), 121.0)
    router.enqueue(ContactSpec("north-later", "billing", attributes={ARRIVED_AT: "900"}), 122.0)
    router.enqueue(ContactSpec("urgent-130", "billing", priority=5), 130.0)
    ready_agents(router, [AgentSpec("a", {"billing": 5})], now=140.0)
    order = _served(router, 141.0, 6)
    # Priority still comes first; then the original arrivals; a later one is ignored.
    assert order == ["urgent-130", "north-50", "local-100", "north-105", "local-110", "north-later"]
    assert router.contact("north-50")["first_queued_at"] == 120.0, "reports count from here"
    replayed = Router.replay(router.log, router.config)
    assert replayed.contact("north-50") == router.contact("north-50")


def test_given_a_replayed_wait_when_the_handed_over_contact_waits_then_its_place_is_the_same(
    router: Router,
) -> None:
    router.enqueue(ContactSpec("local", "billing"), 10.0)
    router.enqueue(ContactSpec("north", "billing", attributes={ARRIVED_AT: "1.5"}), 20.0)
    replayed = Router.replay(router.log, router.config)
    ready_agents(replayed, [AgentSpec("a", {"billing": 5})], now=30.0)
    assert last_offer(replayed).contact_id == "north"


@pytest.mark.parametrize("value", ["soon", "nan", "inf", "-inf", ""])
def test_given_an_unreadable_original_arrival_when_a_contact_is_made_then_refused(
    value: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        ContactSpec("c", "billing", attributes={ARRIVED_AT: value})
    assert refused.value.text_key == "error.handover_arrived_at"
