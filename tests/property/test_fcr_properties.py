"""FCR against a brute-force reading of its definition, on random small logs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.analytics.fcr import compute_fcr
from kefu.domain import events as ev

DAY = 86_400.0
WINDOW = 7 * DAY
END = 40 * DAY


@st.composite
def logs(draw: st.DrawFn) -> list[ev.Event]:
    """Contacts of a few customers on a few topics; each completed, abandoned or left open."""
    out: list[ev.Event] = []
    for n in range(draw(st.integers(0, 25))):
        cid = f"k{n}"
        at = float(draw(st.integers(0, 35 * 24)) * 3600)
        customer = draw(st.sampled_from(("A", "B", "C", None)))
        topic = draw(st.sampled_from(("bill", "card", None)))
        attrs = {"topic": topic} if topic else {}
        channel = draw(st.sampled_from(("voice", "chat", "email")))
        out.append(ev.ContactQueued(at, cid, "q", channel, 0, 0, customer, attrs, None, 1))
        fate = draw(st.sampled_from(("done", "done", "abandon", "open")))
        length = float(draw(st.integers(1, 3 * 24)) * 3600)
        if fate == "done":
            out.append(ev.OfferAccepted(at + 1, f"o{n}", cid, "a1"))
            out.append(ev.ContactCompleted(at + length, cid, "a1", None, 0.0))
        elif fate == "abandon":
            out.append(ev.ContactAbandoned(at + 1, cid, "q", 1.0))
    return sorted(out, key=lambda e: e.at)


def brute_force(log: list[ev.Event]) -> dict[str, str]:
    queued = {e.contact_id: e for e in log if isinstance(e, ev.ContactQueued)}
    ended = {e.contact_id: e.at for e in log if isinstance(e, ev.ContactCompleted) and e.at < END}
    verdicts: dict[str, str] = {}
    for cid, end in ended.items():
        q = queued[cid]
        if q.customer_id is None:
            continue
        topic = q.attributes.get("topic")
        repeated = any(
            other.customer_id == q.customer_id
            and (other.at, other.contact_id) > (q.at, cid)
            and other.at <= end + WINDOW
            and other.at < END
            and (topic is None or other.attributes.get("topic") in (None, topic))
            for other in queued.values()
        )
        if repeated:
            verdicts[cid] = "repeated"
        else:
            verdicts[cid] = "pending" if end + WINDOW > END else "resolved_first"
    return verdicts


@settings(max_examples=200, deadline=None)
@given(logs())
def test_given_random_log_when_fcr_computed_then_matches_the_definition(
    log: list[ev.Event],
) -> None:
    report = compute_fcr(log, until=END)
    assert dict(report.status) == brute_force(log)
    counted = report.overall
    assert counted.resolved_first + counted.repeated + counted.pending == len(report.status)
    assert sum(c.decided for c in report.by_channel.values()) == counted.decided
