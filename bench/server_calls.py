"""The server's work per contact, counted: Python function calls and CPU milliseconds of
one contact's create, accept and complete, sent one after the other in process through
the ASGI app (no socket, no uvicorn, no wallboard) on SQLite or PostgreSQL (``--store``),
for one or more source trees.

Calls are counted with a profile hook (all threads; those of the store writer's thread
apart), with the SQL statements and transactions (on PostgreSQL each statement, BEGIN and
COMMIT is a round trip the writer's batch waits for), so the figures do not depend on how
busy the machine is: on a shared machine it compares two versions of the code where
latencies and CPU seconds cannot. The CPU time is measured in a separate pass without the
hook; the two trees' passes are interleaved.

Run: ``PYTHONPATH=src python bench/server_calls.py --base a7416b7`` (the base commit
checked out in a temporary worktree, against this tree's ``src``; about 3 minutes idle),
or ``--tree A/src --tree B/src [--tree C/src]``. Each timed pass and the counting pass
run in fresh processes on fresh databases, interleaved; the record (medians with their
spread, ratios last/first, the functions whose calls differ most, statements by kind)
goes to bench/results/server-calls-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ab_trees import DEFAULT_BASE, checked_out, commit_of, load_1m, ratio, spread

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
KEFU = "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"
SITE = "bench"
WRITER_THREAD = "kefu-writer"
"""The name the store writer gives its thread: the calls counted there hold the GIL while
the event loop waits to serve requests."""


# -- one tree, in a child process -------------------------------------------------------
PACKAGES = ("kefu", "fastapi", "starlette", "pydantic", "sqlalchemy", "httpx", "asyncio")


class CallCounter:
    """Counts Python function calls in every thread while ``on``, per package (by the
    called function's file) and per function, and the SQL statements sent.

    Installed before the app starts (``install``), so the threads made later (the store
    writer, the loop's worker pool) carry the hook too; it counts only while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.calls = 0
        self.by_function: dict[tuple[str, str], int] = {}
        self.statements = 0
        self.by_statement: dict[str, int] = {}
        self.transactions = 0
        self.writer_calls = 0
        self._writer_threads: dict[int, bool] = {}

    def hook(self, frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and self.on:
            self.calls += 1
            code = frame.f_code
            key = (code.co_filename, code.co_qualname)
            self.by_function[key] = self.by_function.get(key, 0) + 1
            ident = threading.get_ident()
            writer = self._writer_threads.get(ident)
            if writer is None:
                name = threading.current_thread().name
                writer = self._writer_threads[ident] = name.startswith(WRITER_THREAD)
            if writer:
                self.writer_calls += 1

    def by_package(self) -> dict[str, int]:
        out = dict.fromkeys((*PACKAGES, "other"), 0)
        for (name, _fn), n in self.by_function.items():
            parts = Path(name).parts
            package = next((p for p in PACKAGES if p in parts), "other")
            out[package] += n
        return out

    def top(self, n: int, per: int) -> dict[str, float]:
        """Calls per contact of each function (``file:qualified name``, the file from its
        package folder on): the ``n`` most called, and every one of kefu's called at least
        once in ten contacts."""
        counts: dict[str, float] = {}
        for (name, fn), calls in self.by_function.items():
            parts = Path(name).parts
            start = next((i for i, p in enumerate(parts) if p in PACKAGES), len(parts) - 1)
            key = f"{'/'.join(parts[start:])}:{fn}"
            counts[key] = counts.get(key, 0.0) + calls / per
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        best = ranked[:n] + [kv for kv in ranked[n:] if kv[0].startswith("kefu/") and kv[1] >= 0.1]
        return {k: round(v, 2) for k, v in best}

    def statement(self, _connection: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.on:
            self.statements += 1
            head = " ".join(sql.split()[:4])[:STATEMENT_HEAD]
            self.by_statement[head] = self.by_statement.get(head, 0) + 1

    def began(self, connection: Any) -> None:
        # A read without a transaction (autocommit) sends no BEGIN and no ROLLBACK.
        autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        if self.on and not autocommit:
            self.transactions += 1

    def statement_kinds(self, per: int) -> dict[str, float]:
        """Statements per contact by the start of their SQL."""
        ranked = sorted(self.by_statement.items(), key=lambda kv: -kv[1])
        return {k: round(v / per, 2) for k, v in ranked}

    def install(self) -> None:
        from sqlalchemy import Engine, event

        event.listen(Engine, "before_cursor_execute", self.statement)
        event.listen(Engine, "begin", self.began)
        threading.setprofile(self.hook)
        sys.setprofile(self.hook)


async def contacts(client: Any, queues: list[str], first: int, n: int, flows: int = 1) -> None:
    """Create, accept and complete ``n`` contacts one after the other, in each of ``flows``
    concurrent flows (more than one: the store writer's batches hold several commands, as
    under load)."""
    if flows > 1:
        share = n // flows
        await asyncio.gather(
            *(contacts(client, queues, first + k * share, share) for k in range(flows))
        )
        return
    for i in range(first, first + n):
        queue = queues[i % len(queues)]
        body = {"queue_id": queue, "customer_id": f"c{i}", "attributes": {"customer": "王芳"}}
        made = await client.post(
            "/api/v1/contacts", json=body, headers={"Idempotency-Key": f"k-{i}"}
        )
        assert made.status_code == 201, made.text
        view = made.json()
        url = f"/api/v1/contacts/{view['contact_id']}"
        offer = {"offer_id": view["offer_id"], "agent_id": view["agent_id"]}
        assert (await client.post(f"{url}/accept", json=offer)).status_code == 200
        done = await client.post(f"{url}/complete", json={"disposition": "resolved"})
        assert done.status_code == 200, done.text


async def child(token: str, n: int, queues_n: int, count: bool, flows: int = 1) -> dict[str, Any]:
    """One pass of ``n`` contacts after a warm-up: with ``count``, the calls and
    statements counted in every thread; without, CPU and wall time (no hook installed)."""
    import httpx

    from kefu.bootstrap import build_live
    from kefu.cli.serve_cmd import load_settings

    try:
        from kefu.cli.runtime import tune_runtime
    except ImportError:  # a tree from before it had a module of its own
        from kefu.cli.serve_cmd import tune_runtime  # type: ignore[attr-defined]

    counter = CallCounter()
    if count:
        counter.install()
    platform = build_live(load_settings(), on_startup=(tune_runtime,))
    app = platform.app
    queues = [f"q{i}" for i in range(queues_n)]
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as c,
    ):
        assert (await c.post("/api/v1/sites", json={"site_id": SITE, "name": "压测"})).is_success
        for q in queues:
            body = {"queue_id": q, "site_id": SITE, "channel": "chat", "skills": {q: 1}}
            assert (await c.post("/api/v1/queues", json=body)).is_success
            agent = {"agent_id": f"a-{q}", "site_id": SITE, "skills": {q: 1}}
            agent["capacity"] = {"chat": 100}
            assert (await c.post("/api/v1/agents", json=agent)).is_success
            state = {"presence": "ready"}
            assert (await c.post(f"/api/v1/agents/a-{q}/state", json=state)).is_success
        await contacts(c, queues, 0, n // 2, flows)  # warm-up
        if count:
            counter.on = True
            await contacts(c, queues, n, n, flows)
            counter.on = False
            sys.setprofile(None)
            return {
                "calls_per_contact": round(counter.calls / n),
                "sql_statements_per_contact": round(counter.statements / n, 2),
                # A transaction adds its BEGIN and COMMIT (or ROLLBACK) to its statements:
                # on PostgreSQL each is a round trip to the server.
                "transactions_per_contact": round(counter.transactions / n, 2),
                "store_round_trips_per_contact": round(
                    (counter.statements + 2 * counter.transactions) / n, 2
                ),
                "writer_thread_calls_per_contact": round(counter.writer_calls / n),
                **{f"calls_{k}": round(v / n) for k, v in counter.by_package().items()},
                "statements": counter.statement_kinds(n),
                "top_functions": counter.top(TOP, n),
            }
        pauses = GcPauses()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with pauses:
            await contacts(c, queues, n, n, flows)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "cpu_ms_per_contact": round(1000 * cpu / n, 3),
        "wall_ms_per_contact": round(1000 * wall / n, 3),
        **pauses.figures(n),
    }


class GcPauses:
    """The garbage collector's collections while entered: how many per contact and the
    CPU milliseconds of the longest (the thread's CPU time, which a busy machine disturbs
    less than the wall clock), per generation."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.count = [0, 0, 0]
        self.longest_ms = [0.0, 0.0, 0.0]
        self.total_ms = [0.0, 0.0, 0.0]

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.thread_time()
        elif self.started is not None:
            ms = 1000 * (time.thread_time() - self.started)
            g = info["generation"]
            self.count[g] += 1
            self.total_ms[g] += ms
            self.longest_ms[g] = max(self.longest_ms[g], ms)
            self.started = None

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self.callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self.callback)

    def figures(self, n: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for g in range(3):
            out[f"gc{g}_per_contact"] = round(self.count[g] / n, 3)
            out[f"gc{g}_ms_per_contact"] = round(self.total_ms[g] / n, 4)
            out[f"gc{g}_longest_ms"] = round(self.longest_ms[g], 3)
        return out


TOP = 100
STATEMENT_HEAD = 48
DETAILS = ("top_functions", "statements")
"""Functions listed per tree, by calls per contact (their differences are printed)."""


def run_tree(tree: str, args: argparse.Namespace, count: bool) -> dict[str, Any]:
    """A fresh database (SQLite file, or a PostgreSQL schema of its own), migrated, with
    an admin token; the child's figures."""
    with tempfile.TemporaryDirectory(prefix="kefu-calls-") as folder:
        if args.store == "postgres":
            from server import postgres_store

            store = postgres_store(args.postgres_url)
            if isinstance(store, str):
                raise SystemExit(store)
            where, drop = store.env, store.drop
        else:
            where, drop = {"KEFU_DB_PATH": str(Path(folder) / "calls.sqlite3")}, None
        env = {
            **os.environ,
            "PYTHONPATH": tree,
            "KEFU_ENV": "test",
            "KEFU_SECRET_KEY": uuid.uuid4().hex * 2,
            **where,
        }

        def kefu(*words: str) -> str:
            done = subprocess.run(
                [sys.executable, "-c", KEFU, *words], env=env, capture_output=True, text=True
            )
            if done.returncode:
                raise SystemExit(f"kefu {' '.join(words)}: {done.stderr}")
            return done.stdout

        try:
            kefu("db", "upgrade")
            kefu("users", "create", "bench-admin", "--role", "admin", "--generate")
            rights = ("read", "contacts:write", "agents:write", "admin")
            scopes = [word for right in rights for word in ("--scope", right)]
            token = json.loads(kefu("users", "token", "bench-admin", *scopes, "--json"))["token"]
            command = [sys.executable, __file__, "--child", token, "-n", str(args.n)]
            command += ["--queues", str(args.queues), "--flows", str(args.flows)]
            command += ["--count"] if count else []
            done = subprocess.run(command, env=env, capture_output=True, text=True)
        finally:
            if drop is not None:
                drop()
        if done.returncode:
            raise SystemExit(f"{tree}: {done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def function_diff(a: dict[str, float], b: dict[str, float], n: int) -> dict[str, float]:
    """The ``n`` functions whose calls per contact differ most between two trees (B − A);
    a function listed in one tree's top only counts as 0 in the other."""
    diffs = [(k, round(b.get(k, 0.0) - a.get(k, 0.0), 2)) for k in set(a) | set(b)]
    return dict(sorted((d for d in diffs if d[1]), key=lambda kv: -abs(kv[1]))[:n])


def summary(counted: list[dict[str, Any]], timed: list[dict[str, Any]]) -> dict[str, Any]:
    """One tree's medians: counts (with their spread) and CPU and wall times."""
    out: dict[str, Any] = {}
    for key in counted[0] if counted else ():
        if key not in DETAILS:
            out[key] = spread([r[key] for r in counted])
    for key in timed[0] if timed else ("cpu_ms_per_contact", "wall_ms_per_contact"):
        out[key] = spread([r[key] for r in timed])
    if counted:
        out["statements"] = counted[0]["statements"]
    return out


def measure(trees: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Counting and timing passes of every tree, interleaved (the order alternates each
    round); the record."""
    labels = {t: commit_of(t) for t in trees}
    if len(set(labels.values())) < len(trees):
        labels = {t: f"{i}:{labels[t]}" for i, t in enumerate(trees)}
    counts: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
    cpus: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
    loads: list[float] = []
    for round_no in range(max(args.rounds, args.count_rounds)):
        for tree in trees if round_no % 2 == 0 else trees[::-1]:
            loads.append(load_1m())
            if round_no < args.count_rounds:
                counts[tree].append(run_tree(tree, args, count=True))
                got = {k: v for k, v in counts[tree][-1].items() if k not in DETAILS}
                print(f"round {round_no + 1} {labels[tree]} counted: {got}", flush=True)
            if round_no < args.rounds:
                cpus[tree].append(run_tree(tree, args, count=False))
                print(f"round {round_no + 1} {labels[tree]} timed: {cpus[tree][-1]}", flush=True)
    medians = {labels[t]: summary(counts[t], cpus[t]) for t in trees}
    record: dict[str, Any] = {
        "benchmark": "server-calls",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_1m_at_each_run": loads,
        "settings": {
            k: getattr(args, k) for k in ("store", "n", "queues", "flows", "rounds", "count_rounds")
        },
        "medians": medians,
        "runs": {labels[t]: {"counted": counts[t], "timed": cpus[t]} for t in trees},
    }
    first, last = medians[labels[trees[0]]], medians[labels[trees[-1]]]
    record["ratios_last_over_first"] = {
        key: ratio(last[key]["median"], first[key]["median"])
        for key in first
        if key != "statements" and key in last
    }
    if counts[trees[0]] and counts[trees[-1]]:
        tops = [counts[t][0]["top_functions"] for t in (trees[0], trees[-1])]
        record["top_function_differences"] = function_diff(*tops, 25)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="commit to compare (checked out)")
    parser.add_argument("--tree", action="append", help="a source folder instead (repeat)")
    parser.add_argument("-n", type=int, default=300, help="contacts per measured pass")
    parser.add_argument("--queues", type=int, default=10)
    parser.add_argument(
        "--flows", type=int, default=1, help="contacts sent concurrently (batches grow)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed passes per tree")
    parser.add_argument("--count-rounds", type=int, default=1, help="counting passes per tree")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KEFU_TEST_POSTGRES_URL"),
        help="default: database test on 127.0.0.1:5432",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--count", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(asyncio.run(child(args.child, args.n, args.queues, args.count, args.flows)))
        )
        return
    if args.tree:
        record = measure([str(Path(t).resolve()) for t in args.tree], args)
    else:
        with checked_out(args.base) as base:
            record = measure([base, str(ROOT / "src")], args)
    print(json.dumps({k: record[k] for k in record if k != "runs"}, indent=1, ensure_ascii=False))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"server-calls-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"record: bench/results/{name}")


def machine() -> dict[str, Any]:
    """CPU model, cores, platform and Python of this machine."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    main()
