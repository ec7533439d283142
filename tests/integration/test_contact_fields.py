"""The contact map's fast path on SQLite and PostgreSQL: the contact-path fields kept in
columns of the log (written at append, backfilled by migration 0007) give the same journeys,
contact map and FCR as the reference fold over the events, on a generated log."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from db_helpers import Database
from sqlalchemy.orm import Session

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.adapters.storage.event_reader import CONTACT_PATH_TYPES, read_contact_rows
from kefu.adapters.storage.repositories import SqlEventLog
from kefu.analytics.contactmap import build_contact_map, contact_map_from_journeys
from kefu.analytics.fcr import compute_fcr, fcr_from_journeys
from kefu.analytics.journeys import journeys_from_rows, journeys_until
from kefu.domain import events as ev

DAY = 86_400.0
IVR = (
    {"ivr.flow": "main@3", "ivr.path": "main:2>bill:1", "ivr.self_service": "balance=error"},
    {"ivr.flow": "main@4", "ivr.path": "main:0"},
    {"ivr.flow": "", "ivr.path": "main:1"},  # not handed off by the IVR: no route
)


def _log(contacts: int = 300, seed: int = 7) -> list[ev.Event]:
    """Contacts through the IVR or not, answered, transferred back and forth, overflowed,
    abandoned with or without a callback, some open; customers coming back; odd text."""
    rng = random.Random(seed)
    rows: list[tuple[float, int, ev.Event]] = []
    for n in range(contacts):
        cid, at = f"k{n}", rng.uniform(0, 20 * DAY)
        queue = rng.choice(("q1", "q2", "q3"))
        attrs = {"topic": rng.choice(("账单", "card", 'a\\tb"c'))} if rng.random() < 0.8 else {}
        if rng.random() < 0.2:
            attrs["case_id"] = f"c{rng.randrange(10)}"
        if rng.random() < 0.4:
            attrs.update(rng.choice(IVR))
        customer = rng.choice((None, *(f"cust{i}" for i in range(40))))
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
            agent = f"a{rng.randrange(6)}"
            found.append(ev.OfferAccepted(t + 2, f"o{n}", cid, agent))
            for hop in range(rng.choice((0, 0, 1, 2, 4))):
                to = rng.choice(("q1", "q2", "q3", None))
                found.append(ev.ContactTransferred(t + 10 + hop, cid, agent, to, None, ""))
                agent = f"a{rng.randrange(6)}"
                found.append(ev.OfferAccepted(t + 11 + hop, f"o{n}.{hop}", cid, agent))
            disposition = rng.choice((None, "resolved", "escalated"))
            found.append(ev.ContactCompleted(t + 60, cid, agent, disposition, 5.0))
            found.append(ev.WrapupEnded(t + 70, cid, agent))
        rows.extend((e.at, len(rows) + i, e) for i, e in enumerate(found))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [e for _at, _i, e in rows]


def test_given_generated_log_when_read_from_columns_then_map_and_fcr_equal_the_reference(
    database: Database,
) -> None:
    log = _log()
    with Session(database.engine) as session:
        SqlEventLog(session).append(log)
        session.commit()
    reference_journeys = journeys_until(log, None)
    assert any(j.ivr for j in reference_journeys[0]) and any(
        j.revisits for j in reference_journeys[0]
    )
    every, end = journeys_from_rows(read_contact_rows(database.engine, chunk=53))
    assert (every, end) == journeys_until(
        [e for e in log if type(e).__name__ in CONTACT_PATH_TYPES], None
    )
    until = 20 * DAY  # some contacts still going on then
    every, end = journeys_from_rows(read_contact_rows(database.engine, until=until), until)
    assert contact_map_from_journeys(every, end, since=2 * DAY) == build_contact_map(
        log, since=2 * DAY, until=until
    )
    assert fcr_from_journeys(every, end) == compute_fcr(log, until=until)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A database migrated up to 0006, before the contact-path columns."""
    if request.param == "sqlite":
        engine = make_engine(sqlite_url(str(tmp_path / "old.sqlite3")))
    else:
        url, schema = request.getfixturevalue("postgres_schema")
        engine = make_engine(url, schema=schema)
    upgrade(engine, "0006")
    yield engine
    engine.dispose()


def test_given_events_stored_before_0007_when_migrated_then_columns_filled_as_at_append(
    at_0006: sa.Engine, tmp_path: Path
) -> None:
    from kefu.domain.events import event_to_dict

    log = _log(contacts=150, seed=11)
    old = sa.table(
        "events",
        sa.column("type", sa.String()),
        sa.column("at", sa.Double()),
        sa.column("contact_id", sa.String()),
        sa.column("agent_id", sa.String()),
        sa.column("payload", sa.JSON()),
    )
    rows = [
        {"type": d["type"], "at": e.at, "contact_id": d.get("contact_id"),
         "agent_id": d.get("agent_id"), "payload": d}
        for e in log
        if (d := event_to_dict(e))
    ]  # fmt: skip
    with at_0006.begin() as conn:
        conn.execute(sa.insert(old), rows)
    upgrade(at_0006)
    fresh = make_engine(sqlite_url(str(tmp_path / "new.sqlite3")))
    upgrade(fresh)
    with Session(fresh) as session:
        SqlEventLog(session).append(log)
        session.commit()
    try:
        assert list(read_contact_rows(at_0006)) == list(read_contact_rows(fresh))
    finally:
        fresh.dispose()
    assert journeys_from_rows(read_contact_rows(at_0006)) == journeys_until(
        [e for e in log if type(e).__name__ in CONTACT_PATH_TYPES], None
    )
