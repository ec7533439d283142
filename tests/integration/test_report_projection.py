"""The report projection on a stored database (SQLite and PostgreSQL): rebuilt from the log
by ``kefu report-rebuild``, read by ``kefu report``, and equal to the event-decoding path."""

from __future__ import annotations

import io
import json
import random
import sys
from itertools import pairwise, product
from pathlib import Path

import pytest
from db_helpers import Database
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.adapters.storage.report_projection import (
    projected_contact_cells,
    projected_report,
    projected_visits,
    rebuild,
)
from kefu.adapters.storage.report_reader import read_events
from kefu.adapters.storage.repositories import SqlAgents, SqlEventLog, SqlQueues, SqlSites
from kefu.adapters.storage.tables import ContactVisitRow
from kefu.analytics import export
from kefu.analytics.contact_rows import ContactRow, ContactRows
from kefu.analytics.history import HistoryBuilder
from kefu.cli import app
from kefu.domain.errors import InvalidState, ValidationError
from kefu.domain.events import Event
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router, RouterConfig
from kefu.service.ports import QueueRow, Site

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "analytics"))
from report_compare import assert_same_report

DAY0 = 1767542400.0  # 2026-01-05 00:00 Asia/Shanghai
HOUR = 3600.0
QUEUES = [
    QueueSpec("贷款", site_id="sh", sl_threshold_s=20.0, wrapup_s=30.0),
    QueueSpec("cards", site_id="sh", sl_threshold_s=30.0, wrapup_s=10.0),
    QueueSpec("chat", site_id="bj", channel=Channel.CHAT, sl_threshold_s=60.0),
]
CAPACITY = {Channel.VOICE: 1, Channel.CHAT: 2}
AGENTS = [AgentSpec(f"a{i}", site_id="sh" if i < 6 else "bj", capacity=CAPACITY) for i in range(9)]


def _day(seed: int = 7) -> list[Event]:
    """A working day: agents on shifts with breaks; contacts answered, held, transferred,
    abandoned, calling back; some still waiting or talking when the log ends."""
    rng = random.Random(seed)
    r = Router(RouterConfig(offer_timeout_s=120.0))
    t = DAY0 + 7 * HOUR
    for q in QUEUES:
        r.define_queue(q, t)
    for a in AGENTS:
        r.define_agent(a, t)
    n = 0
    while t < DAY0 + 19 * HOUR:
        t += rng.expovariate(1 / 40.0)
        r.advance(t)
        hour = (t - DAY0) / HOUR
        for i, a in enumerate(AGENTS):
            on_shift = 8 + i % 3 <= hour < 16 + i % 3
            presence = r.agents[a.agent_id].presence.value
            if on_shift and presence == "offline":
                r.set_presence(a.agent_id, "ready", t)
            elif not on_shift and presence != "offline" and rng.random() < 0.3:
                r.set_presence(a.agent_id, "offline", t)
        if rng.random() < 0.7:
            n += 1
            q = QUEUES[rng.randrange(3)]
            r.enqueue(ContactSpec(f"c{n}", q.queue_id, value_tier=n % 3), t)
        for cid, c in sorted(r.contacts.items()):
            roll = rng.random()
            try:
                if c.state.value == "offered" and roll < 0.9:
                    r.accept(c.offer_id, t)
                elif c.state.value == "queued" and roll < 0.01:
                    r.abandon(cid, t)
                elif c.state.value == "queued" and roll < 0.012:
                    r.request_callback(cid, t)
                elif c.state.value == "active" and roll < 0.05 and c.channel is Channel.VOICE:
                    r.transfer(cid, t, to_queue="cards" if c.queue_id == "贷款" else "贷款")
                elif c.state.value == "active" and roll < 0.08 and not c.on_hold:
                    r.hold(cid, t)
                elif c.state.value == "active" and c.on_hold and roll < 0.5:
                    r.resume(cid, t)
                elif c.state.value == "active" and roll < 0.25:
                    r.complete(cid, t, disposition=rng.choice(["已解决", "sale", None]))
            except (InvalidState, ValidationError):
                pass
    return r.drain()


def _store(engine: object, events: list[Event]) -> None:
    with Session(engine) as session:  # type: ignore[call-overload]
        SqlSites(session).add(Site("sh", "上海", "Asia/Shanghai", DAY0))
        SqlSites(session).add(Site("bj", "北京", "Asia/Shanghai", DAY0))
        session.flush()
        for q in QUEUES:
            SqlQueues(session).upsert(QueueRow(q, q.site_id or "sh"), DAY0)
        for a in AGENTS:
            SqlAgents(session).upsert(a, DAY0)
        SqlEventLog(session).append(events)
        session.commit()


