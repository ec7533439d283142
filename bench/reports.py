"""Historical reports at scale: a month of a 1,000-agent center, and a busy day's export.

Generates a month of routing events (about 6 million) with a fast synthetic generator
(agents on 8-hour shifts taking contacts one after another: queue wait, ring, talk,
sometimes hold, wrap-up; a share of callers abandon) into SQLite and PostgreSQL through the
real schema, then times:

- ``month``: ``kefu.analytics.history`` over the whole month by 30-minute interval and
  queue, reading the stored events through ``kefu.adapters.storage.report_reader`` (what
  ``kefu report`` does); goal < 5 s;
- ``day export``: one day of 300,000 contacts exported as CSV, one row per contact; goal
  < 10 s;
- the same two from the report projection (``kefu report-rebuild``: one row per contact
  visit and agent seconds per 15 minutes, summed in SQL), its rebuild timed apart, figures
  checked against the event-decoding path and the ratio of the two printed;
- with ``--no-events``, the projection's paths only, each against its peer in the same run
  (the month from the slot sums against the month summing the visit rows; the export
  through ``Visit`` objects and ``ContactRows``), with CPU seconds of the client and the
  database server, and the slot sums' build timed apart;
- DuckDB over the same events exported to Parquet (export time apart), computing the
  month's offered/answered/abandoned/SL/ASA/AHT per interval and queue in SQL, checked
  against kefu's figures.

Data go to a temporary directory (and a temporary PostgreSQL schema), never the repo.
Usage: ``PYTHONPATH=src python bench/reports.py [--days 30] [--agents 1000] [--no-postgres]
[--no-events] [--repeat 2]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from kefu.adapters.storage import make_engine, sqlite_url, upgrade
from kefu.adapters.storage.report_projection import (
    projected_contact_cells,
    projected_report,
    projected_visits,
    rebuild,
)
from kefu.adapters.storage.report_reader import read_events
from kefu.adapters.storage.report_sums import add_sums, clear_sums, sums_until
from kefu.adapters.storage.repositories import SqlAgents, SqlQueues, SqlSites
from kefu.analytics import export
from kefu.analytics.contact_rows import ContactRows
from kefu.analytics.history import HistoryBuilder, HistoryReport
from kefu.analytics.projection import SLOT_S
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.ports import QueueRow, Site

RESULTS = Path(__file__).parent / "results"
PG_URLS = ("postgresql+psycopg://postgres@127.0.0.1:5432/test",)
MONTH0 = 1767196800.0  # 2026-01-01 00:00 Asia/Shanghai
DAY = 86400.0
QUEUES = ("贷款", "信用卡", "理财", "账户", "投诉", "chat-zh", "chat-en", "email")
ZONE = "Asia/Shanghai"

Row = tuple[str, float, str | None, str | None, str]


def _machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    model = names[0] if names else platform.processor() or "unknown"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


class Generator:
    """Synthetic events: ``agents`` agents, each on one 8-hour shift a day (start spread
    over 07:00–15:00), taking contacts back to back with ``idle_s`` mean idle gaps."""

    def __init__(self, agents: int, seed: int, *, talk_s: float, idle_s: float) -> None:
        self.agents = [f"a{i:04d}" for i in range(agents)]
        self.rng = random.Random(seed)
        self.talk_s = talk_s
        self.idle_s = idle_s
        self.n = 0
        self.offers = 0

    def day(self, start: float, *, shift_h: float = 8.0, spread_h: float = 8.0) -> list[Row]:
        rng, out = self.rng, []
        dumps = json.dumps
        for agent in self.agents:
            t = start + 7 * 3600 + rng.random() * spread_h * 3600
            end = t + shift_h * 3600
            out.append(self._state(t, agent, "ready"))
            while True:
                t += rng.expovariate(1 / self.idle_s)
                talk = rng.expovariate(1 / self.talk_s)
                if t + talk + 60 > end:
                    break
                self.n += 1
                self.offers += 1
                cid, oid = f"c{self.n}", f"o{self.offers}"
                queue = QUEUES[self.n % len(QUEUES)]
                channel = (
                    "chat" if queue.startswith("chat") else "email" if queue == "email" else "voice"
                )
                wait = 0.0 if rng.random() < 0.6 else rng.expovariate(1 / 25)
                q_at = t - wait
                out.append(("ContactQueued", q_at, cid, None, dumps({
                    "type": "ContactQueued", "at": q_at, "contact_id": cid, "queue_id": queue,
                    "channel": channel, "value_tier": self.n % 3, "priority": 0,
                    "customer_id": f"客户{self.n % 50000}", "attributes": {},
                    "estimated_wait_s": wait * (0.5 + rng.random()), "position": 1,
                }, ensure_ascii=False)))  # fmt: skip
                out.append(("OfferCreated", t, cid, agent, dumps({
                    "type": "OfferCreated", "at": t, "offer_id": oid, "contact_id": cid,
                    "agent_id": agent, "expires_at": t + 30, "callback": False}))
                )  # fmt: skip
                t += 2.0
                out.append(self._contact("OfferAccepted", t, cid, agent, offer_id=oid))
                if rng.random() < 0.1:
                    out.append(self._contact("ContactHeld", t + talk / 2, cid, agent))
                    out.append(self._contact("ContactResumed", t + talk / 2 + 30, cid, agent))
                    talk += 30
                t += talk
                out.append(self._contact("ContactCompleted", t, cid, agent,
                                         disposition="已解决", wrapup_s=15.0))  # fmt: skip
                t += 15.0
                out.append(self._contact("WrapupEnded", t, cid, agent))
                if rng.random() < 0.05:  # a caller on the same queue gives up
                    self.n += 1
                    gone = rng.expovariate(1 / 40)
                    aid = f"c{self.n}"
                    out.append(("ContactQueued", t, aid, None, dumps({
                        "type": "ContactQueued", "at": t, "contact_id": aid, "queue_id": queue,
                        "channel": channel, "value_tier": 0, "priority": 0, "customer_id": None,
                        "attributes": {}, "estimated_wait_s": 30.0, "position": 2,
                    })))  # fmt: skip
                    out.append(self._contact("ContactAbandoned", t + gone, aid, None,
                                             queue_id=queue, waited_s=gone))  # fmt: skip
            out.append(self._state(end, agent, "offline"))
        out.sort(key=lambda r: r[1])
        return out

    @staticmethod
    def _state(at: float, agent: str, presence: str) -> Row:
        payload = {"type": "AgentStateChanged", "at": at, "agent_id": agent,
                   "presence": presence, "reason": None}  # fmt: skip
        return ("AgentStateChanged", at, None, agent, json.dumps(payload))

    @staticmethod
    def _contact(kind: str, at: float, cid: str, agent: str | None, **extra: Any) -> Row:
        payload = {"type": kind, "at": at, "contact_id": cid, **extra}
        if agent is not None:
            payload["agent_id"] = agent
        return (kind, at, cid, agent, json.dumps(payload, ensure_ascii=False))


def _setup(engine: Engine, agents: list[str]) -> None:
    upgrade(engine)
    with Session(engine) as session:
        SqlSites(session).add(Site("sh", "上海", ZONE, MONTH0))
        session.flush()
        for q in QUEUES:
            channel = Channel.CHAT if q.startswith("chat") else Channel.VOICE
            SqlQueues(session).upsert(QueueRow(QueueSpec(q, channel, site_id="sh"), "sh"), MONTH0)
        for a in agents:
            SqlAgents(session).upsert(AgentSpec(a, site_id="sh"), MONTH0)
        session.commit()


def _insert(engine: Engine, rows: list[Row]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.executemany(
                "INSERT INTO events (type, at, contact_id, agent_id, payload) VALUES (?,?,?,?,?)",
                rows,
            )
        else:
            with cursor.copy(
                "COPY events (type, at, contact_id, agent_id, payload) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _fill(engines: list[Engine], gen: Generator, days: int, start: float, **day_kw: Any) -> int:
    """Generate ``days`` days once and store them in every engine; the number of events."""
    for engine in engines:
        _setup(engine, gen.agents)
    n = 0
    for d in range(days):
        rows = gen.day(start + d * DAY, **day_kw)
        for engine in engines:
            _insert(engine, rows)
        n += len(rows)
    return n


def _month_report(engine: Engine, since: float, until: float) -> tuple[float, HistoryReport]:
    t0 = time.perf_counter()
    builder = HistoryBuilder(since, until, period="interval:30", timezone=ZONE, group_by=["queue"])
    for batch in read_events(engine, since - DAY):
        builder.consume_all(batch)
    report = builder.result()
    return time.perf_counter() - t0, report


def _day_export(engine: Engine, since: float, path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    rows = ContactRows(since, since + DAY)
    builder = HistoryBuilder(since, since + DAY, period="interval:30", timezone=ZONE, on_visit=rows)
    for batch in read_events(engine, since - DAY):
        builder.consume_all(batch)
    builder.result()
    with path.open("w", encoding=export.CSV_ENCODING, newline="") as stream:
        n = export.write_csv(stream, export.contact_table(rows.sorted(), ZONE))
    return time.perf_counter() - t0, n


def _same_figures(a: HistoryReport, b: HistoryReport) -> bool:
    """Every figure of every row equal (sums to 1e-9 relative: SQL adds in another order)."""
    import math

    def same(x: Any, y: Any) -> bool:
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(same(p, q) for p, q in zip(x, y, strict=True))
        if isinstance(x, float) or isinstance(y, float):
            return (
                x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6)
            )
        return bool(x == y)

    return same(a.to_dict(), b.to_dict())


class _Cpu:
    """CPU seconds of this process and, on PostgreSQL, of the connection's server process
    (read from /proc; ``None`` when not readable), spent inside the block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pid: int | None = None
        if engine.dialect.name == "postgresql":
            # The pool keeps one connection: the timed code reuses its server process.
            with engine.connect() as connection:
                self.pid = int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)
        self.client = 0.0
        self.db: float | None = None

    def _server(self) -> float | None:
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> _Cpu:
        self._c0 = time.process_time()
        self._s0 = self._server() if self.pid else None
        return self

    def __exit__(self, *exc: object) -> None:
        self.client = round(time.process_time() - self._c0, 2)
        if self._s0 is not None:
            s1 = self._server()
            self.db = None if s1 is None else round(s1 - self._s0, 2)
        elif self.engine.dialect.name == "sqlite":
            self.db = 0.0  # SQLite runs inside the client process: counted there


