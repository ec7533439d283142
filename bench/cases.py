"""Benchmark: the contact map and FCR over a million routing events.

A synthetic, deterministic log (``--events``, default 1,000,000): about 170,000 contacts of
40,000 customers over 60 days on voice, chat and e-mail, 10 queues, 200 agents; 10 % abandon,
8 % are transferred once (some back to a queue they visited), customers come back about the
same topic now and then. Times, in one run:

- **memory**: one pass over the events as objects (:func:`kefu.analytics.journeys.journeys_until`),
  then the contact map and FCR from those journeys, as ``kefu contactmap`` does;
- **sqlite** (unless ``--no-sqlite``) and **postgres** (``--postgres URL``, in a schema of
  its own, dropped after): the log stored through the storage adapter
  (``SqlEventLog.append``, timed apart), then read and analysed three ways in the same run.
  ``rows``, what ``kefu contactmap`` does: ``read_contact_rows`` selects the contact-path
  events' plain columns (the few payload fields were put in columns when each event was
  appended; no JSON is read), folded by ``journeys_from_rows``. ``json``, the reader of the
  previous round, kept here as the peer: the database extracts the same fields from the JSON
  payload at read time (``json_extract`` / ``->>``). ``events``, the first way:
  ``read_events`` rebuilds each event, folded by ``journeys_until``.

DuckDB is not measured: it would read the stored events through its ``sqlite_scanner`` or
``postgres_scanner`` extensions, which it downloads on first use (not possible on this
machine); fed through Python instead, it would pay the same read as the ``rows`` path before
any aggregation.

Where the wall time goes, per way: the process's CPU seconds, its seconds waiting for a core
while runnable (``/proc/self/schedstat``: on a shared machine, the load), and on PostgreSQL
the CPU seconds of the server process that ran the query (``/proc/<backend pid>/stat``; the
database runs on this machine). The rest is waiting for the database or the disk. Like
``kefu contactmap``, the loaded log is moved out of the cyclic garbage collector's reach
(``gc.freeze``) and the collector is off during the analysis (``gc.disable``).

Prints "contact map over N events: S s" lines and writes bench/results/cases-<date>.json
with the machine and its load average (the machine is shared: absolute figures move with the
load, compare within one run). Run:

    PYTHONPATH=src python bench/cases.py [--events 1000000] [--no-sqlite] [--postgres URL]
        [--reuse-sqlite FILE] [--reuse-schema NAME]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kefu.analytics.contactmap import contact_map_from_journeys
from kefu.analytics.fcr import fcr_from_journeys
from kefu.analytics.journeys import find_repeats, journeys_from_rows, journeys_until
from kefu.domain import events as ev

ROOT = Path(__file__).resolve().parent.parent
DAY = 86_400.0
QUEUES = tuple(f"q{n}" for n in range(10))
TOPICS = ("billing", "card", "loan", "fraud", "address", "mortgage", "账单", "挂失")
CHANNELS = ("voice", "voice", "voice", "chat", "chat", "email")


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "note": "shared machine (2 cores, several concurrent users): figures move with the load",
    }


def synthetic_log(target: int, seed: int = 15) -> list[ev.Event]:
    """About ``target`` events in time order (see the module docstring)."""
    rng = random.Random(seed)
    out: list[tuple[float, int, ev.Event]] = []
    n = 0
    offers = 0
    horizon = 60 * DAY
    while len(out) < target:
        n += 1
        cid = f"k{n}"
        customer = f"cust{rng.randrange(40_000)}"
        at = rng.uniform(0, horizon)
        queue = rng.choice(QUEUES)
        attrs = {"topic": rng.choice(TOPICS)}
        events: list[ev.Event] = [
            ev.ContactQueued(at, cid, queue, rng.choice(CHANNELS), 0, 0, customer, attrs, 30.0, 1)
        ]
        t = at + rng.expovariate(1 / 40)
        if rng.random() < 0.10:
            events.append(ev.ContactAbandoned(t, cid, queue, t - at))
        else:
            agent = f"a{rng.randrange(200)}"
            offers += 1
            events.append(ev.OfferCreated(t, f"o{offers}", cid, agent, t + 20, False))
            events.append(ev.OfferAccepted(t + 3, f"o{offers}", cid, agent))
            t += 3 + rng.expovariate(1 / 200)
            if rng.random() < 0.08:
                to_queue = rng.choice(QUEUES)
                events.append(ev.ContactTransferred(t, cid, agent, to_queue, None, "see notes"))
                agent = f"a{rng.randrange(200)}"
                offers += 1
                events.append(ev.OfferCreated(t + 30, f"o{offers}", cid, agent, t + 50, False))
                events.append(ev.OfferAccepted(t + 33, f"o{offers}", cid, agent))
                t += 33 + rng.expovariate(1 / 150)
            events.append(ev.ContactCompleted(t, cid, agent, "resolved", 30.0))
            events.append(ev.WrapupEnded(t + 30, cid, agent))
        out.extend((e.at, len(out) + i, e) for i, e in enumerate(events))
    out.sort(key=lambda row: (row[0], row[1]))
    return [e for _at, _seq, e in out]


CPU: dict[str, float] = {}
"""Process CPU seconds (``last``) and seconds runnable but waiting for a core (``wait``) of
the last :func:`timed` call (the load moves wall time, less the CPU)."""


def run_wait() -> float:
    """Seconds this process has spent runnable but waiting for a core (0 if unknown)."""
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) of process ``pid`` so far, ``None`` if unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start, cpu, wait = time.perf_counter(), time.process_time(), run_wait()
    result = fn()
    CPU["last"] = time.process_time() - cpu
    CPU["wait"] = run_wait() - wait
    return result, time.perf_counter() - start


def analyse(events: list[Any], fold: Callable[[Any, None], Any] = journeys_until) -> dict[str, Any]:
    (every, end), pass_s = timed(lambda: fold(events, None))
    cpu, wait = CPU["last"], CPU["wait"]
    repeats, repeats_s = timed(lambda: find_repeats(every, 7 * DAY))
    cpu, wait = cpu + CPU["last"], wait + CPU["wait"]
    cmap, map_s = timed(lambda: contact_map_from_journeys(every, end, repeats=repeats))
    cpu, wait = cpu + CPU["last"], wait + CPU["wait"]
    fcr, fcr_s = timed(lambda: fcr_from_journeys(every, end, repeats=repeats))
    cpu, wait = cpu + CPU["last"], wait + CPU["wait"]
    return {
        "map_and_fcr_cpu_s": round(cpu, 3),
        "map_and_fcr_run_wait_s": round(wait, 3),
        "journeys_s": round(pass_s, 3),
        "repeats_s": round(repeats_s, 3),
        "contact_map_s": round(pass_s + repeats_s + map_s, 3),
        "fcr_s": round(fcr_s, 3),
        "map_and_fcr_s": round(pass_s + repeats_s + map_s + fcr_s, 3),
        "contacts": cmap.contacts,
        "edges": len(cmap.edges),
        "blind_spots": len(cmap.blind_spots),
        "loops": len(cmap.loops),
        "broken_handoffs": len(cmap.broken_handoffs),
        "fcr": round(fcr.overall.fcr or 0.0, 4),
    }


def quiet_gc(fn: Callable[[], Any]) -> Any:
    """``fn()`` as ``kefu contactmap`` runs its analysis: the loaded log frozen out of the
    cyclic collector's reach and the collector off."""
    gc.freeze()
    gc.disable()
    try:
        return fn()
    finally:
        gc.enable()
        gc.unfreeze()


