"""The store's record of finished contacts the router has forgotten (SQLite, PostgreSQL and
the in-memory store alike): their queues, sites, agents and recording read by contact id,
and the play of a forgotten contact's recording checked and audited from it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from db_helpers import Database
from sqlalchemy import func, select, text

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.adapters.storage.tables import EventRow
from kefu.bootstrap import routing_engine
from kefu.domain.errors import UnknownContact
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.errors import Forbidden
from kefu.service.ports import UnitOfWorkFactory
from kefu.service.routing import commands as c
from kefu.service.routing import forgotten_contact, views
from kefu.service.security import Principal, Role, Scope, play_rights
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock


def _user(name: str, role: Role, site: str, agent: str | None = None) -> Principal:
    scopes = frozenset({Scope.READ})
    return Principal(name, name, role, frozenset({site}), agent_id=agent, scopes=scopes)


async def _scenario(uow_factory: UnitOfWorkFactory) -> dict[str, Any]:
    """A call answered by a1 in gz's after-sales, recorded, transferred to sz's vip queue,
    answered and recorded again by a2, completed; a second call abandoned; the first file
    deleted by retention; then the router forgets both. Answers what the store keeps, and
    the plays each user got (or the error's class name)."""
    clock = ManualClock(1_000.0)
    engine = routing_engine(uow_factory, clock, config=RouterConfig(offer_timeout_s=10_000.0))
    await engine.start()
    for site in ("gz", "sz"):
        await engine.execute(c.CreateSite(site, site, "UTC"))
    # Each queue needs its own skill, so each call goes to the one agent that has it.
    for queue, site, skill in (("after-sales", "gz", "售后"), ("vip", "sz", "贵宾")):
        queue_spec = QueueSpec(queue, Channel.VOICE, {skill: 1}, site_id=site, wrapup_s=0.0)
        await engine.execute(c.DefineQueue(queue_spec, site))
    for agent, site, skill in (("a1", "gz", "售后"), ("a2", "sz", "贵宾"), ("a3", "sz", "培训")):
        await engine.execute(c.DefineAgent(AgentSpec(agent, {skill: 5}, site_id=site)))
    await engine.execute(c.SetAgentState("a1", "ready"))
    first = (await engine.execute(c.CreateContact("after-sales")))["contact_id"]
    offer = (await engine.query(views.get_contact, first))["offer_id"]
    clock.advance(3.0)
    await engine.execute(c.AcceptOffer(first, offer, "a1"))
    await engine.execute(c.RecordCall(first, f"{first}.wav"))
    clock.advance(30.0)
    await engine.execute(c.TransferContact(first, to_queue_id="vip", note="转贵宾"))
    await engine.execute(c.SetAgentState("a2", "ready"))
    offer = (await engine.query(views.get_contact, first))["offer_id"]
    clock.advance(2.0)
    await engine.execute(c.AcceptOffer(first, offer, "a2"))
    await engine.execute(c.RecordCall(first, f"{first}-2.wav"))
    clock.advance(40.0)
    await engine.execute(c.CompleteContact(first, "已解决"))
    await engine.execute(c.SetAgentState("a2", "offline"))
    second = (await engine.execute(c.CreateContact("vip")))["contact_id"]
    clock.advance(5.0)
    await engine.execute(c.AbandonContact(second))
    await engine.execute(c.DeleteRecording(first, f"{first}.wav", "retention"))
    clock.advance(90_000.0)
    # The rows are stored a moment after the events (a snapshot, which forgets, first).
    await engine.settle_reports()
    forgot = await engine.query(lambda e: e.router.forget_finished(e.now() - 86_400.0))
    assert forgot == 2
    with uow_factory() as uow:
        kept = uow.reports.archived_contacts([first, second, "nobody", first])
    plays: dict[str, str] = {}
    users = (
        _user("sup-sz", Role.SUPERVISOR, "sz"),
        _user("sup-gz", Role.SUPERVISOR, "gz"),
        _user("ag1", Role.AGENT, "gz", "a1"),
        _user("ag2", Role.AGENT, "sz", "a2"),
        _user("ag3", Role.AGENT, "sz", "a3"),
    )
    for user in users:
        command = c.PlayRecording(first, user.username)
        archived = await forgotten_contact(engine, first)
        try:
            played = await engine.execute(command, authorize=play_rights(user, command, archived))
        except (UnknownContact, Forbidden) as exc:
            plays[user.username] = type(exc).__name__
        else:
            plays[user.username] = played["recording"]
    await engine.stop()
    return {
        "ids": (first, second),
        "kept": {k: asdict(v) for k, v in kept.items()},
        "plays": plays,
    }


def _check(found: dict[str, Any]) -> None:
    first, second = found["ids"]
    kept = found["kept"]
    assert set(kept) == {first, second}
    one, two = kept[first], kept[second]
    assert (one["queue_id"], one["site_id"], one["agent_id"]) == ("vip", "sz", "a2")
    assert (one["queues"], one["agents"], one["channel"]) == (
        ("after-sales", "vip"),
        ("a1", "a2"),
        "voice",
    )
    # The contact points at its last file; the deletion of the first one leaves it kept.
    assert (one["recording"], one["recording_deleted"]) == (f"{first}-2.wav", None)
    assert (one["outcome"], one["queued_at"], one["ended_at"]) == ("answered", 1_000.0, 1_075.0)
    assert (two["outcome"], two["agent_id"], two["agents"], two["recording"]) == (
        "abandoned",
        None,
        (),
        None,
    )
    assert found["plays"] == {
        "sup-sz": f"{first}-2.wav",
        "sup-gz": "UnknownContact",
        "ag1": "UnknownContact",  # it ended in another site's queue, held by another
        "ag2": f"{first}-2.wav",
        "ag3": "Forbidden",  # its site's, but not the agent that held it
    }


def test_given_forgotten_contacts_when_read_by_id_then_the_store_keeps_their_record(
    database: Database,
) -> None:
    found = asyncio.run(_scenario(SqlUnitOfWorkFactory(database.engine)))
    _check(found)
    with database.engine.connect() as connection:
        played = connection.execute(
            select(EventRow.contact_id, EventRow.payload["user"].as_string())
            .where(EventRow.type == "RecordingPlayed")
            .order_by(EventRow.seq)
        ).all()
        deleted = connection.scalar(select(func.count()).where(EventRow.type == "RecordingDeleted"))
    first = found["ids"][0]
    assert [tuple(row) for row in played] == [(first, "sup-sz"), (first, "ag2")]
    assert deleted == 1
    # The in-memory store answers the same (contact ids are random: compared by place).
    assert _by_place(asyncio.run(_scenario(InMemoryUnitOfWorkFactory()))) == _by_place(found)


def _by_place(found: dict[str, Any]) -> str:
    text = json.dumps(found, ensure_ascii=False, sort_keys=True)
    for n, contact_id in enumerate(found["ids"]):
        text = text.replace(contact_id, f"<contact {n}>")
    # Sorted again: the random ids ordered the keys.
    return json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize("ids", [[], ["nobody"]])
def test_given_no_finished_visit_when_read_by_id_then_nothing_is_found(
    database: Database, ids: list[str]
) -> None:
    with SqlUnitOfWorkFactory(database.engine)() as uow:
        assert uow.reports.archived_contacts(ids) == {}


def test_given_the_schema_when_contacts_are_read_by_id_then_indexes_find_them(
    tmp_path: Path,
) -> None:
    """The visits' primary key ``(contact_id, leg)`` and the log's ``contact_id`` index
    serve the lookup (no scan of either table), as SQLite plans it."""
    engine = make_engine(sqlite_url(str(tmp_path / "kefu.sqlite3")))
    upgrade(engine)
    with engine.connect() as connection:
        visits = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT * FROM contact_visits "
                "WHERE contact_id IN ('a', 'b') AND ended_at IS NOT NULL"
            )
        ).all()
        events = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT type, payload FROM events WHERE contact_id IN "
                "('a', 'b') AND type IN ('CallRecorded', 'RecordingDeleted') ORDER BY seq"
            )
        ).all()
    assert "USING INDEX sqlite_autoindex_contact_visits_1 (contact_id=?)" in visits[0][-1]
    assert "USING INDEX ix_events_contact_id (contact_id=?)" in events[0][-1]
