"""Start-up benchmark: the routing engine rebuilt from a snapshot plus the log's tail,
against a replay of the whole log, on one SQLite file (PostgreSQL with ``--url``).

A center of ``--agents`` agents on a voice and a chat queue takes a steady stream of
contacts (each answered after a ring, talked, wrapped up; one in ten abandons). The router
logs ``--events`` events; all but the last ``--tail`` are stored, an engine starts (a full
replay), takes a snapshot and stops; the tail is stored; then, in turn, an engine starts
from the snapshot and one from the whole log. Figures: wall and CPU seconds of each start
(``engine.start()``, the store read included), the snapshot's size and the time to take
it, contacts kept in memory, and the ratio full / snapshot.

Run: ``.venv/bin/python bench/replay.py`` (``--events 1000000`` for the issue's log).
Writes ``bench/results/replay-<date>.json`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.adapters.storage.event_fields import PATH_COLUMNS, path_fields
from kefu.adapters.storage.snapshots import SqlSnapshots
from kefu.bootstrap import routing_engine
from kefu.domain import events as ev
from kefu.domain.errors import KefuError
from kefu.domain.events import event_to_dict
from kefu.domain.model import AgentSpec, Channel, ContactSpec, QueueSpec
from kefu.domain.routing import Router
from kefu.service.ports import QueueRow, Site
from kefu.service.snapshots import SnapshotPolicy, Snapshotter
from kefu.testing import ManualClock

START = 1_700_000_000.0


def generate(events: int, agents: int, seed: int) -> list[ev.Event]:
    """Traffic through the router until it has logged ``events`` events: arrivals at
    about the agents' capacity, each offer answered after 1-8 s, talks of 30-240 s, one
    contact in ten abandoning after 5-60 s if still waiting."""
    return traffic(events, agents, seed)[0][:events]


def traffic(
    events: int, agents: int, seed: int, start: float = START
) -> tuple[list[ev.Event], Router]:
    """:func:`generate`'s traffic from ``start`` (seconds since the epoch): every event
    the router logged (at least ``events``), and the router once it applied them all."""
    rng = random.Random(seed)
    router = Router()
    now = start
    router.define_queue(QueueSpec("voice", Channel.VOICE, wrapup_s=10.0), now)
    router.define_queue(QueueSpec("chat", Channel.CHAT), now)
    for i in range(agents):
        router.define_agent(AgentSpec(f"a{i}", site_id="sh", name=f"座席{i}"), now)
        router.set_presence(f"a{i}", "ready", now)
    log: list[ev.Event] = []
    pending: list[tuple[float, int, str, str]] = []  # (due, serial, action, id)
    serial = 0

    def follow(new: list[ev.Event]) -> None:
        nonlocal serial
        for event in new:
            serial += 1
            if isinstance(event, ev.OfferCreated):
                due = event.at + rng.uniform(1, 8)
                heapq.heappush(pending, (due, serial, "accept", event.offer_id))
            elif isinstance(event, ev.OfferAccepted):
                due = event.at + rng.uniform(30, 240)
                heapq.heappush(pending, (due, serial, "complete", event.contact_id))
        log.extend(new)

    follow(router.drain())
    n = 0
    while len(log) < events:
        now += rng.expovariate(agents / 150.0)
        while pending and pending[0][0] <= now:
            due, _, action, ref = heapq.heappop(pending)
            try:
                if action == "accept":
                    router.accept(ref, due)
                elif action == "complete":
                    router.complete(ref, due)
                else:
                    router.abandon(ref, due)
            except KefuError:
                pass  # answered, timed out or served meanwhile
            follow(router.drain())
        n += 1
        queue = "voice" if n % 3 else "chat"
        router.enqueue(ContactSpec(f"c{n}", queue, attributes={"客户": f"张{n}"}), now)
        if n % 10 == 0:
            heapq.heappush(pending, (now + rng.uniform(5, 60), n, "abandon", f"c{n}"))
        follow(router.drain())
    return log, router


def seed_rows(uow_factory: SqlUnitOfWorkFactory, agents: int) -> None:
    """The site, queues and agents rows of :func:`generate`'s center."""
    with uow_factory() as uow:
        uow.sites.add(Site("sh", "上海中心", "Asia/Shanghai", START))
        uow.queues.upsert(QueueRow(QueueSpec("voice", Channel.VOICE, wrapup_s=10.0), "sh"), START)
        uow.queues.upsert(QueueRow(QueueSpec("chat", Channel.CHAT), "sh"), START)
        for i in range(agents):
            uow.agents.upsert(AgentSpec(f"a{i}", site_id="sh", name=f"座席{i}"), START)
        uow.commit()


