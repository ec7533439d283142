"""Server benchmark: contacts created, accepted and completed over HTTP on loopback while a
wallboard client listens, on SQLite and on PostgreSQL in the same run.

``kefu serve`` runs in its own process; this process is the load generator (asyncio, one
keep-alive connection pool, one WebSocket). The center: one site, ``--queues`` chat queues
with one agent each (capacity 100 chats, so nobody waits for an agent). Each queue gets a
Poisson share of ``--rate`` contacts per second for ``--seconds``; a queue's creations are
sent one after the other, so the k-th contact created in a queue is the k-th one offered
there, and the wallboard message that first shows that queue's offered count at k is the
first one that reflects it. Each contact is then accepted and, after an exponential handle
time (mean ``--handle-s``, at most five times it), completed.

Figures (milliseconds; contacts of the first ``--warmup`` seconds left out):

- create→queued: from the instant the POST was due (its Poisson arrival; a send that waits
  for the queue's previous one counts that wait) to its 201 answer, stored and routed;
- create→wallboard: from the same instant to the arrival of the first wallboard message
  that reflects the contact;
- accept and complete: the answer times of those POSTs;
- contacts/s created and completed; the server's and this process's CPU share (one core
  = 1.0) and the machine's busy share.

Goal: p99 < 100 ms at 200 contacts/s. ``--profile`` runs the server under cProfile and
prints where its main thread spent the time. PostgreSQL: database ``test`` on
127.0.0.1:5432 (``--postgres-url`` or ``KEFU_TEST_POSTGRES_URL``), in a schema of its own,
dropped afterwards; skipped with the reason when it cannot be reached.

Run: ``PYTHONPATH=src .venv-bench/bin/python bench/server.py`` (``--rate 200 --seconds 20``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import platform
import pstats
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from server_load import drive, figures

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOAL_P99_MS = 100.0
START_S = 90.0
"""Seconds ``kefu serve`` may take to answer (start-up takes longer on a busy machine)."""
KEFU = "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"
TRACED = (
    "import sys; sys.path.insert(0, {bench!r}); import server_trace; "
    "server_trace.install({path!r}); from kefu.cli import main; sys.argv[0] = 'kefu'; main()"
)
PROFILED = (
    "import cProfile, sys; from kefu.cli import main; sys.argv = ['kefu', *sys.argv[1:]]; "
    "cProfile.run('main()', {path!r})"
)


# -- the server and its database --------------------------------------------------------
@dataclass
class Store:
    """Where the server keeps its data: ``env`` for kefu, ``drop`` to clean up after."""

    kind: str
    env: dict[str, str]
    drop: Callable[[], None] = lambda: None


def sqlite_store(folder: Path) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    return Store("sqlite", {"KEFU_DB_PATH": str(folder / "bench.sqlite3")})


def postgres_store(url: str | None) -> Store | str:
    """A fresh schema in database ``test``, or the reason it cannot be had."""
    from sqlalchemy import create_engine, text

    candidates = (
        [url]
        if url
        else [
            f"postgresql+psycopg://{u}@127.0.0.1:5432/test"
            for u in dict.fromkeys(("postgres", getpass.getuser()))
        ]
    )
    errors = []
    for candidate in candidates:
        admin = create_engine(candidate, connect_args={"connect_timeout": 3})
        schema = f"kefu_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        try:
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:
            errors.append(f"{candidate.split('@')[-1]}: {str(exc).splitlines()[0]}")
            admin.dispose()
            continue

        def drop(admin: Any = admin, schema: str = schema) -> None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()

        env = {"KEFU_DATABASE_URL": candidate, "KEFU_DATABASE_SCHEMA": schema}
        return Store("postgres", env, drop)
    return "PostgreSQL not reachable (" + "; ".join(errors) + ")"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``kefu serve`` on a free loopback port (under cProfile with ``profile``)."""

    def __init__(
        self, store: Store, folder: Path, profile: Path | None = None, trace: Path | None = None
    ) -> None:
        # kefu serve needs a signing key of its own; a fresh one per run.
        key = uuid.uuid4().hex + uuid.uuid4().hex
        self.env = {**os.environ, "KEFU_ENV": "test", "KEFU_SECRET_KEY": key, **store.env}
        self.env.setdefault("PYTHONPATH", str(ROOT / "src"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"server-{store.kind}.log"
        self.profile = profile
        self.trace = trace
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""

    def kefu(self, *words: str) -> str:
        """Run a ``kefu`` command on the server's database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-c", KEFU, *words],
            env=self.env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise SystemExit(f"kefu {' '.join(words)} failed:\n{done.stderr.decode()}")
        return done.stdout.decode()

    def start(self) -> None:
        """Migrate, create the benchmark's admin and its API token, then serve."""
        self.kefu("db", "upgrade")
        self.kefu("users", "create", "bench-admin", "--role", "admin", "--generate")
        scopes = [
            w for s in ("read", "contacts:write", "agents:write", "admin") for w in ("--scope", s)
        ]
        issued = self.kefu("users", "token", "bench-admin", *scopes, "--days", "1", "--json")
        self.token = json.loads(issued)["token"]
        serve = ["serve", "--port", str(self.port), "--log-level", "warning"]
        if self.trace is not None:
            code = TRACED.format(bench=str(ROOT / "bench"), path=str(self.trace))
            command = [sys.executable, "-c", code, *serve]
        elif self.profile is None:
            command = [sys.executable, "-c", KEFU, *serve]
        else:
            command = [sys.executable, "-c", PROFILED.format(path=str(self.profile)), *serve]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"kefu serve exited:\n{self.log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"kefu serve did not answer in {START_S:g} s:\n{self.log.read_text()}")

    def cpu_s(self) -> float:
        """CPU seconds (user + system, all threads) the server has used."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def zone_just_after_midnight() -> str:
    """A fixed-offset zone whose local day began less than an hour ago."""
    offset = -datetime.now(UTC).hour % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"  # Etc/GMT-8 is UTC+8


def run_store(
    store: Store, args: argparse.Namespace, folder: Path, timezone: str | None = None
) -> dict[str, Any]:
    profile = folder / f"server-{store.kind}.prof" if args.profile else None
    if timezone or args.timezone:
        store.env["KEFU_TIMEZONE"] = timezone or args.timezone
    trace = None
    if args.trace is not None:
        args.trace.mkdir(parents=True, exist_ok=True)
        trace = args.trace / f"trace-{store.kind}.json"
    server = Server(store, folder, profile, trace)
    server.start()
    try:
        cpu0, busy0, wall0, own0 = (
            server.cpu_s(),
            machine_busy(),
            time.perf_counter(),
            time.process_time(),
        )
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            load = runner.run(drive(server.base, server.token, args, random.Random(args.seed)))
        wall = time.perf_counter() - wall0
        busy1 = machine_busy()
        result = figures(load, args)
        if args.trace is not None:  # the measured contacts' (due, created), for the trace
            measured = [
                (c.due, c.created) for c in load.contacts if c.due >= load.start + args.warmup
            ]
            (args.trace / f"contacts-{store.kind}.json").write_text(json.dumps(measured))
        server_cpu = (server.cpu_s() - cpu0) / wall
        own_cpu = (time.process_time() - own0) / wall
        busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
        cores = os.cpu_count() or 1
        # CPU seconds per contact created: the server's cost, which a busy machine
        # disturbs far less than the latencies (they then measure the wait for a core).
        result["server_cpu_ms_per_contact"] = round(
            1000.0 * server_cpu * wall / max(1, result["contacts"]["created"]), 3
        )
        result["cpu_share"] = {  # in cores; "others" includes PostgreSQL's own processes
            "server": round(server_cpu, 2),
            "load_generator": round(own_cpu, 2),
            "others": round(max(0.0, busy * cores - server_cpu - own_cpu), 2),
            "machine_busy_fraction": round(busy, 2),
        }
    finally:
        server.stop()
        store.drop()
    if profile is not None and profile.exists():
        stats = pstats.Stats(str(profile))
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[: args.profile]
        result["profile_tottime_s"] = [
            [f"{Path(f).name}:{line}({name})", round(tt, 3), round(ct, 3)]
            for (f, line, name), (_cc, _nc, tt, ct, _callers) in rows
        ]
        # Own time per source file. The main thread's idle waits inside the event loop
        # (C code) count as the own time of the Python frame that runs the loop.
        by_file: dict[str, float] = {}
        for (f, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
            by_file[Path(f).name] = by_file.get(Path(f).name, 0.0) + tt
        top = sorted(by_file.items(), key=lambda kv: kv[1], reverse=True)[: args.profile]
        result["profile_by_file_s"] = {name: round(tt, 3) for name, tt in top}
    return result


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (the server uses it too), so the client costs less CPU."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def show(kind: str, r: dict[str, Any]) -> None:
    def row(name: str, p: dict[str, Any]) -> str:
        figures = f"p50 {p['p50']!s:>8}  p99 {p['p99']!s:>8}  max {p['max']!s:>8}"
        return f"    {name:<30} {figures}  (n={p['n']})"

    print(
        f"  {kind}: due {r['arrivals_per_s']}/s, created {r['created_per_s']}/s, "
        f"completed {r['completed_per_s']}/s; contacts {r['contacts']}; "
        f"errors {r['errors'] or 'none'}"
    )
    print(row("create→queued ms 建立→排队", r["create_to_queued_ms"]))
    print(row("create→wallboard ms 建立→大屏", r["create_to_wallboard_ms"]))
    print(row("accept ms 接受", r["accept_ms"]))
    print(row("complete ms 完成", r["complete_ms"]))
    print(f"    CPU share 占用: {r['cpu_share']}")
    print(f"    server CPU per contact 每个联系的服务端 CPU: {r['server_cpu_ms_per_contact']} ms")
    for entry in r.get("profile_tottime_s", []):
        print(f"      {entry[1]:>8.3f} s  {entry[0]}")
    if "profile_by_file_s" in r:
        print(
            "    by file 按文件:", ", ".join(f"{k} {v}" for k, v in r["profile_by_file_s"].items())
        )


def ratios(over: dict[str, Any], under: dict[str, Any]) -> dict[str, float]:
    """Latency percentiles and completion rate of one run divided by another's."""
    out = {}
    for key in ("create_to_queued_ms", "create_to_wallboard_ms", "accept_ms", "complete_ms"):
        for p in ("p50", "p99"):
            if over[key][p] and under[key][p]:
                out[f"{key.removesuffix('_ms')}_{p}"] = round(over[key][p] / under[key][p], 2)
    out["completed_per_s"] = round(over["completed_per_s"] / max(under["completed_per_s"], 1e-9), 2)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="contacts per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="arrivals last this long")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds left out of figures")
    parser.add_argument(
        "--grace-s", type=float, default=20.0, help="stop sending this long after --seconds"
    )
    parser.add_argument("--timezone", help="the server's KEFU_TIMEZONE (wallboard's 'today')")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="add a SQLite run whose wallboard day began minutes ago (time-of-day effect)",
    )
    parser.add_argument("--queues", type=int, default=40, help="queues (one agent each)")
    parser.add_argument("--handle-s", type=float, default=1.0, help="mean handle time, s")
    parser.add_argument("--max-contacts", type=int, default=20_000, help="hard cap on contacts")
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite and/or postgres")
    parser.add_argument("--postgres-url", default=os.environ.get("KEFU_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile the server; show its N costliest functions",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        metavar="FOLDER",
        help="record the server's timeline there (bench/server_trace.py reads it)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON record")
    args = parser.parse_args(argv)
    for name in ("rate", "seconds", "handle_s", "grace_s"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be > 0")
    if not 0 <= args.warmup < args.seconds:
        parser.error("--warmup must be ≥ 0 and shorter than --seconds")
    if not 1 <= args.queues <= 500 or args.max_contacts < 1:
        parser.error("--queues must be 1–500 and --max-contacts ≥ 1")
    kinds = [k.strip() for k in args.stores.split(",") if k.strip()]
    if not kinds or set(kinds) - {"sqlite", "postgres"}:
        parser.error("--stores takes sqlite, postgres or both")

    record: dict[str, Any] = {
        "benchmark": "server",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            k: getattr(args, k)
            for k in ("rate", "seconds", "warmup", "queues", "handle_s", "seed", "timezone")
        },
        "goal": {"p99_ms": GOAL_P99_MS, "rate_per_s": 200.0},
        "stores": {},
        "skipped": {},
    }
    print(
        f"kefu server benchmark 服务压测: {args.rate:g} contacts/s for {args.seconds:g} s, "
        f"{args.queues} queues, mean handle {args.handle_s:g} s"
    )
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        folder = Path(tmp)
        for kind in kinds:
            store = sqlite_store(folder) if kind == "sqlite" else postgres_store(args.postgres_url)
            if isinstance(store, str):
                print(f"  {kind}: skipped 跳过 — {store}")
                record["skipped"][kind] = store
                continue
            result = run_store(store, args, folder)
            record["stores"][kind] = result
            show(kind, result)
        if args.diagnose:
            # The same SQLite run with a wallboard whose "today" began minutes ago: the
            # snapshot's cost grows with the day's 5-minute intervals.
            zone = zone_just_after_midnight()
            kind = f"sqlite_day_just_begun ({zone})"
            result = run_store(sqlite_store(folder / "fresh"), args, folder, zone)
            record["stores"]["sqlite_day_just_begun"] = {**result, "timezone": zone}
            show(kind, result)
    stores = record["stores"]
    record["ratios"] = {}
    for name, over, under in (
        ("postgres_over_sqlite", "postgres", "sqlite"),
        ("sqlite_over_day_just_begun", "sqlite", "sqlite_day_just_begun"),
    ):
        if over in stores and under in stores:
            record["ratios"][name] = ratios(stores[over], stores[under])
            print(f"  {name}:", ", ".join(f"{k} {v}" for k, v in record["ratios"][name].items()))
    record["goal_met"] = {
        kind: {
            key: r[key]["p99"] is not None and r[key]["p99"] < GOAL_P99_MS
            for key in ("create_to_queued_ms", "create_to_wallboard_ms")
        }
        for kind, r in stores.items()
    }
    print(f"  goal p99 < {GOAL_P99_MS:g} ms 目标: {record['goal_met']}")
    if not args.no_write and stores:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = f"server-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        (RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        print(f"  record 记录: bench/results/{name}")
    return record


if __name__ == "__main__":
    main()