@pytest.fixture(scope="module")
def day() -> list[Event]:
    return _day()


def _event_path(
    engine: object, since: float, until: float, period: str, group_by: tuple[str, ...]
) -> object:
    builder = HistoryBuilder(
        since, until, period=period, timezone="Asia/Shanghai", group_by=group_by
    )
    for batch in read_events(engine, DAY0 - HOUR):  # type: ignore[arg-type]
        builder.consume_all(batch)
    return builder.result()


def test_given_a_generated_day_when_rebuilt_then_reports_equal_the_event_path(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day)
    seen: list[tuple[int, int]] = []
    read, visits, slots = rebuild(database.engine, lambda done, total: seen.append((done, total)))
    assert read == len(day) and seen[-1] == (len(day), len(day))
    assert visits > 300 and slots > 50
    cases = [
        (DAY0, DAY0 + 86400.0, "interval:30", ("queue",)),
        (DAY0 + 9 * HOUR, DAY0 + 12 * HOUR, "interval:15", ("site", "agent")),
        (DAY0, DAY0 + 86400.0, "day", ("channel", "disposition", "value_tier")),
        (DAY0 + 10 * HOUR, DAY0 + 86400.0, "interval:60", ()),
        # a range of three days around the day
        (DAY0 - 86400.0, DAY0 + 2 * 86400.0, "interval:60", ("queue",)),
    ]
    for since, until, period, group_by in cases:
        got = projected_report(
            database.engine, since, until, period=period, timezone="Asia/Shanghai",
            group_by=group_by,
        )  # fmt: skip
        expected = _event_path(database.engine, since, until, period, group_by)
        assert_same_report(got.to_dict(), expected.to_dict())  # type: ignore[attr-defined]
    assert got.total.contacts.offered > 100
    assert got.waiting_at_end + got.total.contacts.answered > 0
    # the one-row-per-contact export reads the same visits
    from_rows = ContactRows(DAY0, DAY0 + 86400.0)
    for visit in projected_visits(database.engine, DAY0, DAY0 + 86400.0):
        from_rows(visit)
    from_events = ContactRows(DAY0, DAY0 + 86400.0)
    builder = HistoryBuilder(DAY0, DAY0 + 86400.0, on_visit=from_events)
    for batch in read_events(database.engine, DAY0 - HOUR):
        builder.consume_all(batch)
    builder.result()
    assert from_rows.sorted() == from_events.sorted()
    assert any(r.transfers for r in from_rows.sorted())


def test_given_a_site_limit_when_reported_then_both_paths_agree_on_that_site_only(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day)
    rebuild(database.engine)
    since, until = DAY0 + 8 * HOUR, DAY0 + 18 * HOUR
    reports = {}
    for sites in (frozenset({"sh"}), frozenset({"bj"}), None):
        for group_by in (("queue",), ("site", "agent")):
            got = projected_report(
                database.engine, since, until, period="interval:60", timezone="Asia/Shanghai",
                group_by=group_by, sites=sites,
            )  # fmt: skip
            builder = HistoryBuilder(
                since, until, period="interval:60", timezone="Asia/Shanghai",
                group_by=group_by, sites=sites,
            )  # fmt: skip
            for batch in read_events(database.engine, DAY0 - HOUR):
                builder.consume_all(batch)
            assert_same_report(got.to_dict(), builder.result().to_dict())
            reports[(sites, group_by)] = got
    sh, bj = frozenset({"sh"}), frozenset({"bj"})
    assert {g.group[0] for g in reports[(sh, ("queue",))].groups} == {"贷款", "cards"}
    assert {g.group[0] for g in reports[(bj, ("site", "agent"))].groups} == {"bj"}
    whole = reports[(None, ("queue",))].total
    parts = [reports[(s, ("queue",))].total for s in (sh, bj)]
    assert sum(p.contacts.offered for p in parts) == whole.contacts.offered > 100
    assert sum(p.agents.staffed_s for p in parts if p.agents) == pytest.approx(
        whole.agents.staffed_s if whole.agents else 0.0
    )
    visits = projected_visits(database.engine, since, until, sh)
    assert visits and {v.site_id for v in visits} == {"sh"}


