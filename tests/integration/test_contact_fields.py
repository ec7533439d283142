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


def test_given_a_log_with_case_waits_when_a_unit_of_work_reads_rows_then_sql_and_memory_agree(
    database: Database,
) -> None:
    """What the contact map page reads through a unit of work: the contact-path rows and the
    IVR and department extras are the same from the SQL store and the in-memory one, and
    the rows fold to the reference journeys."""
    from kefu.adapters.storage.uow import SqlUnitOfWorkFactory
    from kefu.domain.cases import events as cev
    from kefu.domain.ivr import events as iev
    from kefu.service.channels.ports import ChannelRecord
    from kefu.testing import InMemoryUnitOfWorkFactory

    log = _log(contacts=120, seed=5)
    t = 3 * DAY
    task = ev.ContactQueued(
        t, "task-C1", "q1", "workitem", 0, 0, None, {"case_id": "C1", "sla_due": f"{t + 60}"},
        None, 1,
    )  # fmt: skip
    records = []
    for event in (
        cev.CaseOpened(t, "C1", "fault", "王芳", "sh", "卡", 0, 0, {}, None, None, "a1"),
        cev.CaseLinked(t, "C1", "work_item", "task-C1", "workitem", "a1"),
        cev.CaseStateChanged(t + 5, "C1", "open", "waiting_on_department", "", "a1", "风控",
                             None, None),
    ):  # fmt: skip
        data = cev.case_event_to_dict(event)
        records.append(("case", str(data["type"]), "C1", data, event.at))
    for event in (
        iev.FlowStarted(t, "conv9", "welcome", 1, "zh", {}, None, None, None, None),
        iev.Abandoned(t + 30, "conv9", "welcome"),
    ):
        data = iev.ivr_event_to_dict(event)
        records.append(("ivr", str(data["type"]), "conv9", data, event.at))
    stored = [
        ChannelRecord(n, at, stream, kind, subject, data)
        for n, (stream, kind, subject, data, at) in enumerate(records, start=1)
    ]
    # The work item in its place in time: a log is in time order.
    log = sorted([*log, task], key=lambda e: e.at)
    memory, sql = InMemoryUnitOfWorkFactory(), SqlUnitOfWorkFactory(database.engine)
    for factory in (memory, sql):
        with factory() as uow:
            uow.events.append(log)
            uow.channels.append(stored)
            uow.commit()
    until = 10 * DAY
    read = []
    for factory in (memory, sql):
        with factory() as uow:
            read.append((list(uow.events.contact_rows(until)), uow.channels.map_extras(until)))
    assert read[0] == read[1]
    rows, extras = read[1]
    assert rows == list(read_contact_rows(database.engine, until=until))
    every, end = journeys_from_rows(rows, until)
    assert contact_map_from_journeys(every, end) == build_contact_map(log, until=until)
    assert [w.case_id for w in extras.departments] == ["C1"]
    assert extras.departments[0].due_at == t + 60 and extras.departments[0].department == "风控"
    assert len(extras.ivr) == 1


def test_given_records_appended_in_a_unit_of_work_when_read_in_it_then_they_are_there(
    database: Database,
) -> None:
    """The channel records are inserted in bulk at commit, yet a read in the same
    transaction sees them (and a rollback keeps none)."""
    from kefu.adapters.storage.uow import SqlUnitOfWorkFactory
    from kefu.service.channels.ports import ChannelRecord

    factory = SqlUnitOfWorkFactory(database.engine)
    made = [
        ChannelRecord(1, 10.0, "customer", "created", "c1", {"name": "王芳"}),
        ChannelRecord(2, 11.0, "conversation", "opened", "conv1", {"channel": "chat"}),
        ChannelRecord(3, 12.0, "ivr", "Ended", "conv1", {"reason": "bye"}),
    ]
    with factory() as uow:
        uow.channels.append(made)
        assert list(uow.channels.read()) == made
    with factory() as uow:  # left without commit: nothing stored
        assert list(uow.channels.read()) == []
        uow.channels.append(made)
        uow.commit()
    with factory() as uow:
        assert list(uow.channels.read()) == made
