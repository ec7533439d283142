"""The server's work per contact, counted: Python function calls and CPU milliseconds of
one contact's create, accept and complete, sent one after the other in process through
the ASGI app (no socket, no uvicorn, no wallboard) on SQLite, for one or more source trees.

Calls are counted with a profile hook (all threads), so the figure does not depend on how
busy the machine is: on a shared machine it compares two versions of the code where
latencies and CPU seconds cannot. The CPU time is measured in a separate pass without the
hook; the two trees' passes are interleaved.

Run: ``PYTHONPATH=src python bench/server_calls.py --tree <base>/src --tree src``.
The record goes to bench/results/server-calls-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
KEFU = "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"
SITE = "bench"


def commit_of(tree: str) -> str:
    """The short commit of a source tree, with "+changes" when its files differ from it."""

    def git(*words: str) -> str:
        done = subprocess.run(["git", "-C", tree, *words], capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", ".")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


# -- one tree, in a child process -------------------------------------------------------
PACKAGES = ("kefu", "fastapi", "starlette", "pydantic", "sqlalchemy", "httpx", "asyncio")


class CallCounter:
    """Counts Python function calls in every thread while installed, per package (by the
    called function's file), and the SQL statements sent."""

    def __init__(self) -> None:
        self.calls = 0
        self.by_file: dict[str, int] = {}
        self.statements = 0

    def hook(self, frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            self.calls += 1
            name = frame.f_code.co_filename
            self.by_file[name] = self.by_file.get(name, 0) + 1

    def by_package(self) -> dict[str, int]:
        out = dict.fromkeys((*PACKAGES, "other"), 0)
        for name, n in self.by_file.items():
            parts = Path(name).parts
            package = next((p for p in PACKAGES if p in parts), "other")
            out[package] += n
        return out

    def statement(self, *_args: Any) -> None:
        self.statements += 1

    def __enter__(self) -> CallCounter:
        from sqlalchemy import Engine, event

        event.listen(Engine, "before_cursor_execute", self.statement)
        threading.setprofile(self.hook)
        sys.setprofile(self.hook)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import Engine, event

        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        event.remove(Engine, "before_cursor_execute", self.statement)


async def contacts(client: Any, queues: list[str], first: int, n: int) -> None:
    """Create, accept and complete ``n`` contacts one after the other."""
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


async def child(token: str, n: int, queues_n: int) -> dict[str, Any]:
    import httpx

    from kefu.bootstrap import build_live
    from kefu.cli.serve_cmd import load_settings, tune_runtime

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
        await contacts(c, queues, 0, n // 2)  # warm-up
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await contacts(c, queues, n, n)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        with CallCounter() as counter:
            await contacts(c, queues, 2 * n, n)
    return {
        "calls_per_contact": round(counter.calls / n),
        "sql_statements_per_contact": round(counter.statements / n, 2),
        **{f"calls_{k}": round(v / n) for k, v in counter.by_package().items()},
        "cpu_ms_per_contact": round(1000 * cpu / n, 3),
        "wall_ms_per_contact": round(1000 * wall / n, 3),
    }


def run_tree(tree: str, n: int, queues: int) -> dict[str, Any]:
    """A fresh SQLite database, migrated, with an admin token; the child's figures."""
    with tempfile.TemporaryDirectory(prefix="kefu-calls-") as folder:
        env = {
            **os.environ,
            "PYTHONPATH": tree,
            "KEFU_ENV": "test",
            "KEFU_SECRET_KEY": uuid.uuid4().hex * 2,
            "KEFU_DB_PATH": str(Path(folder) / "calls.sqlite3"),
        }

        def kefu(*words: str) -> str:
            done = subprocess.run(
                [sys.executable, "-c", KEFU, *words], env=env, capture_output=True, text=True
            )
            if done.returncode:
                raise SystemExit(f"kefu {' '.join(words)}: {done.stderr}")
            return done.stdout

        kefu("db", "upgrade")
        kefu("users", "create", "bench-admin", "--role", "admin", "--generate")
        rights = ("read", "contacts:write", "agents:write", "admin")
        scopes = [word for right in rights for word in ("--scope", right)]
        token = json.loads(kefu("users", "token", "bench-admin", *scopes, "--json"))["token"]
        done = subprocess.run(
            [sys.executable, __file__, "--child", token, "-n", str(n), "--queues", str(queues)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"{tree}: {done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", help="a source folder (repeat)")
    parser.add_argument("-n", type=int, default=400, help="contacts per measured pass")
    parser.add_argument("--queues", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.n, args.queues))))
        return
    trees = [str(Path(t).resolve()) for t in args.tree or [str(ROOT / "src")]]
    runs: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
    for round_no in range(args.rounds):
        for tree in trees:
            runs[tree].append(run_tree(tree, args.n, args.queues))
            print(f"round {round_no + 1} {commit_of(tree)}: {runs[tree][-1]}", flush=True)
    medians = {
        commit_of(t): {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        for t, rs in runs.items()
    }
    record = {
        "benchmark": "server-calls",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "load_average_at_end": Path("/proc/loadavg").read_text().split()[:3],
        "settings": {"n": args.n, "queues": args.queues, "rounds": args.rounds},
        "medians": medians,
        "runs": {commit_of(t): rs for t, rs in runs.items()},
    }
    names = list(medians)
    if len(names) == 2:
        a, b = medians[names[0]], medians[names[1]]
        record["ratios_second_over_first"] = {k: round(b[k] / a[k], 3) for k in a if a[k]}
    print(json.dumps({k: record[k] for k in record if k != "runs"}, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"server-calls-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    (RESULTS / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"record: bench/results/{name}")


if __name__ == "__main__":
    main()
