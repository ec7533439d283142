"""Cluster benchmark: kefu past one process, as separate processes on loopback
(``kefu serve --role router|web``) on PostgreSQL and NATS JetStream.

1. **Throughput and latency through web nodes**: one router node and 1, 2 then 4 web
   nodes (``--web 1 2 4``); contacts are created through the web nodes' API for
   ``--seconds``, first by ``--workers`` clients each sending its next create once the
   last was answered (closed loop: what the cluster takes), then at ``--rate`` per second
   (open loop, round robin over the nodes: the issue's goal is p99 < 100 ms at 400/s with
   2 web nodes). Each request's time from sending to its ``201`` is its create→queued
   latency (the router answers once the contact is queued and stored). Figures: contacts
   acknowledged per second, errors, p50/p99/max latency, the cores each process used
   (and the whole machine, other work included); a table of how they scale.
   Then ``--sockets`` wallboards (5,000) are opened across the web nodes by a child
   process (:mod:`cluster_sockets`) and held open while the open loop runs again: how
   many connected, handshake and first-frame times, frames per client, each contact's
   delivery lag to every wallboard (p50/p99), the web nodes' memory and open files.
   Wallboards because every committed change goes to every open one (a desktop or a chat
   socket gets only its own agent's or customer's): the most a web node pushes per
   socket. This process raises its RLIMIT_NOFILE to ``--sockets`` + 1024 and the nodes
   inherit it: a web node needs one file per socket it holds plus about 20 (store pool,
   NATS, listening socket, logs).
2. **Failover**: two router nodes (leader and standby) and a web node under a steady load
   of ``--failover-rate`` contacts per second; the leader is killed with ``kill -9``.
   Figures: seconds from the kill to the standby's ``/readyz`` 200 (printed as
   ``failover N s``) and to the first contact acknowledged after the kill, and whether
   every acknowledged contact is stored once. Run twice: on an empty log, then with a
   log of ``--failover-events`` events (1 million: the issue's goal is a failover within
   5 s) generated straight into PostgreSQL, and a snapshot after it.
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
from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster_sockets
import replay
from cluster_load import drive, saturate
from cluster_usage import Usage, open_files, rss_mb
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
from kefu.adapters.storage.snapshots import SqlSnapshots
from kefu.bootstrap import routing_engine
from kefu.config import Settings
from kefu.domain import events as ev
from kefu.domain.model import Channel, QueueSpec
from kefu.service.ports import StoredEvent
from kefu.service.report_projection import ReportProjection
from kefu.service.routing import commands as c
from kefu.service.security import Scope, security_from_settings
from kefu.service.snapshots import (
    REPORTS,
    Snapshot,
    SnapshotPolicy,
    Snapshotter,
    dump_router,
    fingerprint,
    with_parts,
)
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


def seed_log(database: Engine, uow_factory: SqlUnitOfWorkFactory, events: int) -> dict[str, Any]:
    """A log of about ``events`` events of :func:`replay.traffic` (200 agents), copied into
    PostgreSQL, its report projection's rows, and a snapshot after it (finished contacts
    over an hour old forgotten), as a router that ran would have left them: built from
    the generator's own router, not by replaying the log here. Returns the timings."""
    figures: dict[str, Any] = {}
    t0 = time.perf_counter()
    # Ending about now, as a router that ran would have: pages that chart the day (the
    # web node's wallboard) would otherwise walk the years between.
    span_s = events / 6.6  # about 6.6 events per second with 200 agents
    log, router = replay.traffic(events, 200, 18, start=time.time() - span_s)
    figures["generated_events"] = len(log)
    figures["generate_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    replay.seed_rows(uow_factory, 200)
    replay.copy_events(database, log)
    figures["copy_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    reports = ReportProjection()
    reports.load([StoredEvent(seq, event) for seq, event in enumerate(log, 1)], None)
    with uow_factory() as uow:
        reports.write_catch_up(uow)
        uow.commit()
    figures["report_rows_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    router.drain()
    router.forget_finished(log[-1].at - 3_600.0)
    data = with_parts(dump_router(router), {REPORTS: reports.dump()})
    snapshot = Snapshot(len(log), log[-1].at, fingerprint(), data)
    with uow_factory() as uow:
        SqlSnapshots().save(uow, snapshot, keep=2)
        uow.commit()
    figures["snapshot_s"] = round(time.perf_counter() - t0, 1)
    figures["snapshot_bytes"] = len(data)
    figures["contacts_in_snapshot"] = len(router.contacts)
    return figures


class Cluster:
    """A fresh schema, seeded (a site, a voice queue, a supervisor's token; with
    ``events``, a log of that many events and a snapshot after it), and nodes."""

    def __init__(self, url: str, nats: str, logs: Path) -> None:
        self.url, self.logs = url, logs
        self.schema = f"kefu_bench_cluster_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.domain = f"bench{uuid.uuid4().hex[:8]}"
        self.nats = nats
        self.nodes: list[Node] = []
        self.headers: dict[str, str] = {}
        self.seeded_seq = 0
        """The log's last position once seeded (the bench's contacts come after it)."""

    async def create(self, events: int = 0) -> dict[str, Any]:
        """Seed the schema; with ``events``, first a log of that many events of a day's
        traffic (:func:`replay.generate`, stored with the store's own encoding in
        multi-row INSERTs) and a snapshot after it, as a router that ran would have left
        (finished contacts over an hour old forgotten). Returns what the seeding took."""
        with create_engine(self.url).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        database = make_engine(self.url, schema=self.schema)
        upgrade(database)
        uow_factory = SqlUnitOfWorkFactory(database)
        seeded: dict[str, Any] = {"events": events}
        if events:
            seeded.update(seed_log(database, uow_factory, events))
        # From the seeded snapshot: a full replay of a million events takes minutes here.
        keeper = Snapshotter(SqlSnapshots(), SnapshotPolicy(every=0)) if events else None
        engine = routing_engine(uow_factory, ManualClock(time.time()), snapshots=keeper)
        t0 = time.perf_counter()
        await engine.start()
        seeded["seeding_engine_start_s"] = round(time.perf_counter() - t0, 1)
        if not events:  # the seeded log's center has them
            await engine.execute(c.CreateSite("sh", "上海"))
            await engine.execute(c.DefineQueue(QueueSpec("voice", Channel.VOICE), "sh"))
        self.seeded_seq = engine.last_seq
        await engine.stop()
        settings = Settings(env="test", secret_key=SECRET, password_time_cost=1)
        security = security_from_settings(settings, uow_factory, ManualClock(time.time()))
        security.users.create(username="sup", password="a long password", role="supervisor",
                              sites=["sh"])  # fmt: skip
        _, token = security.credentials.issue_token("sup", [Scope.READ, Scope.CONTACTS_WRITE])
        database.dispose()
        self.headers = {"Authorization": f"Bearer {token}"}
        return seeded

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
        return [contact_id for contact_id, _at in self.queued_at()]

    def queued_at(self) -> list[tuple[str, float]]:
        """The contacts queued since the seeding, in log order, and when (``at``, epoch s)."""
        database = make_engine(self.url, schema=self.schema)
        with SqlUnitOfWorkFactory(database)() as uow:
            stored = list(uow.events.read(self.seeded_seq))
        database.dispose()
        return [
            (s.event.contact_id, s.event.at)
            for s in stored
            if isinstance(s.event, ev.ContactQueued)
        ]

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


def pids(nodes: list[Node]) -> dict[str, int]:
    """The running nodes' process ids by name."""
    return {n.name: n.process.pid for n in nodes if n.process is not None}


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
        every = cluster.nodes
        await saturate(nodes, cluster.headers, 4, 1.0)  # warm up
        usage = Usage(pids(every))
        figures = await saturate(nodes, cluster.headers, args.workers, args.seconds)
        figures["cores"] = usage.cores()
        usage = Usage(pids(every))
        steady = await drive(
            nodes, cluster.headers, args.rate, args.seconds, timeout_s=args.timeout
        )
        steady["cores"] = usage.cores()
        steady.pop("acked")
        result = {"web_nodes": webs, "closed_loop": figures, "open_loop": steady}
        if args.sockets:
            result["sockets"] = await with_sockets(args, cluster, nodes)
        return result
    finally:
        await cluster.close()


async def with_sockets(
    args: argparse.Namespace, cluster: Cluster, webs: list[Node]
) -> dict[str, Any]:
    """``--sockets`` wallboards held open across ``webs`` (a child process,
    :mod:`cluster_sockets`) while the open loop runs again: connect times, frames, the
    delivery lag of each contact to every wallboard, the web nodes' memory and CPU."""
    rss = {w.name: {"before": rss_mb(w.process.pid)} for w in webs if w.process}
    token = cluster.headers["Authorization"].split(" ", 1)[1]
    urls = ",".join(f"ws://127.0.0.1:{w.port}/ws/wallboard" for w in webs)
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(cluster_sockets.__file__)),
            "--urls",
            urls,
            "--clients",
            str(args.sockets),
            "--token",
            token,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        connected: dict[str, Any] = json.loads(await asyncio.to_thread(child.stdout.readline))
        files: dict[str, dict[str, int]] = {}
        for w in webs:
            if w.process:
                rss[w.name]["connected"] = rss_mb(w.process.pid)
                files[w.name] = dict(zip(("open", "limit"), open_files(w.process.pid), strict=True))
        await asyncio.sleep(1.0)  # the first frames' burst
        before = len(await asyncio.to_thread(cluster.queued_at))
        usage = Usage({**pids(cluster.nodes), "socket_clients": child.pid})
        child.stdin.write("start\n")
        child.stdin.flush()
        steady = await drive(
            webs, cluster.headers, args.rate, args.seconds, keys="held", timeout_s=args.timeout
        )
        steady["cores"] = usage.cores()
        for w in webs:
            if w.process:
                rss[w.name]["end"] = rss_mb(w.process.pid)
        steady.pop("acked")
        queued = (await asyncio.to_thread(cluster.queued_at))[before:]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as times:
            json.dump([at for _cid, at in queued], times)
        child.stdin.write(f"stop {times.name}\n")
        child.stdin.flush()
        held: dict[str, Any] = json.loads(await asyncio.to_thread(child.stdout.readline))
        os.unlink(times.name)
        return {
            **connected,
            **held,
            "web_rss_mb": rss,
            "web_open_files": files,
            "open_loop": steady,
        }
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


async def failover(args: argparse.Namespace, logs: Path, events: int = 0) -> dict[str, Any]:
    """Kill -9 the leader under load, with a log of ``events`` events before (the
    standby starts from the snapshot after them and the tail). With a log, no web node
    and no load: a web node's wallboard reads the whole log at its start (minutes for a
    million events here), so only the routers' takeover is timed."""
    cluster = Cluster(args.url, args.nats, logs)
    seeded = await cluster.create(events)
    try:
        r1, r2 = cluster.node("router", "r1"), cluster.node("router", "r2")
        web = None if events else cluster.node("web", "w1")
        for node in (r1, r2) if web is None else (r1, r2, web):
            node.start()
        for node in (r1, r2):
            node.wait("/healthz")
        if web is not None:
            web.wait("/readyz")
        deadline = time.monotonic() + START_S
        while not (r1.probe("/readyz") or r2.probe("/readyz")) and time.monotonic() < deadline:
            time.sleep(0.05)
        leader, standby = (r1, r2) if r1.probe("/readyz") else (r2, r1)
        if web is None:
            await asyncio.sleep(2.0)
            leader.kill()
            ready_s = await asyncio.to_thread(standby.wait, "/readyz", 120.0)
            readyz = httpx.get(standby.base + "/readyz", timeout=5.0).json()
            return {
                "log_events": events,
                "seeded": seeded,
                "failover_s": round(ready_s, 2),
                "standby_started_from_snapshot": readyz.get("started_from_snapshot"),
                "standby_replayed_events": readyz.get("replayed_events"),
            }
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
            "log_events": events,
            "seeded": seeded,
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
    # Children inherit it: a web node holds its share of the sockets plus its pools.
    nofile = cluster_sockets.raise_nofile(args.sockets + 1024)
    result: dict[str, Any] = {
        "bench": "cluster",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_1m_before": round(load_before, 2),
            "rlimit_nofile": nofile,
        },
        "topology": "separate processes on loopback; load generator in the bench process",
        "throughput": [],
    }
    single: dict[str, Any] | None = None
    for webs in [0, *args.web] if "throughput" in args.parts else []:
        load = os.getloadavg()[0]
        figures = await throughput(args, webs, logs)
        figures["loadavg_1m"] = [round(load, 2), round(os.getloadavg()[0], 2)]
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
        if "sockets" in figures:
            print(cluster_sockets.summary(figures["sockets"]), flush=True)
    if result["throughput"]:
        print(cluster_sockets.table(result["throughput"], args), flush=True)
    if "failover" in args.parts:
        result["failover"] = await failover(args, logs)
        print(f"failover {result['failover']['failover_s']} s (empty log)", flush=True)
        if args.failover_events:
            big = await failover(args, logs, args.failover_events)
            result["failover_big_log"] = big
            print(
                f"failover {big['failover_s']} s ({big['seeded']['generated_events']} events "
                f"logged before; the standby from the snapshot at "
                f"{big['standby_started_from_snapshot']} and "
                f"{big['standby_replayed_events']} events after it)",
                flush=True,
            )
    if "replay" not in args.parts:
        result["machine"]["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
        return result
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
    parser.add_argument("--web", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workers", type=int, default=16, help="closed-loop clients")
    parser.add_argument("--rate", type=float, default=400.0, help="open loop: offered per s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="open loop: s a create may wait (error after)"
    )
    parser.add_argument(
        "--sockets",
        type=int,
        default=5000,
        help="wallboards held open across the web nodes during a second open loop (0: none)",
    )
    parser.add_argument("--failover-rate", type=float, default=20.0)
    parser.add_argument("--failover-seconds", type=float, default=12.0)
    parser.add_argument(
        "--failover-events",
        type=int,
        default=1_000_000,
        help="a second failover with this many events logged before (0: none)",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["throughput", "failover", "replay"],
        default=["throughput", "failover", "replay"],
    )
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