def test_given_a_generated_day_when_exported_fast_then_the_csv_equals_the_reference_bytes(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day)
    rebuild(database.engine)
    windows = [(DAY0, DAY0 + 86400.0), (DAY0 + 11 * HOUR, DAY0 + 13 * HOUR)]
    for (since, until), sites in product(windows, (None, frozenset({"sh"}), frozenset({"bj"}))):
        reference = ContactRows(since, until)
        for visit in projected_visits(database.engine, since, until, sites):
            reference(visit)
        rows = reference.sorted()
        cells = projected_contact_cells(database.engine, since, until, sites)
        assert [ContactRow(*c) for c in cells] == rows
        slow, fast = io.StringIO(), io.StringIO()
        export.write_csv(slow, export.contact_table(rows, "Asia/Shanghai"))
        assert export.write_contact_csv(fast, cells, "Asia/Shanghai") == len(rows)
        assert fast.getvalue() == slow.getvalue()
        if sites is None and until - since > HOUR * 2:
            assert len(rows) > 100 and any(r.transfers for r in rows)


def test_given_a_rebuilt_projection_when_rebuilt_again_then_nothing_is_counted_twice(
    database: Database, day: list[Event]
) -> None:
    _store(database.engine, day[: len(day) // 2])
    rebuild(database.engine)
    with Session(database.engine) as session:
        SqlEventLog(session).append(day[len(day) // 2 :])
        session.commit()
    _, visits, _ = rebuild(database.engine)
    with database.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ContactVisitRow)) == visits


@pytest.fixture
def db_url(tmp_path: Path, day: list[Event]) -> str:
    url = sqlite_url(str(tmp_path / "kefu.sqlite3"))
    engine = make_engine(url)
    upgrade(engine)
    _store(engine, day)
    engine.dispose()
    return url


def _report(url: str, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app,
        ["report", "--database-url", url, "--since", "2026-01-05", "--until", "2026-01-06",
         "--group", "site,agent", "--format", "json", *args],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_given_the_cli_when_rebuilt_then_the_projection_report_equals_the_events_one(
    db_url: str,
) -> None:
    never = CliRunner().invoke(
        app,
        ["report", "--database-url", db_url, "--since", "2026-01-05", "--until", "2026-01-06",
         "--source", "projection"],
    )  # fmt: skip
    assert never.exit_code == 2
    assert "kefu report rebuild" in never.output or "report-rebuild" in never.output
    assert _report(db_url, "--source", "auto")["total"]  # auto: not built, reads events
    done = CliRunner().invoke(app, ["report-rebuild", "--database-url", db_url])
    assert done.exit_code == 0, done.output
    assert "100%" in done.stderr and "visits" in done.stdout
    projected = _report(db_url, "--source", "projection")
    assert_same_report(projected, _report(db_url, "--source", "events"))


def test_given_bad_input_when_rebuilding_or_reporting_then_a_clear_error(
    db_url: str, tmp_path: Path
) -> None:
    missing = CliRunner().invoke(
        app, ["report-rebuild", "--database-url", sqlite_url(str(tmp_path / "none.sqlite3"))]
    )
    assert missing.exit_code == 2 and "找不到数据库文件" in missing.output
    bad = CliRunner().invoke(
        app,
        ["report", "--database-url", db_url, "--since", "2026-01-05", "--until", "2026-01-06",
         "--source", "parquet"],
    )  # fmt: skip
    assert bad.exit_code == 2 and "--source" in bad.output
    CliRunner().invoke(app, ["report-rebuild", "--database-url", db_url, "-q"])
    odd = CliRunner().invoke(
        app,
        ["report", "--database-url", db_url, "--since", "2026-01-05T08:10",
         "--until", "2026-01-06", "--source", "projection"],
    )  # fmt: skip
    assert odd.exit_code == 2 and "quarter hour" in odd.output


def test_given_five_minute_periods_when_reported_then_events_read_and_projection_refuses(
    db_url: str,
) -> None:
    CliRunner().invoke(app, ["report-rebuild", "--database-url", db_url, "-q"])
    fine = _report(db_url, "--by", "interval:5", "--source", "auto")
    coarse = _report(db_url, "--by", "interval:15", "--source", "projection")
    assert fine["period"] == "interval:5"
    starts = sorted({row["start_s"] for row in fine["rows"]})  # type: ignore[attr-defined]
    assert {int(b - a) % 300 for a, b in pairwise(starts)} == {0}
    assert any(int(s) % 900 for s in starts)  # buckets inside the quarter hours
    assert_same_report(fine["total"], coarse["total"])  # type: ignore[arg-type]
    refused = CliRunner().invoke(
        app,
        ["report", "--database-url", db_url, "--since", "2026-01-05", "--until", "2026-01-06",
         "--by", "interval:5", "--source", "projection"],
    )  # fmt: skip
    assert refused.exit_code == 2 and "5-minute periods read the events" in refused.output
