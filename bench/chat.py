"""Web chat under load: concurrent chat customers and agents over WebSocket on loopback.

kefu runs as ``kefu serve`` (a child process) on SQLite and, when reachable, PostgreSQL.
Agents (agent users with bearer tokens) keep ``/ws/desktop`` open and accept their offers
over ``/api/v1/desktop``; customers open ``/ws/chat``, write a first message (a new chat
contact, routed), wait until an agent serves them, then send ``--messages`` more, one every
``--gap`` seconds. Latency is from a customer's send to the moment its agent's desktop
socket delivers a screen, or a message frame (the delta pushed alone), showing that message;
messages/s counts those receipts over the message phase. The peer is a bare WebSocket
relay (Starlette, no storage, no routing: each customer's frame forwarded to its agent's
socket) with the same clients, counts and pacing: the floor of WebSocket, JSON and Python
on this machine. Bounded: ``--time-limit`` s per run.

    .venv/bin/python bench/chat.py [--customers 200] [--agents 50] [--messages 5]

The clients use ``websockets`` and ``httpx`` (already kefu's dependencies). A JSON record
goes to bench/results/ (``--no-write`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get(
    "KEFU_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# A loaded machine starts the server slowly (13.6 s seen at load 14.7).
START_WAIT_S = 90.0
CHEAP = {
    "KEFU_PASSWORD_TIME_COST": "1",
    "KEFU_PASSWORD_MEMORY_KIB": "64",
    "KEFU_PASSWORD_PARALLELISM": "1",
}
KEFU = [sys.executable, "-c", "import sys; from kefu.cli import main; sys.argv[0] = 'kefu'; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu_model": model, "cores": os.cpu_count(), "platform": platform.platform()}


# -- the load ------------------------------------------------------------------------------
class Load:
    """Send instants by message tag, and the latencies (s) of the messages received."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.latency: list[float] = []
        self.first_send: float | None = None
        self.last_receipt = 0.0
        self.errors: list[str] = []

    def send(self, tag: str) -> None:
        now = time.perf_counter()
        self.sent[tag] = now
        self.first_send = self.first_send or now

    def receive(self, tag: str) -> None:
        at = self.sent.pop(tag, None)
        if at is not None:
            now = time.perf_counter()
            self.latency.append(now - at)
            self.last_receipt = now

    def figures(self, expected: int) -> dict[str, Any]:
        ms = sorted(x * 1000 for x in self.latency)
        span = self.last_receipt - (self.first_send or self.last_receipt)

        def pct(q: float) -> float | None:
            return round(ms[min(len(ms) - 1, int(q * len(ms)))], 1) if ms else None

        return {
            "messages": len(ms),
            "expected": expected,
            "messages_per_s": round(len(ms) / span, 1) if span > 0 else None,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": round(ms[-1], 1) if ms else None,
            "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
            "errors": self.errors[:5],
        }


def tag_of(text: str) -> str | None:
    return text if text.startswith("bench:") else None


async def kefu_agent(
    base: str, token: str, load: Load, stop: asyncio.Event, *, deflate: bool = True
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    ws_url = base.replace("http", "ws") + "/ws/desktop"
    accepting: set[str] = set()
    seen: set[str] = set()
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http,
        connect(
            ws_url,
            additional_headers=headers,
            max_size=None,
            compression="deflate" if deflate else None,
        ) as ws,
    ):
        await http.post("/api/v1/desktop/state", json={"presence": "ready"})

        async def accept(offer: dict[str, Any]) -> None:
            path = f"/api/v1/desktop/offers/{offer['contact_id']}/accept"
            response = await http.post(path, json={"offer_id": offer["offer_id"]})
            if response.status_code != 200:
                load.errors.append(f"accept {response.status_code}")

        tasks: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            try:
                async with asyncio.timeout(0.5):
                    frame = json.loads(await ws.recv())
            except TimeoutError:
                continue
            if frame.get("type") == "message":  # one new message, pushed alone
                tag = tag_of(frame["message"]["text"])
                if tag and tag not in seen:
                    seen.add(tag)
                    load.receive(tag)
                continue
            if frame.get("type") != "desktop":
                continue
            view = frame["view"]
            for offer in view["offers"]:
                if offer["offer_id"] not in accepting:
                    accepting.add(offer["offer_id"])
                    task = asyncio.create_task(accept(offer))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            for contact in view["contacts"]:
                for message in (contact.get("conversation") or {}).get("messages", ()):
                    tag = tag_of(message["text"])
                    if tag and tag not in seen:
                        seen.add(tag)
                        load.receive(tag)


async def kefu_customer(base: str, n: int, args: argparse.Namespace, load: Load) -> None:
    async with connect(base.replace("http", "ws") + "/ws/chat") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        cseq = 1
        first = {"type": "message", "cseq": cseq, "text": f"你好 {n}", "profile": {"topic": "chat"}}
        await ws.send(json.dumps(first))
        while True:  # until an agent serves this customer
            frame = json.loads(await ws.recv())
            if frame.get("type") == "status" and frame.get("state") == "active":
                break
        await asyncio.sleep(random.Random(n).uniform(0, args.gap))  # customers out of step
        for k in range(1, args.messages + 1):
            cseq += 1
            tag = f"bench:{n}:{k}"
            load.send(tag)
            await ws.send(json.dumps({"type": "message", "cseq": cseq, "text": tag}))
            await asyncio.sleep(args.gap)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.gap * 2):
                while True:
                    await ws.recv()


