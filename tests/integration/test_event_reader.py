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
