"""The contact map finds exactly the planted loop, blind spots and broken hand-off."""

from __future__ import annotations

import csv
import io
import random

from contact_log import DAY, LogWriter

from kefu.analytics.contactmap import MapEdge, build_contact_map, write_contact_map_csv
from kefu.domain.events import Event

QUEUES = ("q_bill", "q_card", "q_loan", "q_mail")
END = 30 * DAY


def background(w: LogWriter, rng: random.Random, count: int) -> None:
    """Clean traffic: one contact per customer, at most one transfer to another queue."""
    for i in range(count):
        at = rng.uniform(0, 20 * DAY)
        channel = rng.choice(("voice", "chat", "email"))
        first, second = rng.sample(QUEUES, 2)
        contact = f"bg{i}"
        w.queued(contact, at, first, channel=channel, customer=f"cust{i}", topic="misc")
        w.accepted(contact, at + 10, "a1")
        agent = "a1"
        if rng.random() < 0.3:
            w.transferred(contact, at + 60, "a1", queue=second)
            w.accepted(contact, at + 90, "a2")
            agent = "a2"
        w.completed(contact, at + 300, agent)


def planted() -> list[Event]:
    w = LogWriter()
    background(w, random.Random(7), 400)
    # Loop: billing -> cards -> billing again.
    w.queued("LOOP", 21 * DAY, "q_bill", customer="L", topic="fee")
    w.accepted("LOOP", 21 * DAY + 5, "a1")
    w.transferred("LOOP", 21 * DAY + 60, "a1", queue="q_card")
    w.accepted("LOOP", 21 * DAY + 90, "a2")
    w.transferred("LOOP", 21 * DAY + 120, "a2", queue="q_bill")
    w.accepted("LOOP", 21 * DAY + 150, "a3")
    w.completed("LOOP", 21 * DAY + 400, "a3")
    # Four transfers through four different queues (more than the 3 allowed).
    w.queued("CHAIN", 22 * DAY, "q_bill", customer="M")
    hops = ("q_card", "q_loan", "q_mail", "q_other")
    w.accepted("CHAIN", 22 * DAY + 5, "a0")
    for n, queue in enumerate(hops, start=1):
        w.transferred("CHAIN", 22 * DAY + 100 * n, f"a{n - 1}", queue=queue)
        w.accepted("CHAIN", 22 * DAY + 100 * n + 10, f"a{n}")
    w.completed("CHAIN", 22 * DAY + 900, "a4")
    # Blind spot: an abandon nobody called back.
    w.queued("ABANDON", 23 * DAY, "q_card", customer="X", topic="card")
    w.abandoned("ABANDON", 23 * DAY + 90, "q_card")
    # Not a blind spot: an abandon called back two hours later.
    w.queued("ABANDON2", 23 * DAY, "q_card", customer="Y", topic="card")
    w.abandoned("ABANDON2", 23 * DAY + 60, "q_card")
    w.handled("CALLBACK", 23 * DAY + 7200, "q_card", "a1", channel="callback", customer="Y")
    # Blind spot: an e-mail unanswered for three days at the end of the log.
    w.queued("MAIL", END - 3 * DAY, "q_mail", channel="email", customer="U")
    # Not yet a blind spot: an e-mail that arrived an hour before the end.
    w.queued("MAIL2", END - 3600, "q_mail", channel="email", customer="V")
    # Broken hand-off: a call about a card, then a chat about the same card two days later.
    w.handled("CALL", 24 * DAY, "q_card", "a1", customer="Z", topic="card")
    w.handled("CHAT", 26 * DAY, "q_card", "a2", channel="chat", customer="Z", topic="card")
    return w.sorted()


def test_given_planted_defects_when_map_built_then_found_exactly() -> None:
    cmap = build_contact_map(planted(), until=END)
    assert [(lp.contact_id, lp.kind, lp.queues, lp.transfers) for lp in cmap.loops] == [
        ("CHAIN", "long_chain", (), 4),
        ("LOOP", "revisit", ("q_bill",), 2),
    ]
    assert [(b.contact_id, b.kind) for b in cmap.blind_spots] == [
        ("ABANDON", "abandoned_no_callback"),
        ("MAIL", "unanswered"),
    ]
    assert [
        (h.contact_id, h.repeat_contact_id, h.repeat_channel) for h in cmap.broken_handoffs
    ] == [("CALL", "CHAT", "chat")]
    assert cmap.broken_handoffs[0].gap_s == 2 * DAY - 300
    assert cmap.repeats_by_reason == (("card", 1),)


def test_given_planted_log_when_map_built_then_volumes_add_up() -> None:
    cmap = build_contact_map(planted(), until=END)
    assert cmap.contacts == 400 + 9
    from_channels = sum(e.volume for e in cmap.edges if e.source.startswith("channel:"))
    to_outcomes = sum(e.volume for e in cmap.edges if e.target.startswith("outcome:"))
    assert from_channels == to_outcomes == cmap.contacts
    edges = {(e.source, e.target): e.volume for e in cmap.edges}
    assert edges[("agent:a2", "queue:q_bill")] >= 1  # the loop's way back
    assert edges[("queue:q_card", "outcome:abandoned")] == 2
    assert edges[("queue:q_mail", "outcome:open")] == 2
    assert MapEdge("channel:callback", "queue:q_card", 1) in cmap.edges


def test_given_range_when_map_built_then_only_contacts_arriving_inside() -> None:
    cmap = build_contact_map(planted(), since=21 * DAY, until=END)
    assert cmap.contacts == 9
    assert {lp.contact_id for lp in cmap.loops} == {"LOOP", "CHAIN"}


def test_given_abandon_near_the_end_when_map_built_then_not_yet_a_blind_spot() -> None:
    w = LogWriter()
    w.queued("late", END - 3600, "q_card", customer="X")
    w.abandoned("late", END - 3500, "q_card")
    w.queued("anon", END - 3600, "q_card")
    w.abandoned("anon", END - 3500, "q_card")
    cmap = build_contact_map(w.sorted(), until=END)
    # Nobody can call an unknown customer back; the known one still may be.
    assert [b.contact_id for b in cmap.blind_spots] == ["anon"]


def test_given_map_when_exported_then_csv_rows_per_section() -> None:
    cmap = build_contact_map(planted(), until=END)
    out = io.StringIO()
    write_contact_map_csv(cmap, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    sections = [r["section"] for r in rows]
    assert sections.count("edge") == len(cmap.edges)
    assert {r["contact_id"] for r in rows if r["section"] == "loop"} == {"LOOP", "CHAIN"}
    assert {r["contact_id"] for r in rows if r["section"] == "blind_spot"} == {"ABANDON", "MAIL"}
    handoff = next(r for r in rows if r["section"] == "broken_handoff")
    assert handoff["contact_id"] == "CALL" and "CHAT" in handoff["detail"]
    assert any(r["section"] == "repeat_reason" and r["source"] == "card" for r in rows)
