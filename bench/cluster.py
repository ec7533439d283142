"""Cluster benchmark: kefu past one process, as separate processes on loopback
(``kefu serve --role router|web``) on PostgreSQL and NATS JetStream.

1. **Throughput and latency through web nodes**: one router node and 1, then 2 web nodes
   (``--web 1 2``); contacts are created through the web nodes' API for ``--seconds``,
   first by ``--workers`` clients each sending its next create once the last was
   answered (closed loop: what the cluster takes), then at ``--rate`` per second (open
   loop, round robin over the nodes: the issue's goal is p99 < 100 ms at 400/s with 2 web
   nodes). Each request's time from sending to its ``201`` is its create→queued latency
   (the router answers once the contact is queued and stored). Figures: contacts
   acknowledged per second, errors, p50/p99/max latency.
2. **Failover**: two router nodes (leader and standby) and a web node under a steady load
   of ``--failover-rate`` contacts per second; the leader is killed with ``kill -9``.
   Figures: seconds from the kill to the standby's ``/readyz`` 200 (printed as
   ``failover N s``) and to the first contact acknowledged after the kill, and whether
   every acknowledged contact is stored once.
   The same loads run first against one ``kefu serve`` (``--role all``) on the same
   store: the peer each cluster figure is divided by.
3. **Replay**: a standby's start from the newest snapshot plus the log's tail against a
   replay of the whole log (:mod:`replay`, on PostgreSQL, ``--events`` events).

The load generator runs in this process, on the same cores as the nodes: on a shared
machine the figures say what this machine did under its load (recorded with them), not
what the nodes can do alone.

Run: ``PYTHONPATH=src .venv/bin/python bench/cluster.py`` (PostgreSQL at ``--url``, NATS
at ``--nats``). Writes ``bench/results/cluster-<date>.json`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import replay
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.bootstrap import routing_engine
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.model import Channel, QueueSpec
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.testing import ManualClock

SECRET = "bench-cluster-only-0123456789abcdef-0123456789"
KEFU = [sys.executable, "-c", "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"]
START_S = 180.0
"""Seconds a node may take to start on a loaded machine."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Node:
    """``kefu serve --role <role>`` as a child process on a free loopback port."""

    def __init__(self, role: str, name: str, env: dict[str, str], logs: Path) -> None:
        self.role, self.name, self.port = role, name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "KEFU_NODE_NAME": name}
        self.log = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *KEFU,
                    "serve",
                    "--role",
                    self.role,
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def probe(self, path: str) -> bool:
        try:
            return httpx.get(self.base + path, timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    def wait(self, path: str, timeout_s: float = START_S) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-2000:]}")
            if self.probe(path):
                return time.monotonic() - started
            time.sleep(0.02)
        raise RuntimeError(f"{self.name}: no 200 on {path} in {timeout_s} s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Cluster:
    """A fresh schema, seeded (a site, a voice queue, a supervisor's token), and nodes."""

    def __init__(self, url: str, nats: str, logs: Path) -> None:
        self.url, self.logs = url, logs
        self.schema = f"kefu_bench_cluster_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.domain = f"bench{uuid.uuid4().hex[:8]}"
        self.nats = nats
        self.nodes: list[Node] = []
        self.headers: dict[str, str] = {}

    async def create(self) -> None:
        with create_engine(self.url).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        database = make_engine(self.url, schema=self.schema)
        upgrade(database)
        uow_factory = SqlUnitOfWorkFactory(database)
        engine = routing_engine(uow_factory, ManualClock(time.time()))
        await engine.start()
        await engine.execute(c.CreateSite("sh", "上海"))
        await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        await engine.stop()
        settings = Settings(env="test", secret_key=SECRET, password_time_cost=1)
        security = security_from_settings(settings, uow_factory, ManualClock(time.time()))
        security.users.create(username="sup", password="a long password", role="supervisor",
                              sites=["sh"])  # fmt: skip
        _, token = security.credentials.issue_token("sup", [Scope.READ, Scope.CONTACTS_WRITE])
        database.dispose()
        self.headers = {"Authorization": f"Bearer {token}"}

    def node(self, role: str, name: str) -> Node:
        env = {
            **os.environ,
            "KEFU_ENV": "test",
            "KEFU_SECRET_KEY": SECRET,
            "KEFU_DATABASE_URL": self.url,
            "KEFU_DATABASE_SCHEMA": self.schema,
            "KEFU_ROUTING_DOMAIN": self.domain,
            "KEFU_NATS_URL": self.nats,
            "KEFU_PASSWORD_TIME_COST": "1",
        }
        node = Node(role, name, env, self.logs)
        self.nodes.append(node)
        return node

    def queued(self) -> list[str]:
        database = make_engine(self.url, schema=self.schema)
        with SqlUnitOfWorkFactory(database)() as uow:
            stored = list(uow.events.read())
        database.dispose()
        return [s.event.contact_id for s in stored if isinstance(s.event, ev.ContactQueued)]

    async def close(self) -> None:
        for node in self.nodes:
            node.stop()
        with create_engine(self.url).begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        import nats

        client = await nats.connect(self.nats)
        try:
            from kefu.adapters.cluster.bus import stream_name

            await client.jetstream().delete_stream(stream_name(self.domain))
        except Exception:  # never created
            pass
        await client.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def drive(
    webs: list[Node], headers: dict[str, str], rate: float, seconds: float, retry: bool = False
) -> dict[str, Any]:
    """Open-loop creates at ``rate`` per second for ``seconds`` over ``webs``; with
    ``retry`` each is sent again with its key until acknowledged (a failover)."""
    clients = [httpx.AsyncClient(base_url=w.base, timeout=30.0) for w in webs]
    latencies: list[float] = []
    acked: list[tuple[str, float]] = []
    errors = 0

    async def one(n: int) -> None:
        nonlocal errors
        client = clients[n % len(clients)]
        key = f"bench-{n}"
        sent = time.perf_counter()
        while True:
            try:
                answer = await client.post(
                    "/api/v1/contacts",
                    json={"queue_id": "voice", "attributes": {"客户": key}},
                    headers={**headers, "Idempotency-Key": key},
                )
                if answer.status_code == 201:
                    latencies.append(time.perf_counter() - sent)
                    acked.append((answer.json()["contact_id"], time.monotonic()))
                    return
            except httpx.TransportError:
                pass
            errors += 1
            if not retry:
                return
            await asyncio.sleep(0.05)

    tasks = []
    began = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        delay = began + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - began
    for client in clients:
        await client.aclose()
    return {
        "offered_per_s": rate,
        "sent": total,
        "acknowledged": len(latencies),
        "errors": errors,
        "wall_s": round(wall, 2),
        "contacts_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {
            "p50": round(1000 * percentile(latencies, 0.50), 1),
            "p99": round(1000 * percentile(latencies, 0.99), 1),
            "max": round(1000 * max(latencies, default=float("nan")), 1),
        },
        "acked": acked,
    }


