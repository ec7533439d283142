"""Invariants of the contact map on random logs: flow is conserved, marks are consistent."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.analytics.contactmap import build_contact_map
from kefu.analytics.fcr import compute_fcr
from kefu.domain import events as ev

DAY = 86_400.0
QUEUES = ("q1", "q2", "q3")


@st.composite
def logs(draw: st.DrawFn) -> list[ev.Event]:
    out: list[ev.Event] = []
    for n in range(draw(st.integers(0, 20))):
        cid = f"k{n}"
        at = float(draw(st.integers(0, 20 * 24)) * 3600)
        customer = draw(st.sampled_from(("A", "B", None)))
        channel = draw(st.sampled_from(("voice", "email")))
        queue = draw(st.sampled_from(QUEUES))
        out.append(ev.ContactQueued(at, cid, queue, channel, 0, 0, customer, {}, None, 1))
        if draw(st.booleans()):
            out.append(ev.ContactAbandoned(at + 10, cid, queue, 10.0))
            continue
        t, agent = at + 20, f"a{n}"
        out.append(ev.OfferAccepted(t, f"o{n}", cid, agent))
        for hop in range(draw(st.integers(0, 5))):
            t += 60
            out.append(
                ev.ContactTransferred(t, cid, agent, draw(st.sampled_from(QUEUES)), None, "")
            )
            agent = f"a{n}.{hop}"
            out.append(ev.OfferAccepted(t + 5, f"o{n}.{hop}", cid, agent))
        if draw(st.booleans()):
            out.append(ev.ContactCompleted(t + 100, cid, agent, None, 0.0))
    return sorted(out, key=lambda e: e.at)


@settings(max_examples=150, deadline=None)
@given(logs())
def test_given_random_log_when_mapped_then_every_inner_node_passes_on_what_it_receives(
    log: list[ev.Event],
) -> None:
    cmap = build_contact_map(log, until=30 * DAY)
    inflow: Counter[str] = Counter()
    outflow: Counter[str] = Counter()
    for edge in cmap.edges:
        outflow[edge.source] += edge.volume
        inflow[edge.target] += edge.volume
    channels = sum(v for node, v in outflow.items() if node.startswith("channel:"))
    outcomes = sum(v for node, v in inflow.items() if node.startswith("outcome:"))
    assert channels == outcomes == cmap.contacts
    for node in set(inflow) | set(outflow):
        if node.split(":")[0] in ("queue", "agent"):
            assert inflow[node] == outflow[node], node
    fcr = compute_fcr(log, until=30 * DAY)
    assert {h.contact_id for h in cmap.broken_handoffs} == {
        c for c, verdict in fcr.status.items() if verdict == "repeated"
    }
    for loop in cmap.loops:
        assert loop.transfers > 3 or loop.queues