def stored_run(events: list[ev.Event], url: str | None, reuse: str | None = None) -> dict[str, Any]:
    """Store the log (SQLite in a temporary folder when ``url`` is None, else a fresh schema
    of that PostgreSQL database), then read it back and analyse it three ways (``rows``,
    ``json``, ``events``; see the module docstring). ``reuse`` names a SQLite file or a
    PostgreSQL schema holding this log already (same ``--events``; storing a million events
    takes minutes on a loaded machine): it is migrated to head if needed, timed apart (the
    0007 backfill), and kept."""
    from sqlalchemy import create_engine, text

    from kefu.adapters.storage import make_engine, upgrade
    from kefu.adapters.storage.event_reader import read_contact_rows, read_events

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        schema = (reuse or f"kefu_bench_{os.getpid()}") if url else None
        if url and schema and not reuse:
            with create_engine(url).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sqlite_file = reuse if reuse and not url else f"{folder}/bench.sqlite3"
        engine = make_engine(url or f"sqlite:///{sqlite_file}", schema=schema)
        try:
            _none, upgrade_s = timed(lambda: upgrade(engine))
            out["upgrade_s"] = round(upgrade_s, 1)
            if reuse:
                out["reused"] = Path(reuse).name  # a file's name only, not where it is
                out["store_s"] = None
            else:
                _none, write_s = timed(lambda: _store(engine, events))
                out["store_s"] = round(write_s, 1)
            ways: tuple[tuple[str, Callable[[], list[Any]], Any], ...] = (
                ("rows", lambda: list(read_contact_rows(engine)), journeys_from_rows),
                ("json", lambda: list(_json_rows(engine)), journeys_from_rows),
                ("events", lambda: list(read_events(engine)), journeys_until),
            )
            for name, read, fold in ways:
                load = os.getloadavg()
                backend = _backend_pid(engine)
                server = process_cpu(backend)
                stored, read_s = timed(read)
                read_cpu, read_wait = CPU["last"], CPU["wait"]
                if server is not None and _backend_pid(engine) == backend:
                    after = process_cpu(backend)
                    server = None if after is None else after - server
                else:
                    server = None
                figures = quiet_gc(lambda: analyse(stored, fold))  # noqa: B023 - called at once
                stored.clear()
                figures.update(
                    read_s=round(read_s, 3),
                    read_cpu_s=round(read_cpu, 3),
                    read_run_wait_s=round(read_wait, 3),
                    server_cpu_s=None if server is None else round(server, 3),
                )
                figures["total_s"] = round(read_s + figures["map_and_fcr_s"], 3)
                figures["total_cpu_s"] = round(
                    read_cpu + figures["map_and_fcr_cpu_s"] + (server or 0.0), 3
                )
                figures["total_run_wait_s"] = round(
                    read_wait + figures["map_and_fcr_run_wait_s"], 3
                )
                figures["loadavg_before"] = load
                figures["loadavg"] = os.getloadavg()
                out[name] = figures
        finally:
            engine.dispose()
            if url and schema and not reuse:
                with create_engine(url).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    return out