async def saturate(
    webs: list[Node], headers: dict[str, str], workers: int, seconds: float
) -> dict[str, Any]:
    """Closed loop: ``workers`` clients, each spread over ``webs`` and sending its next
    create as soon as the last was answered, for ``seconds``: the contacts the cluster
    takes per second at that concurrency, and their latency."""
    limits = httpx.Limits(max_connections=workers)
    clients = [httpx.AsyncClient(base_url=w.base, timeout=30.0, limits=limits) for w in webs]
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()
    stop = began + seconds

    async def worker(w: int) -> None:
        nonlocal errors
        client = clients[w % len(clients)]
        n = 0
        while time.perf_counter() < stop:
            n += 1
            key = f"sat-{w}-{n}"
            sent = time.perf_counter()
            try:
                answer = await client.post(
                    "/api/v1/contacts",
                    json={"queue_id": "voice", "attributes": {"客户": key}},
                    headers={**headers, "Idempotency-Key": key},
                )
            except httpx.TransportError:
                errors += 1
                continue
            if answer.status_code == 201:
                latencies.append(time.perf_counter() - sent)
            else:
                errors += 1

    await asyncio.gather(*(worker(w) for w in range(workers)))
    wall = time.perf_counter() - began
    for client in clients:
        await client.aclose()
    return {
        "workers": workers,
        "acknowledged": len(latencies),
        "errors": errors,
        "wall_s": round(wall, 2),
        "contacts_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {
            "p50": round(1000 * percentile(latencies, 0.50), 1),
            "p99": round(1000 * percentile(latencies, 0.99), 1),
            "max": round(1000 * max(latencies, default=float("nan")), 1),
        },
    }


async def throughput(args: argparse.Namespace, webs: int, logs: Path) -> dict[str, Any]:
    """``webs`` web nodes in front of one router; 0: the single process (``--role all``)
    on the same store, the peer the cluster is compared with."""
    cluster = Cluster(args.url, args.nats, logs)
    await cluster.create()
    try:
        if webs == 0:
            nodes = [cluster.node("all", "single")]
        else:
            nodes = [cluster.node("router", "r1")]
            nodes += [cluster.node("web", f"w{i + 1}") for i in range(webs)]
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait("/readyz")
        if webs > 0:
            nodes = nodes[1:]  # the load goes to the web nodes
        await saturate(nodes, cluster.headers, 4, 1.0)  # warm up
        figures = await saturate(nodes, cluster.headers, args.workers, args.seconds)
        steady = await drive(nodes, cluster.headers, args.rate, args.seconds)
        steady.pop("acked")
        return {"web_nodes": webs, "closed_loop": figures, "open_loop": steady}
    finally:
        await cluster.close()