def _month_visits(engine: Engine, since: float, until: float) -> tuple[float, HistoryReport]:
    """The peer: the month from the projection summing the visit rows in SQL (no slot
    sums), as before ``contact_slot_sums``."""
    t0 = time.perf_counter()
    report = projected_report(
        engine, since, until, period="interval:30", timezone=ZONE, group_by=["queue"], sums=False
    )
    return time.perf_counter() - t0, report


def _sums_build(engine: Engine) -> tuple[float, int, int]:
    """Build the slot sums the rebuild built again, timed apart (what a database served
    since its rebuild pays once, a day per transaction, at its first report): seconds,
    slot-sum rows, visit rows."""
    with engine.connect() as connection:
        done = sums_until(connection)
        first = connection.scalar(text("SELECT MIN(queued_at) FROM contact_visits"))
        visits = int(connection.scalar(text("SELECT COUNT(*) FROM contact_visits")) or 0)
    assert done is not None and first is not None
    t0 = time.perf_counter()
    with engine.begin() as connection:
        clear_sums(connection)
        add_sums(connection, math.floor(float(first) / SLOT_S), done)
    seconds = time.perf_counter() - t0
    with engine.connect() as connection:
        rows = int(connection.scalar(text("SELECT COUNT(*) FROM contact_slot_sums")) or 0)
    return seconds, rows, visits


