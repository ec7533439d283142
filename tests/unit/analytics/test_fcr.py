"""FCR across channels on a hand-made log with known answers."""

from __future__ import annotations

from contact_log import DAY, LogWriter

from kefu.analytics.fcr import FcrCount, compute_fcr
from kefu.domain.events import Event
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router


def story() -> list[Event]:
    w = LogWriter()
    w.handled("c1", 0, "q_bill", "a1", customer="A", topic="billing")
    w.handled("c2", 3 * DAY, "q_chat", "a2", channel="chat", customer="A", topic="billing")
    w.handled("c3", 1 * DAY, "q_card", "a1", customer="B", topic="card")
    # Exactly 7 days after c3 ended: still "within 7 days", so c3 was not resolved.
    w.handled("c4", 8 * DAY + 300, "q_mail", "a3", channel="email", customer="B", topic="card")
    w.handled("c5", 2 * DAY, "q_loan", "a1", customer="C", topic="loan")
    w.handled("c6", 4 * DAY, "q_chat", "a2", channel="chat", customer="C", topic="card")
    w.handled("c7", 5 * DAY, "q_bill", "a1", customer="D", topic="billing")
    w.handled("c8", 12 * DAY + 301, "q_bill", "a1", customer="D", topic="billing")
    w.queued("c9", 19 * DAY, "q_chat", channel="chat", customer="E")
    w.accepted("c9", 19 * DAY + 5, "a2")
    w.handled("c10", 15 * DAY, "q_bill", "a3", customer="F", topic="billing")
    w.handled("c11", 6 * DAY, "q_bill", "a1")
    w.queued("c12", 6 * DAY, "q_bill", customer="G")
    w.abandoned("c12", 6 * DAY + 40, "q_bill")
    w.handled("c13", 7 * DAY, "q_bill", "a1", customer="H", topic="billing", case="K1")
    w.handled(
        "c14", 8 * DAY, "q_chat", "a2", channel="chat", customer="H", topic="billing", case="K2"
    )
    w.queued("c15", 9 * DAY, "q_bill", customer="I", topic="loan")
    w.accepted("c15", 9 * DAY + 10, "a1")
    w.transferred("c15", 9 * DAY + 100, "a1", queue="q_loan")
    w.accepted("c15", 9 * DAY + 130, "a3")
    w.completed("c15", 9 * DAY + 600, "a3")
    return w.sorted()


def test_given_hand_made_log_when_fcr_computed_then_known_verdicts() -> None:
    report = compute_fcr(story(), until=20 * DAY)
    assert dict(report.status) == {
        "c1": "repeated",  # chat about billing 3 days later
        "c2": "resolved_first",
        "c3": "repeated",  # the repeat at exactly 7 days counts
        "c4": "resolved_first",
        "c5": "resolved_first",  # c6 is about another topic
        "c6": "resolved_first",
        "c7": "resolved_first",  # c8 came 7 days and 1 s later
        "c8": "resolved_first",
        "c10": "pending",  # its 7 days are not over at the end of the range
        "c13": "resolved_first",  # c14 names another case
        "c14": "resolved_first",
        "c15": "resolved_first",
    }
    assert report.overall == FcrCount(resolved_first=9, repeated=2, pending=1)
    assert report.overall.fcr == 9 / 11
    assert (report.open, report.abandoned, report.anonymous) == (1, 1, 1)


def test_given_hand_made_log_when_grouped_then_each_group_counts_its_contacts() -> None:
    report = compute_fcr(story(), until=20 * DAY)
    assert report.by_channel == {
        "chat": FcrCount(3, 0, 0),
        "email": FcrCount(1, 0, 0),
        "voice": FcrCount(5, 2, 1),
    }
    assert report.by_agent == {
        "a1": FcrCount(4, 2, 0),
        "a2": FcrCount(3, 0, 0),
        "a3": FcrCount(2, 0, 1),
    }
    assert report.by_topic == {
        "billing": FcrCount(5, 1, 1),
        "card": FcrCount(2, 1, 0),
        "loan": FcrCount(2, 0, 0),
    }
    # The transferred c15 counts for the queue and agent that resolved it.
    assert report.by_queue["q_loan"] == FcrCount(2, 0, 0)
    assert report.by_queue["q_bill"] == FcrCount(3, 1, 1)  # c7, c8, c13; c1; c10


def test_given_shorter_window_when_fcr_computed_then_later_repeats_no_longer_count() -> None:
    report = compute_fcr(story(), window_s=2 * DAY, until=20 * DAY)
    assert report.status["c1"] == "resolved_first"
    assert report.status["c3"] == "resolved_first"
    assert report.overall.repeated == 0


def test_given_range_ending_early_when_fcr_computed_then_undecided_contacts_pending() -> None:
    report = compute_fcr(story(), until=10 * DAY)
    assert "c8" not in report.status  # arrives after the range
    assert report.status["c7"] == "pending"  # c8 is not visible yet
    assert report.status["c1"] == "repeated"  # a repeat already seen decides at once
    since = compute_fcr(story(), since=5 * DAY, until=20 * DAY)
    assert "c1" not in since.status and since.status["c7"] == "resolved_first"


def test_given_empty_log_when_fcr_computed_then_no_rate() -> None:
    report = compute_fcr([])
    assert report.overall == FcrCount() and report.overall.fcr is None


def test_given_router_log_when_customer_calls_back_on_chat_then_first_call_repeated() -> None:
    r = Router()
    r.define_queue(QueueSpec("voice", Channel.VOICE), 0.0)
    r.define_queue(QueueSpec("chat", Channel.CHAT), 0.0)
    r.define_agent(AgentSpec("a1"), 0.0)
    r.set_presence("a1", "ready", 0.0)
    for n, (queue, at) in enumerate((("voice", 0.0), ("chat", 2 * DAY)), start=1):
        contact = ContactSpec(f"k{n}", queue, customer_id="王芳", attributes={"topic": "账单"})
        r.enqueue(contact, at)
        offer = next(e for e in reversed(r.log) if type(e).__name__ == "OfferCreated")
        r.accept(offer.offer_id, at + 5)  # type: ignore[attr-defined]
        r.complete(f"k{n}", at + 60)
    report = compute_fcr(list(r.log), until=10 * DAY)
    assert report.status == {"k1": "repeated", "k2": "resolved_first"}
    assert report.by_topic["账单"] == FcrCount(1, 1, 0)