def _backend_pid(engine: Any) -> int | None:
    """The PostgreSQL server process of the pooled connection the next read will take."""
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _json_rows(engine: Any) -> Any:
    """The previous round's reader (the peer): the same rows as ``read_contact_rows``, the
    payload fields extracted from the JSON by the database at read time."""
    from sqlalchemy import case, null, select

    from kefu.adapters.storage.event_reader import CONTACT_PATH_TYPES, EVENTS

    c = EVENTS.c
    payload = c.payload
    queued = c.type == "ContactQueued"
    target = case(
        (c.type.in_(["ContactQueued", "ContactOverflowed"]), payload["queue_id"].as_string()),
        (c.type == "ContactTransferred", payload["to_queue_id"].as_string()),
        (c.type == "ContactCompleted", payload["disposition"].as_string()),
        else_=null(),
    )
    paths: tuple[str | tuple[str, str], ...] = (
        "channel", "customer_id", ("attributes", "topic"), ("attributes", "case_id"),
    )  # fmt: skip
    fields = [case((queued, payload[p].as_string()), else_=null()) for p in paths]
    stmt = (
        select(c.type, c.at, c.contact_id, c.agent_id, target, *fields, null())
        .where(c.type.in_(list(CONTACT_PATH_TYPES)))
        .order_by(c.seq)
    )
    sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        if engine.dialect.name == "sqlite":
            cursor = driver.execute(sql)
        else:
            cursor = driver.cursor(name="bench_json_rows")
            cursor.execute(sql)
        while batch := cursor.fetchmany(20_000):
            yield from batch