async def failover(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    cluster = Cluster(args.url, args.nats, logs)
    await cluster.create()
    try:
        r1, r2 = cluster.node("router", "r1"), cluster.node("router", "r2")
        web = cluster.node("web", "w1")
        for node in (r1, r2, web):
            node.start()
        for node in (r1, r2):
            node.wait("/healthz")
        web.wait("/readyz")
        deadline = time.monotonic() + START_S
        while not (r1.probe("/readyz") or r2.probe("/readyz")) and time.monotonic() < deadline:
            time.sleep(0.05)
        leader, standby = (r1, r2) if r1.probe("/readyz") else (r2, r1)
        load = asyncio.create_task(
            drive([web], cluster.headers, args.failover_rate, args.failover_seconds, retry=True)
        )
        await asyncio.sleep(args.failover_seconds / 3)
        killed = time.monotonic()
        leader.kill()
        ready_s = await asyncio.to_thread(standby.wait, "/readyz", 120.0)
        figures = await load
        after = [t for _cid, t in figures.pop("acked") if t > killed]
        queued = cluster.queued()
        return {
            "failover_s": round(ready_s, 2),
            "first_ack_after_kill_s": round(min(after) - killed, 2) if after else None,
            "load": figures,
            "stored_once": len(queued) == len(set(queued)) == figures["acknowledged"],
        }
    finally:
        await cluster.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    logs = Path(args.logs or tempfile.mkdtemp(prefix="kefu-bench-cluster-"))
    logs.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    result: dict[str, Any] = {
        "bench": "cluster",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_1m_before": round(load_before, 2),
        },
        "topology": "separate processes on loopback; load generator in the bench process",
        "throughput": [],
    }
    single: dict[str, Any] | None = None
    for webs in [0, *args.web]:
        figures = await throughput(args, webs, logs)
        result["throughput"].append(figures)
        closed, steady = figures["closed_loop"], figures["open_loop"]
        if single is None:
            single = closed
        else:
            figures["ratio_to_single_contacts_per_s"] = round(
                closed["contacts_per_s"] / max(single["contacts_per_s"], 0.1), 2
            )
        label = f"{webs} web node(s)" if webs else "single process (--role all)"
        print(
            f"{label}: {closed['contacts_per_s']} contacts/s with "
            f"{closed['workers']} clients (p99 {closed['latency_ms']['p99']} ms); "
            f"{steady['contacts_per_s']} of {steady['offered_per_s']} offered per s "
            f"(p99 {steady['latency_ms']['p99']} ms)",
            flush=True,
        )
    result["failover"] = await failover(args, logs)
    print(f"failover {result['failover']['failover_s']} s", flush=True)
    replay_args = argparse.Namespace(
        events=args.events, tail=args.tail, agents=200, retain=3_600.0, seed=18, url=args.url
    )
    replayed = await replay.run(replay_args)
    result["replay"] = {
        "events": replayed["events"],
        "tail_events": replayed["tail_events"],
        "snapshot_plus_tail_wall_s": replayed["start_from_snapshot"]["wall_s"],
        "full_log_wall_s": replayed["start_full_replay"]["wall_s"],
        "ratio_full_over_snapshot": replayed["ratio_full_over_snapshot_wall"],
    }
    print(
        f"replay {replayed['events']} events: snapshot + tail "
        f"{result['replay']['snapshot_plus_tail_wall_s']} s, full log "
        f"{result['replay']['full_log_wall_s']} s",
        flush=True,
    )
    result["machine"]["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--web", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=16, help="closed-loop clients")
    parser.add_argument("--rate", type=float, default=400.0, help="open loop: offered per s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--failover-rate", type=float, default=20.0)
    parser.add_argument("--failover-seconds", type=float, default=12.0)
    parser.add_argument("--events", type=int, default=100_000, help="replay: events logged")
    parser.add_argument("--tail", type=int, default=10_000)
    parser.add_argument("--logs", default=None, help="nodes' logs (default: a temp dir)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if not args.no_write:
        name = f"cluster-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out = Path(__file__).parent / "results" / name
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"  record 记录: bench/results/{name}")


if __name__ == "__main__":
    main()