def _day_export_fast(engine: Engine, since: float, path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    cells = projected_contact_cells(engine, since, since + DAY)
    with path.open("w", encoding=export.CSV_ENCODING, newline="") as stream:
        n = export.write_contact_csv(stream, cells, ZONE)
    return time.perf_counter() - t0, n


def _rebuild(engine: Engine) -> float:
    t0 = time.perf_counter()
    rebuild(engine)
    return time.perf_counter() - t0


def _month_projected(engine: Engine, since: float, until: float) -> tuple[float, HistoryReport]:
    t0 = time.perf_counter()
    report = projected_report(
        engine, since, until, period="interval:30", timezone=ZONE, group_by=["queue"]
    )
    return time.perf_counter() - t0, report


def _day_export_projected(engine: Engine, since: float, path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    rows = ContactRows(since, since + DAY)
    for visit in projected_visits(engine, since, since + DAY):
        rows(visit)
    with path.open("w", encoding=export.CSV_ENCODING, newline="") as stream:
        n = export.write_csv(stream, export.contact_table(rows.sorted(), ZONE))
    return time.perf_counter() - t0, n


DUCK_SQL = """
WITH e AS (
  SELECT type, "at", contact_id, payload FROM read_parquet('{parquet}')
  WHERE type IN ('ContactQueued', 'OfferAccepted', 'ContactAbandoned', 'ContactCompleted',
                 'WrapupEnded')
), v AS (
  SELECT contact_id,
    max(CASE WHEN type = 'ContactQueued' THEN "at" END) AS q_at,
    max(CASE WHEN type = 'ContactQueued' THEN json_extract_string(payload, '$.queue_id') END)
      AS queue_id,
    max(CASE WHEN type = 'OfferAccepted' THEN "at" END) AS ans_at,
    max(CASE WHEN type = 'ContactAbandoned' THEN "at" END) AS ab_at,
    max(CASE WHEN type = 'WrapupEnded' THEN "at" END) AS end_at
  FROM e GROUP BY contact_id
)
SELECT floor((q_at - {since}) / 1800) AS k, queue_id,
  count(*) AS offered, count(ans_at) AS answered, count(ab_at) AS abandoned,
  count(*) FILTER (WHERE ab_at - q_at < 5) AS short,
  count(*) FILTER (WHERE ans_at - q_at <= 20) AS in_sl,
  sum(ans_at - q_at) AS wait_sum, sum(end_at - ans_at) AS handle_sum
FROM v WHERE q_at >= {since} AND q_at < {until}
GROUP BY ALL ORDER BY k, queue_id
"""


def _duckdb(engine: Engine, since: float, until: float, folder: Path) -> dict[str, Any]:
    """Export the events to Parquet, then the month by interval and queue in DuckDB."""
    try:
        import duckdb
    except ImportError:
        return {"skipped": "duckdb is not installed"}
    import pandas as pd

    parquet = folder / "events.parquet"
    t0 = time.perf_counter()
    con = duckdb.connect()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT type, at, contact_id, payload FROM events ORDER BY seq")
        con.execute(
            'CREATE TABLE ev (type VARCHAR, "at" DOUBLE, contact_id VARCHAR, payload VARCHAR)'
        )
        while chunk := cursor.fetchmany(200_000):
            frame = pd.DataFrame(chunk, columns=["type", "at", "contact_id", "payload"])
            con.register("chunk", frame)
            con.execute("INSERT INTO ev SELECT * FROM chunk")
            con.unregister("chunk")
        con.execute(f"COPY ev TO '{parquet}' (FORMAT parquet)")
    finally:
        raw.close()
    exported = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = con.execute(DUCK_SQL.format(parquet=parquet, since=since, until=until)).fetchall()
    queried = time.perf_counter() - t0
    con.close()
    return {"export_s": round(exported, 2), "query_s": round(queried, 2), "rows": rows}


def _check_duck(duck: dict[str, Any], report: HistoryReport) -> bool:
    rows = duck.get("rows")
    if rows is None:
        return False
    totals = [sum(r[i] for r in rows) for i in (2, 3, 4, 5, 6)]
    c = report.total.contacts
    return totals == [c.offered, c.answered, c.abandoned, c.short_abandons, c.answered_within_sl]


def _pg_engine(url: str) -> tuple[Engine, str, Engine] | None:
    admin = create_engine(url, connect_args={"connect_timeout": 3})
    schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"PostgreSQL unavailable ({str(exc).splitlines()[0]}): skipped")
        admin.dispose()
        return None
    return make_engine(url, schema=schema), schema, admin


def run_month(engines: dict[str, Engine], args: argparse.Namespace, folder: Path) -> None:
    gen = Generator(args.agents, 1, talk_s=300.0, idle_s=args.idle_s)
    t0 = time.perf_counter()
    n = _fill(list(engines.values()), gen, args.days, MONTH0)
    print(f"generated and stored {n:,} events ({gen.n:,} contacts) in "
          f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
    for kind, engine in engines.items():
        out = args.record["stores"].setdefault(kind, {})
        out["month_events"] = n
        out["month_contacts"] = gen.n
        until = MONTH0 + args.days * DAY
        report: HistoryReport | None = None
        if not args.no_events:
            seconds, report = _month_report(engine, MONTH0, until)
            out["month_s"] = round(seconds, 2)
            out["month_events_per_s"] = round(n / seconds)
            print(
                f"{kind}: month from the events ({args.days} days, {n:,} events, "
                f"{len(report.rows)} interval x queue rows): {seconds:.2f} s"
            )
        built = _rebuild(engine)
        out["rebuild_s"] = round(built, 2)
        summing, sum_rows, visit_rows = _sums_build(engine)
        out["month_sums_build_s"] = round(summing, 2)
        out["month_sum_rows"] = sum_rows
        out["month_visit_rows"] = visit_rows
        print(f"{kind}: slot sums built in {summing:.1f} s ({sum_rows:,} rows for "
              f"{visit_rows:,} visits)")  # fmt: skip
        for _ in range(args.repeat):  # peer and fast path alternate
            with _Cpu(engine) as peer_cpu:
                slow, peer = _month_visits(engine, MONTH0, until)
            with _Cpu(engine) as cpu:
                fast, projected = _month_projected(engine, MONTH0, until)
            agree = _same_figures(projected, peer if report is None else report)
            out.setdefault("month_projection_visits_s", []).append(round(slow, 2))
            out.setdefault("month_projection_visits_cpu", []).append(
                {"client_s": peer_cpu.client, "db_s": peer_cpu.db}
            )
            out.setdefault("month_projection_s", []).append(round(fast, 2))
            out.setdefault("month_projection_cpu", []).append(
                {"client_s": cpu.client, "db_s": cpu.db}
            )
            out["month_projection_agrees"] = agree and _same_figures(projected, peer)
            print(
                f"{kind}: month ({args.days} days, {n:,} events, {len(projected.rows)} interval "
                f"x queue rows) from the projection: {fast:.2f} s (CPU client {cpu.client} s, "
                f"db {cpu.db} s; goal < 5 s); visit-rows peer {slow:.2f} s (CPU client "
                f"{peer_cpu.client} s, db {peer_cpu.db} s), x{slow / fast:.1f}; same figures: "
                f"{agree}; load {os.getloadavg()[0]:.1f}"
            )
        out["month_rows"] = len(projected.rows)
        out["month_offered"] = projected.total.contacts.offered
        out["month_service_level"] = projected.total.contacts.service_level
        print(f"{kind}: rebuild from the log {built:.1f} s")
        if kind == "sqlite" and not args.no_duckdb and report is not None:
            duck = _duckdb(engine, MONTH0, MONTH0 + args.days * DAY, folder)
            agree = _check_duck(duck, report)
            duck.pop("rows", None)
            duck["agrees_with_kefu"] = agree
            out["duckdb_parquet"] = duck
            print(f"{kind}: DuckDB over Parquet: export {duck.get('export_s')} s, month query "
                  f"{duck.get('query_s')} s, same totals as kefu: {agree}")  # fmt: skip


def run_busy_day(engines: dict[str, Engine], args: argparse.Namespace, folder: Path) -> None:
    # 1,000 agents around the clock with short contacts: about 300,000 contacts in a day.
    gen = Generator(args.agents, 2, talk_s=args.busy_talk_s, idle_s=args.busy_idle_s)
    day0 = MONTH0 + 40 * DAY
    n = _fill(list(engines.values()), gen, 1, day0, shift_h=23.5, spread_h=0.0)
    for kind, engine in engines.items():
        # The shifts start at 07:00: the export's day runs from there.
        out = args.record["stores"].setdefault(kind, {})
        out["day_events"] = n
        since = day0 + 7 * 3600
        if not args.no_events:
            seconds, rows = _day_export(engine, since, folder / f"day-{kind}.csv")
            out["day_export_events_s"] = round(seconds, 2)
            print(f"{kind}: one-day CSV export from the events: {seconds:.2f} s")
        built = _rebuild(engine)
        out["day_rebuild_s"] = round(built, 2)
        reference = folder / f"day-projected-{kind}.csv"
        fast_file = folder / f"day-fast-{kind}.csv"
        for _ in range(args.repeat):  # peer and fast path alternate
            with _Cpu(engine) as peer_cpu:
                slow, rows = _day_export_projected(engine, since, reference)
            with _Cpu(engine) as cpu:
                fast, fast_rows = _day_export_fast(engine, since, fast_file)
            same = reference.read_bytes() == fast_file.read_bytes() and rows == fast_rows
            if not args.no_events:
                same = same and reference.read_bytes() == (folder / f"day-{kind}.csv").read_bytes()
            out["day_contacts"] = rows
            out.setdefault("day_export_visits_s", []).append(round(slow, 2))
            out.setdefault("day_export_visits_cpu", []).append(
                {"client_s": peer_cpu.client, "db_s": peer_cpu.db}
            )
            out.setdefault("day_export_fast_s", []).append(round(fast, 2))
            out.setdefault("day_export_fast_cpu", []).append(
                {"client_s": cpu.client, "db_s": cpu.db}
            )
            out["day_export_same_file"] = same
            print(
                f"{kind}: one-day CSV export of {rows:,} contacts ({n:,} events): {fast:.2f} s "
                f"(CPU client {cpu.client} s, db {cpu.db} s; goal < 10 s); visit-object peer "
                f"{slow:.2f} s (CPU client {peer_cpu.client} s, db {peer_cpu.db} s), "
                f"x{slow / fast:.1f}; same file: {same}; load {os.getloadavg()[0]:.1f}"
            )
        print(f"{kind}: rebuild {built:.1f} s")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--busy-talk-s", type=float, default=180.0)
    parser.add_argument("--idle-s", type=float, default=400.0)
    parser.add_argument("--busy-idle-s", type=float, default=80.0)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--no-events", action="store_true", help="skip the event-decoding path (slow)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="alternating timed runs")
    parser.add_argument("--only", choices=("month", "day"), help="run one part only")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    record: dict[str, Any] = {
        "benchmark": "reports",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**_machine(), "loadavg_at_start": load_start},
        "note": "shared machine (2 cores, several other jobs running): absolute times are "
        "pessimistic; compare figures of the same run",
        "params": dict(vars(args)),
        "stores": {},
    }
    args.record = record
    cleanup: list[tuple[Engine, str]] = []
    with tempfile.TemporaryDirectory(prefix="kefu-bench-reports-") as tmp:
        folder = Path(tmp)
        month = {"sqlite": make_engine(sqlite_url(str(folder / "month.sqlite3")))}
        day = {"sqlite": make_engine(sqlite_url(str(folder / "day.sqlite3")))}
        if not args.no_postgres:
            for store in (month, day):
                made = _pg_engine(PG_URLS[0])
                if made is not None:
                    store["postgres"], schema, admin = made
                    cleanup.append((admin, schema))
        try:
            if args.only != "day":
                run_month(month, args, folder)
            if args.only != "month":
                run_busy_day(day, args, folder)
        finally:
            for engine in [*month.values(), *day.values()]:
                engine.dispose()
            for admin, schema in cleanup:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
    del args.record
    record["machine"]["loadavg_at_end"] = os.getloadavg()
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        name = RESULTS / f"reports-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        name.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"record: {name}")
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
