"""The analytics reader of the stored routing log, on SQLite and PostgreSQL."""

from __future__ import annotations

from db_helpers import Database
from sqlalchemy.orm import Session

from kefu.adapters.storage.event_reader import CONTACT_PATH_TYPES, read_events
from kefu.adapters.storage.repositories import SqlEventLog
from kefu.domain import events as ev


def _log() -> list[ev.Event]:
    attrs = {"topic": "账单"}
    return [
        ev.ContactQueued(1.0, "k1", "q", "voice", 1, 0, "王芳", attrs, 12.5, 1),
        ev.OfferCreated(2.0, "o1", "k1", "a1", 22.0, False),
        ev.OfferAccepted(3.0, "o1", "k1", "a1"),
        ev.ContactTransferred(4.0, "k1", "a1", "q2", None, "转贷款"),
        ev.ContactCompleted(9.0, "k1", "a1", "resolved", 5.0),
        ev.WrapupEnded(14.0, "k1", "a1"),
        ev.ContactQueued(20.0, "k2", "q", "chat", 0, 0, None, {}, None, 1),
        ev.ContactAbandoned(25.0, "k2", "q", 5.0),
    ]


def test_given_stored_log_when_read_for_analytics_then_path_events_in_order(
    database: Database,
) -> None:
    with Session(database.engine) as session:
        SqlEventLog(session).append(_log())
        session.commit()
    path = [e for e in _log() if type(e).__name__ in CONTACT_PATH_TYPES]
    assert list(read_events(database.engine)) == path
    assert list(read_events(database.engine, types=None)) == _log()
    window = list(read_events(database.engine, since=3.0, until=20.0))
    assert [type(e).__name__ for e in window] == [
        "OfferAccepted",
        "ContactTransferred",
        "ContactCompleted",
    ]
    assert list(read_events(database.engine, chunk=2, types=["ContactAbandoned"])) == [_log()[-1]]


def _busy_log(contacts: int = 400, seed: int = 15) -> list[ev.Event]:
    """Contacts answered, transferred (some back to a queue they visited), overflowed,
    abandoned with or without a callback, some still open; customers coming back."""
    import random

    rng = random.Random(seed)
    rows: list[tuple[float, int, ev.Event]] = []
    for n in range(contacts):
        cid, at = f"k{n}", rng.uniform(0, 30 * 86_400.0)
        queue = rng.choice(("q1", "q2", "q3"))
        attrs = {"topic": rng.choice(("账单", "card"))} if rng.random() < 0.8 else {}
        if rng.random() < 0.1:
            attrs["case_id"] = f"c{rng.randrange(20)}"
        customer = rng.choice((None, *(f"cust{i}" for i in range(60))))
        found: list[ev.Event] = [
            ev.ContactQueued(at, cid, queue, rng.choice(("voice", "chat", "email")), 0, 0,
                             customer, attrs, None, 1)
        ]  # fmt: skip
        t = at + rng.uniform(1, 100)
        if rng.random() < 0.1:
            queue = rng.choice(("q1", "q2", "q3"))
            found.append(ev.ContactOverflowed(t, cid, 1, queue))
        roll = rng.random()
        if roll < 0.15:
            if rng.random() < 0.5:
                found.append(ev.CallbackRequested(t, cid, "+86138"))
            found.append(ev.ContactAbandoned(t + 1, cid, queue, t - at))
        elif roll < 0.95:
            agent = f"a{rng.randrange(9)}"
            found.append(ev.OfferAccepted(t + 2, f"o{n}", cid, agent))
            for hop in range(rng.choice((0, 0, 1, 2))):
                to = rng.choice(("q1", "q2", "q3", None))
                found.append(ev.ContactTransferred(t + 10 + hop, cid, agent, to, None, ""))
                agent = f"a{rng.randrange(9)}"
                found.append(ev.OfferAccepted(t + 11 + hop, f"o{n}.{hop}", cid, agent))
            disposition = rng.choice((None, "resolved", "escalated"))
            found.append(ev.ContactCompleted(t + 60, cid, agent, disposition, 5.0))
        rows.extend((e.at, len(rows) + i, e) for i, e in enumerate(found))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [e for _at, _i, e in rows]


def test_given_a_busy_stored_log_when_read_as_rows_then_the_journeys_are_those_of_the_events(
    database: Database,
) -> None:
    from kefu.adapters.storage.event_reader import read_contact_rows
    from kefu.analytics.journeys import journeys_from_rows, journeys_until

    log = _busy_log()
    with Session(database.engine) as session:
        SqlEventLog(session).append(log)
        session.commit()
    path = [e for e in log if type(e).__name__ in CONTACT_PATH_TYPES]
    expected = journeys_until(path, None)
    assert any(j.revisits for j in expected[0]) and any(j.callback for j in expected[0])
    assert journeys_from_rows(read_contact_rows(database.engine, chunk=97)) == expected
    until = 15 * 86_400.0
    windowed = journeys_from_rows(read_contact_rows(database.engine, until=until), until)
    assert windowed == journeys_until(path, until)