def copy_events(database: Engine, events: list[ev.Event]) -> None:
    """Store ``events`` in PostgreSQL with ``COPY`` (in log order, numbered by the table),
    each row encoded as the store's append encodes it: a million in minutes rather than
    the hour multi-row INSERTs take on a loaded machine."""
    columns = ("type", "at", "contact_id", "agent_id", "payload", *PATH_COLUMNS)
    statement = f"COPY events ({', '.join(columns)}) FROM STDIN"
    raw = database.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for event in events:
                payload = event_to_dict(event)
                fields = path_fields(payload)
                copy.write_row(
                    (
                        payload["type"],
                        event.at,
                        payload.get("contact_id"),
                        payload.get("agent_id"),
                        json.dumps(payload),
                        *(fields[name] for name in PATH_COLUMNS),
                    )
                )
        raw.commit()
    finally:
        raw.close()


def store(uow_factory: SqlUnitOfWorkFactory, events: list[ev.Event]) -> None:
    for i in range(0, len(events), 20_000):
        with uow_factory() as uow:
            uow.events.append(events[i : i + 20_000])
            uow.commit()


async def timed_start(uow_factory: SqlUnitOfWorkFactory, snapshots: bool) -> dict[str, Any]:
    keeper = Snapshotter(SqlSnapshots(), SnapshotPolicy(every=0)) if snapshots else None
    engine = routing_engine(uow_factory, ManualClock(START), snapshots=keeper)
    wall, cpu = time.perf_counter(), time.process_time()
    await engine.start()
    figures = {
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "contacts_in_memory": len(engine.router.contacts),
        "from_snapshot_seq": None if keeper is None else keeper.restored_from,
        "tail_events": None if keeper is None else keeper.tail,
    }
    await engine.stop()
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    directory = tempfile.mkdtemp(prefix="kefu-replay-")
    url = args.url or sqlite_url(os.path.join(directory, "replay.sqlite3"))
    schema = f"kefu_bench_replay_{os.getpid()}" if args.url else None
    if schema is not None:  # a schema of its own, dropped at the end
        with create_engine(url).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = make_engine(url, schema=schema)
    upgrade(database)
    uow_factory = SqlUnitOfWorkFactory(database)
    t0 = time.perf_counter()
    log = generate(args.events, args.agents, args.seed)
    generated_s = time.perf_counter() - t0
    seed_rows(uow_factory, args.agents)
    head, tail = log[: len(log) - args.tail], log[len(log) - args.tail :]
    t0 = time.perf_counter()
    store(uow_factory, head)
    stored_s = time.perf_counter() - t0

    keeper = Snapshotter(SqlSnapshots(), SnapshotPolicy(every=0, retain_finished_s=args.retain))
    engine = routing_engine(uow_factory, ManualClock(head[-1].at), snapshots=keeper)
    await engine.start()
    t0, c0 = time.perf_counter(), time.process_time()
    snapshot = await engine.snapshot()
    snap_wall, snap_cpu = time.perf_counter() - t0, time.process_time() - c0
    await engine.stop()
    assert snapshot is not None
    store(uow_factory, tail)

    from_snapshot = await timed_start(uow_factory, snapshots=True)
    full = await timed_start(uow_factory, snapshots=False)
    database.dispose()
    if schema is not None:
        with create_engine(url).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    return {
        "bench": "replay",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        },
        "store": database.dialect.name,
        "events": len(log),
        "tail_events": len(tail),
        "retain_finished_s": args.retain,
        "generate_s": round(generated_s, 1),
        "store_s": round(stored_s, 1),
        "snapshot": {
            "bytes": len(snapshot.data),
            "seq": snapshot.seq,
            "take_wall_s": round(snap_wall, 3),
            "take_cpu_s": round(snap_cpu, 3),
        },
        "start_from_snapshot": from_snapshot,
        "start_full_replay": full,
        "ratio_full_over_snapshot_wall": round(full["wall_s"] / from_snapshot["wall_s"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--tail", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--retain", type=float, default=3_600.0, help="finished kept, s")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--url", default=None, help="a PostgreSQL URL (a schema of its own; default: SQLite)"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(
        f"replay {result['events']} events: full {result['start_full_replay']['wall_s']} s, "
        f"snapshot + {result['tail_events']} tail {result['start_from_snapshot']['wall_s']} s"
    )
    if not args.no_write:
        name = f"replay-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out = Path(__file__).parent / "results" / name
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"  record 记录: bench/results/{name}")


if __name__ == "__main__":
    main()
