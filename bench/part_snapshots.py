"""Start-up benchmark of the channel state part: rebuilt from a snapshot plus the channel
log's tail, against a load of the whole log, on one SQLite file (PostgreSQL with
``--url``).

``--conversations`` chats (customers returning now and then), each with 1-4 messages, a
contact link and a close, are written to the channel log; a snapshot of the state is
taken when all but the last ``--tail`` conversations are stored; then the tail is stored.
Each start is a fresh :class:`~kefu.service.channels.ChannelState` reading the store in
its own transaction, in turns (``--repeat`` of each, interleaved, medians reported):
``fetch_since`` + ``restore`` against ``fetch`` + ``load``. Figures: wall and CPU seconds,
the snapshot's size, records read by each, and the ratio full / snapshot.

Run: ``.venv/bin/python bench/part_snapshots.py``. Writes
``bench/results/part_snapshots-<date>.json`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel
from kefu.service.channels import ChannelState, Inbound

START = 1_700_000_000.0


def traffic(state: ChannelState, first: int, count: int, seed: int) -> None:
    """``count`` chats from conversation ``first`` on: 1-4 messages, a contact, a close."""
    rng = random.Random(seed + first)
    at = START + first * 60.0
    for n in range(first, first + count):
        cookie = Identifier(IdentifierKind.CHAT_COOKIE, f"tok-{rng.randrange(max(n, 1))}")
        conv_id = ""
        for m in range(rng.randint(1, 4)):
            at += rng.uniform(1.0, 30.0)
            inbound = Inbound(Channel.CHAT, (cookie,), f"消息 {m}", at, f"chat:{n}:{m}")
            _link, placement, _new = state.receive(inbound)
            conv_id = placement.conversation_id
        state.link_contact(conv_id, f"c{n}", at)
        state.close(conv_id, at + 60.0, "completed")


def store(uow_factory: SqlUnitOfWorkFactory, state: ChannelState) -> None:
    records, rows = state.take_pending()
    with uow_factory() as uow:
        uow.channels.append(records)
        uow.channels.upsert_conversations(rows)
        uow.commit()


def timed(work: Callable[[], int]) -> dict[str, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    read = work()
    return {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "records_read": read,
    }


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in runs), 4) for k in runs[0]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory()
    schema = None
    if args.url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(args.url).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        database = make_engine(args.url, schema=schema)
    else:
        database = make_engine(sqlite_url(Path(tmp.name) / "bench.db"))
    upgrade(database)
    uow_factory = SqlUnitOfWorkFactory(database)

    state = ChannelState()
    head = args.conversations - args.tail
    for first in range(0, head, 1_000):
        traffic(state, first, min(1_000, head - first), args.seed)
        store(uow_factory, state)
    dumped = state.dump()
    traffic(state, head, args.tail, args.seed)
    store(uow_factory, state)

    def full() -> int:
        fresh = ChannelState()
        with uow_factory() as uow:
            records = fresh.fetch(uow)
        fresh.load(records)
        return len(records)

    def from_snapshot() -> int:
        fresh = ChannelState()
        with uow_factory() as uow:
            fetched = fresh.fetch_since(uow, dumped)
        fresh.restore(fetched)
        return len(fetched[1])

    fulls, snaps = [], []
    for _ in range(args.repeat):
        fulls.append(timed(full))
        snaps.append(timed(from_snapshot))
    database.dispose()
    if schema is not None:
        with create_engine(args.url).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    tmp.cleanup()
    full_m, snap_m = median(fulls), median(snaps)
    return {
        "bench": "part_snapshots",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        },
        "store": database.dialect.name,
        "conversations": args.conversations,
        "tail_conversations": args.tail,
        "records": state.seq,
        "snapshot_bytes": len(dumped),
        "repeat": args.repeat,
        "start_from_snapshot": snap_m,
        "start_full_load": full_m,
        "ratio_full_over_snapshot_wall": round(full_m["wall_s"] / snap_m["wall_s"], 2),
        "ratio_full_over_snapshot_cpu": round(full_m["cpu_s"] / snap_m["cpu_s"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--tail", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--url", default=None, help="a PostgreSQL URL (a schema of its own; default: SQLite)"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(
        f"channel part, {result['records']} records: full load "
        f"{result['start_full_load']['wall_s']} s, snapshot + {args.tail} conversations "
        f"{result['start_from_snapshot']['wall_s']} s "
        f"(x{result['ratio_full_over_snapshot_wall']} wall, load {os.getloadavg()[0]:.1f})"
    )
    if not args.no_write:
        name = f"part_snapshots-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out = Path(__file__).parent / "results" / name
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"  record 记录: bench/results/{name}")


if __name__ == "__main__":
    main()