def _store(engine: Any, events: list[ev.Event]) -> None:
    from sqlalchemy.orm import Session

    from kefu.adapters.storage.repositories import SqlEventLog

    with Session(engine) as session:
        log = SqlEventLog(session)
        for i in range(0, len(events), 5000):
            log.append(events[i : i + 5000])
        session.commit()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--postgres", metavar="URL", help="also store and read in PostgreSQL")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON record")
    parser.add_argument("--reuse-sqlite", metavar="FILE", help="a SQLite file holding the log")
    parser.add_argument("--reuse-schema", metavar="NAME", help="a schema holding the log")
    args = parser.parse_args(argv)
    record: dict[str, Any] = {
        "benchmark": "cases",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": {
            **vars(args),
            "reuse_sqlite": args.reuse_sqlite and Path(args.reuse_sqlite).name,
        },
    }
    events, build_s = timed(lambda: synthetic_log(args.events))
    print(f"synthetic log: {len(events):,} events in {build_s:.1f} s")
    memory = quiet_gc(lambda: analyse(events))
    record["memory"] = memory
    print(f"contact map over {len(events):,} events: {memory['contact_map_s']:.1f} s (in memory)")
    print(
        f"contact map and FCR over {len(events):,} events: {memory['map_and_fcr_s']:.1f} s "
        f"(one pass {memory['journeys_s']:.1f} s shared; FCR alone adds {memory['fcr_s']:.1f} s; "
        f"CPU {memory['map_and_fcr_cpu_s']:.1f} s)"
    )
    print(
        f"  {memory['contacts']:,} contacts, FCR {memory['fcr']:.1%}, "
        f"{memory['blind_spots']:,} blind spots, {memory['loops']:,} loops, "
        f"{memory['broken_handoffs']:,} broken hand-offs"
    )
    stores = ([("sqlite", None)] if not args.no_sqlite else []) + (
        [("postgres", args.postgres)] if args.postgres else []
    )
    for name, url in stores:
        ran = stored_run(events, url, args.reuse_schema if url else args.reuse_sqlite)
        record[name] = ran
        for way in ("rows", "json", "events"):
            f = ran[way]
            server = "" if f["server_cpu_s"] is None else f" + server {f['server_cpu_s']:.1f} s"
            print(
                f"contact map over {len(events):,} events: {f['total_s']:.1f} s "
                f"({name}, {way}: read {f['read_s']:.1f} s + map and FCR "
                f"{f['map_and_fcr_s']:.1f} s; CPU {f['read_cpu_s']:.1f} s + "
                f"{f['map_and_fcr_cpu_s']:.1f} s{server} = {f['total_cpu_s']:.1f} s; "
                f"waiting for a core {f['total_run_wait_s']:.1f} s; "
                f"load {f['loadavg_before'][0]:.1f})"
            )
        rows = ran["rows"]
        for peer in ("json", "events"):
            old = ran[peer]
            ran[f"rows_vs_{peer}_cpu"] = round(rows["total_cpu_s"] / old["total_cpu_s"], 3)
            ran[f"rows_vs_{peer}_wall"] = round(rows["total_s"] / old["total_s"], 3)
            print(
                f"  {name}: rows/{peer} = {ran[f'rows_vs_{peer}_cpu']:.2f} in CPU, "
                f"{ran[f'rows_vs_{peer}_wall']:.2f} in wall time"
            )
        if ran["store_s"] is not None:
            print(f"  {name}: storing took {ran['store_s']:.0f} s")
        else:
            print(f"  {name}: reused {ran['reused']} (migrating it took {ran['upgrade_s']:.0f} s)")
    record["machine"]["loadavg_at_end"] = os.getloadavg()
    if not args.no_write:
        out = ROOT / "bench" / "results" / f"cases-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"record: {out.relative_to(ROOT)}")
    return record


if __name__ == "__main__":
    main()