async def drive_kefu(base: str, tokens: list[str], args: argparse.Namespace) -> Load:
    load = Load()
    stop = asyncio.Event()
    deflate = args.desktop_deflate == "on"
    agents = [asyncio.create_task(kefu_agent(base, t, load, stop, deflate=deflate)) for t in tokens]
    await asyncio.sleep(1.0)  # agents connected and ready
    customers = [
        asyncio.create_task(kefu_customer(base, n, args, load)) for n in range(args.customers)
    ]
    try:
        async with asyncio.timeout(args.time_limit):
            await asyncio.gather(*customers)
    except TimeoutError:
        load.errors.append(f"time limit {args.time_limit} s reached")
    for task in customers:
        task.cancel()
    stop.set()
    await asyncio.gather(*agents, *customers, return_exceptions=True)
    return load


# -- kefu as a child process ---------------------------------------------------------------
class Kefu:
    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **CHEAP,
            "KEFU_ENV": "test",
            "KEFU_OFFER_TIMEOUT_S": "120",
            # Every simulated customer comes from loopback: no per-address cap on new chats.
            "KEFU_CHAT_MAX_NEW_PER_ADDRESS": "1000000",
        }
        self.env["KEFU_SECRET_KEY"] = secrets.token_urlsafe(32)  # kefu serve needs its own
        self.env.pop("KEFU_DATABASE_URL", None)
        self.schema: str | None = None
        if kind == "sqlite":
            self.env["KEFU_DB_PATH"] = str(folder / "chat.sqlite3")
            self.url = f"sqlite:///{folder / 'chat.sqlite3'}"
        else:
            self.schema = f"kefu_bench_{uuid.uuid4().hex[:8]}"
            self.env["KEFU_DATABASE_URL"] = PG_URL
            self.env["KEFU_DATABASE_SCHEMA"] = self.schema
            self.url = PG_URL
        self.log = folder / f"{kind}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def prepare(self) -> str:
        """Migrate and create an admin; its bearer token."""
        from sqlalchemy import create_engine, text

        from kefu.adapters.clock import SystemClock
        from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, upgrade
        from kefu.service.security import ROLE_SCOPES, PasswordPolicy, Role, Security

        if self.schema:
            with create_engine(PG_URL).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        engine = make_engine(self.url, schema=self.schema)
        try:
            upgrade(engine)
            security = Security(
                SqlUnitOfWorkFactory(engine),
                SystemClock(),
                passwords=PasswordPolicy(time_cost=1, memory_kib=64, parallelism=1),
            )
            security.users.create(username="root", password="bench admin 密码", role="admin")
            _, secret = security.credentials.issue_token("root", sorted(ROLE_SCOPES[Role.ADMIN]))
        finally:
            engine.dispose()
        return secret

    def start(self) -> None:
        command = [*KEFU, "serve", "--port", str(self.port), "--log-level", "warning"]
        profile = os.environ.get("KEFU_BENCH_PROFILE")
        if profile:  # the server under cProfile, written when it stops
            runner = self.log.with_suffix(".py")
            runner.write_text(
                "import sys\nfrom kefu.cli import main\n"
                f"sys.argv = ['kefu', 'serve', '--port', '{self.port}', '--log-level', 'warning']\n"
                "main()\n"
            )
            command = [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                f"{profile}.{self.kind}",
                str(runner),
            ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_WAIT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"kefu serve did not start:\n{self.log.read_text()}")

    def seed(self, admin: str, agents: int) -> list[str]:
        """A site, a chat queue, agents with 4 chat slots each and their tokens."""
        headers = {"Authorization": f"Bearer {admin}"}
        tokens = []
        with httpx.Client(base_url=f"{self.base}/api/v1", headers=headers, timeout=30) as api:
            api.post("/sites", json={"site_id": "bench", "name": "压测 Bench"}).raise_for_status()
            queue = {"queue_id": "chat", "site_id": "bench", "channel": "chat", "aht_s": 60}
            api.post("/queues", json=queue).raise_for_status()
            for n in range(agents):
                agent_id = f"bench-{n:03d}"
                body = {"agent_id": agent_id, "site_id": "bench", "capacity": {"chat": 4}}
                api.post("/agents", json=body).raise_for_status()
                user = {"username": agent_id, "password": "bench 密码 1234", "role": "agent"}
                api.post("/users", json={**user, "agent_id": agent_id}).raise_for_status()
                scopes = {"scopes": ["read", "contacts:write", "agents:write"]}
                issued = api.post(f"/users/{agent_id}/tokens", json=scopes)
                issued.raise_for_status()
                tokens.append(issued.json()["token"])
        return tokens

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.schema:
            from sqlalchemy import create_engine, text

            with create_engine(PG_URL).begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


