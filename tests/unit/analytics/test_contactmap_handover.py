"""A contact handed over to another routing domain (``ContactTransferredOut``) ends its
journey here as transferred out, through a ``domain:<domain>/<queue>`` node: never an open
contact (an unanswered e-mail's blind spot), an abandon or a dead end; the stored rows give
the same journeys as the events."""

from __future__ import annotations

from contact_log import DAY, LogWriter

from kefu.adapters.storage.event_fields import contact_rows_of
from kefu.analytics.contactmap import build_contact_map
from kefu.analytics.contactmap_svg import contact_map_svg
from kefu.analytics.journeys import TRANSFERRED_OUT, collect_journeys, journeys_from_rows
from kefu.domain import events as ev

END = 10 * DAY


def _log() -> list[ev.Event]:
    w = LogWriter()
    # Waiting e-mail handed over by an overflow step: no agent here.
    w.queued("MAIL", 1 * DAY, "q_mail", channel="email", customer="U")
    w.events.append(
        ev.ContactTransferredOut(1 * DAY + 30, "MAIL", "q_mail", None, "south", "loans", "r1", "")
    )
    # A call an agent handed over while serving it.
    w.queued("CALL", 2 * DAY, "q_card", customer="V", topic="card")
    w.accepted("CALL", 2 * DAY + 10, "a1")
    w.events.append(
        ev.ContactTransferredOut(2 * DAY + 60, "CALL", "q_card", "a1", "south", "cards", "r2", "")
    )
    # The same customer calls again the next day about the same card: not a broken hand-off
    # of this domain (the first contact ended in the other one).
    w.handled("AGAIN", 3 * DAY, "q_card", "a2", customer="V", topic="card")
    return w.sorted()


def test_given_contacts_handed_over_when_journeys_are_built_then_they_end_transferred_out() -> None:
    events = _log()
    journeys = {j.contact_id: j for j in collect_journeys(events)}
    mail, call = journeys["MAIL"], journeys["CALL"]
    assert (mail.outcome, mail.path, mail.ended_at) == (
        TRANSFERRED_OUT,
        ("queue:q_mail", "domain:south/loans"),
        1 * DAY + 30,
    )
    assert (call.outcome, call.path, call.transfers, call.answered_at) == (
        TRANSFERRED_OUT,
        ("queue:q_card", "agent:a1", "domain:south/cards"),
        1,
        2 * DAY + 10,
    )
    from_rows, _ = journeys_from_rows(contact_rows_of(events, END), END)
    assert from_rows == list(collect_journeys(events))


def test_given_contacts_handed_over_when_the_map_is_built_then_they_go_to_the_other_domain() -> (
    None
):
    cmap = build_contact_map(_log(), until=END)
    edges = {(e.source, e.target): e.volume for e in cmap.edges}
    assert edges[("queue:q_mail", "domain:south/loans")] == 1
    assert edges[("domain:south/loans", "outcome:transferred_out")] == 1
    assert edges[("agent:a1", "domain:south/cards")] == 1
    assert not [n for n, _ in cmap.nodes if n in ("outcome:open", "outcome:abandoned")]
    assert cmap.blind_spots == ()
    assert cmap.broken_handoffs == ()
    svg = contact_map_svg(cmap, titles={"domain": "Other routing domains"})
    assert "Other routing domains" in svg and "south/loans" in svg