def postgres_reachable() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def run_kefu(kind: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    server = Kefu(kind, folder)
    admin = server.prepare()
    server.start()
    try:
        tokens = server.seed(admin, args.agents)
        load = asyncio.run(drive_kefu(server.base, tokens, args))
    finally:
        server.stop()
    return load.figures(args.customers * args.messages)


# -- the peer: a bare WebSocket relay --------------------------------------------------------
def relay_app(agents: int) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    agent_sockets: dict[int, WebSocket] = {}

    async def agent(websocket: WebSocket) -> None:
        await websocket.accept()
        agent_sockets[int(websocket.path_params["n"])] = websocket
        with contextlib.suppress(Exception):
            while True:
                await websocket.receive_text()

    async def customer(websocket: WebSocket) -> None:
        await websocket.accept()
        target = int(websocket.path_params["n"]) % agents
        with contextlib.suppress(Exception):
            while True:
                frame = json.loads(await websocket.receive_text())
                await agent_sockets[target].send_text(json.dumps({"text": frame["text"]}))

    return Starlette(
        routes=[WebSocketRoute("/agent/{n}", agent), WebSocketRoute("/customer/{n}", customer)]
    )


async def drive_relay(base: str, args: argparse.Namespace) -> Load:
    load = Load()
    stop = asyncio.Event()

    async def agent(n: int) -> None:
        async with connect(f"{base}/agent/{n}") as ws:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        tag = tag_of(json.loads(await ws.recv())["text"])
                        if tag:
                            load.receive(tag)

    async def customer(n: int) -> None:
        async with connect(f"{base}/customer/{n}") as ws:
            await asyncio.sleep(random.Random(n).uniform(0, args.gap))
            for k in range(1, args.messages + 1):
                tag = f"bench:{n}:{k}"
                load.send(tag)
                await ws.send(json.dumps({"text": tag}))
                await asyncio.sleep(args.gap)

    agents = [asyncio.create_task(agent(n)) for n in range(args.agents)]
    await asyncio.sleep(0.5)
    async with asyncio.timeout(args.time_limit):
        await asyncio.gather(*(customer(n) for n in range(args.customers)))
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*agents, return_exceptions=True)
    return load


def run_relay(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    port = free_port()
    log = (folder / "relay.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, __file__, "--relay-server", str(port), "--agents", str(args.agents)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        load = asyncio.run(drive_relay(f"ws://127.0.0.1:{port}", args))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        log.close()
    return load.figures(args.customers * args.messages)


# -- main ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=5, help="per customer, once served")
    parser.add_argument(
        "--gap", type=float, default=1.0, help="seconds between a customer's messages"
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--postgres", choices=["auto", "off"], default="auto")
    parser.add_argument(
        "--desktop-deflate",
        choices=["on", "off"],
        default="on",
        help="offer per-message deflate on the agents' desktop sockets (as browsers do)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--relay-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.relay_server:
        import uvicorn

        uvicorn.run(
            relay_app(args.agents), host="127.0.0.1", port=args.relay_server, log_level="warning"
        )
        return {}
    if args.customers > 4 * args.agents:
        parser.error("every customer needs a chat slot: customers ≤ 4 × agents")
    results: dict[str, Any] = {}
    # The machine may be shared: its 1-minute load average before and after the runs.
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(
            f"chat load 在线客服压测: {args.customers} customers, {args.agents} agents, "
            f"{args.messages} messages each every {args.gap} s"
        )
        results["relay"] = run_relay(args, folder)
        print(f"  relay (peer) 对照: {results['relay']}")
        results["sqlite"] = run_kefu("sqlite", args, folder)
        print(f"  kefu SQLite: {results['sqlite']}")
        if args.postgres == "auto" and postgres_reachable():
            results["postgres"] = run_kefu("postgres", args, folder)
            print(f"  kefu PostgreSQL: {results['postgres']}")
        else:
            print("  PostgreSQL not reachable (or off): skipped")
    ratios = {}
    for kind in ("sqlite", "postgres"):
        if kind in results and results[kind]["p99_ms"] and results["relay"]["p99_ms"]:
            ratios[f"{kind}_p50_vs_relay"] = round(
                results[kind]["p50_ms"] / results["relay"]["p50_ms"], 1
            )
            ratios[f"{kind}_p99_vs_relay"] = round(
                results[kind]["p99_ms"] / results["relay"]["p99_ms"], 1
            )
            ratios[f"{kind}_p99_under_100ms"] = results[kind]["p99_ms"] < 100
    print(f"  ratios 比值: {ratios}")
    record = {
        "benchmark": "chat",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "load_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        },
        "python": platform.python_version(),
        "args": {k: v for k, v in vars(args).items() if k != "relay_server"},
        "figures": results,
        "ratios": ratios,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = f"chat-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        (RESULTS / name).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        print(f"  record 记录: bench/results/{name}")
    return record


if __name__ == "__main__":
    main()
