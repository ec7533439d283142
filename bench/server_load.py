"""The load generator of ``bench/server.py``: the benchmark center, Poisson creations per
queue sent one after the other, accept and complete after a handle time, a wallboard
WebSocket client, and the figures taken from what it all saw (see ``bench/server.py``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["SITE", "Contact", "Load", "drive", "figures", "percentiles"]

SITE = "bench"


@dataclass
class Contact:
    queue: str
    ordinal: int  # k-th contact created in its queue
    due: float  # when its POST was due (perf_counter seconds)
    created: float
    accept_ms: float | None = None
    complete_ms: float | None = None


@dataclass
class Load:
    """What the load generator saw."""

    contacts: list[Contact] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    board: dict[str, tuple[list[float], list[int]]] = field(default_factory=dict)
    day_starts: set[float] = field(default_factory=set)
    completed_at: list[float] = field(default_factory=list)
    start: float = 0.0  # when the arrivals began and ended (perf_counter seconds)
    end: float = 0.0
    arrivals: int = 0  # contacts due in [start, end)
    not_sent: int = 0  # due, but not sent before the cut-off
    tainted: set[str] = field(default_factory=set)  # queues whose k-th contact is unknown

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Http:
    """A lean HTTP/1.1 keep-alive client for the load's JSON calls on loopback: a general
    client (httpx) costs more CPU per request than the server's own work, and the load
    generator shares the machine with the server. A connection idle for longer than the
    server's keep-alive (5 s) is not reused."""

    IDLE_S = 4.0

    def __init__(self, base: str, token: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
        """(status, parsed JSON body); ConnectionError when the exchange broke off."""
        now = time.perf_counter()
        while self.free:
            reader, writer, used = self.free.pop()
            if now - used < self.IDLE_S:
                break
            writer.close()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body, ensure_ascii=False).encode()
        extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\n{self.head}{extra}Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            payload = await reader.readexactly(int(length.group(1))) if length else b""
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            writer.close()
            raise ConnectionError(str(exc)) from exc
        if re.search(rb"(?i)\r\nconnection: *close", head):
            writer.close()
        else:
            self.free.append((reader, writer, time.perf_counter()))
        return int(head[9:12]), json.loads(payload) if payload else None

    def close(self) -> None:
        for _reader, writer, _used in self.free:
            writer.close()
        self.free.clear()


async def set_up(client: httpx.AsyncClient, queues: list[str]) -> None:
    async def ok(response: httpx.Response) -> None:
        if response.status_code >= 300:
            raise SystemExit(f"{response.request.url}: {response.status_code} {response.text}")

    await ok(await client.post("/api/v1/sites", json={"site_id": SITE, "name": "压测 Bench"}))
    for q in queues:
        body = {"queue_id": q, "site_id": SITE, "channel": "chat", "skills": {q: 1}, "aht_s": 60}
        await ok(await client.post("/api/v1/queues", json=body))
        agent = {"agent_id": f"a-{q}", "site_id": SITE, "skills": {q: 1}, "capacity": {"chat": 100}}
        await ok(await client.post("/api/v1/agents", json=agent))
        await ok(await client.post(f"/api/v1/agents/a-{q}/state", json={"presence": "ready"}))


async def listen(url: str, token: str, load: Load, ready: asyncio.Event) -> None:
    import websockets

    async with websockets.connect(
        url, max_size=None, additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        async for raw in ws:
            at = time.perf_counter()
            snapshot = json.loads(raw)
            load.day_starts.add(snapshot["day_start"])
            for q in snapshot["queues"]:
                times, counts = load.board.setdefault(q["queue_id"], ([], []))
                times.append(at)
                counts.append(q["offered"])
            ready.set()


async def drive(base: str, token: str, args: argparse.Namespace, rng: random.Random) -> Load:
    """Set up the center, run the arrivals and their lifecycles, listen to the wallboard."""
    queues = [f"q{i:02d}" for i in range(args.queues)]
    load = Load()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        await set_up(client, queues)
        ready = asyncio.Event()
        ws_url = base.replace("http", "ws", 1) + f"/ws/wallboard?site_id={SITE}"
        listener = asyncio.create_task(listen(ws_url, token, load, ready))
        await asyncio.wait_for(ready.wait(), 10)
        http = Http(base, token)
        lifecycles: set[asyncio.Task[None]] = set()
        start = time.perf_counter() + 0.2
        end = start + args.seconds
        cutoff = end + args.grace_s
        per_queue = args.rate / len(queues)
        budget = [args.max_contacts]

        async def lifecycle(contact: Contact, made: dict[str, Any]) -> None:
            if made["state"] != "offered":
                load.error(f"created {made['state']}, not offered")
                return
            url = f"/api/v1/contacts/{made['contact_id']}"
            offer = {"offer_id": made["offer_id"], "agent_id": made["agent_id"]}
            handle = min(rng.expovariate(1 / args.handle_s), 5 * args.handle_s)
            try:
                sent = time.perf_counter()
                status, _ = await http.post(f"{url}/accept", offer)
                if status != 200:
                    return load.error(f"accept {status}")
                contact.accept_ms = (time.perf_counter() - sent) * 1000
                await asyncio.sleep(handle)
                sent = time.perf_counter()
                status, _ = await http.post(f"{url}/complete", {"disposition": "resolved"})
                if status != 200:
                    return load.error(f"complete {status}")
            except ConnectionError as exc:
                return load.error(f"accept/complete {type(exc).__name__}")
            contact.complete_ms = (time.perf_counter() - sent) * 1000
            load.completed_at.append(time.perf_counter())

        async def queue_worker(queue: str) -> None:
            due, ordinal = start, 0
            while budget[0] > 0:
                due += rng.expovariate(per_queue)
                if due >= end:
                    return
                budget[0] -= 1
                load.arrivals += 1
                if time.perf_counter() > cutoff:  # the server fell behind: stop in time
                    load.not_sent += 1
                    continue
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                body = {
                    "queue_id": queue,
                    "customer_id": f"c{rng.randrange(10**6)}",
                    "attributes": {"customer": rng.choice(["王芳", "李强", "Alice"])},
                }
                key = f"{queue}-{load.arrivals}-{rng.random()}"
                try:
                    status, made = await http.post("/api/v1/contacts", body, Idempotency_Key=key)
                except ConnectionError:
                    try:  # a retry with the same key never makes a second contact
                        status, made = await http.post(
                            "/api/v1/contacts", body, Idempotency_Key=key
                        )
                    except ConnectionError as exc:
                        load.error(f"create {type(exc).__name__}")
                        load.tainted.add(queue)  # it may have been stored all the same
                        continue
                if status != 201:
                    load.error(f"create {status}")
                    continue
                ordinal += 1
                contact = Contact(queue, ordinal, due, time.perf_counter())
                load.contacts.append(contact)
                task = asyncio.create_task(lifecycle(contact, made))
                lifecycles.add(task)
                task.add_done_callback(lifecycles.discard)

        await asyncio.gather(*(queue_worker(q) for q in queues))
        if lifecycles:
            await asyncio.wait(set(lifecycles), timeout=5 * args.handle_s + args.grace_s)
        await asyncio.sleep(1.0)  # the last wallboard messages
        http.close()
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener
    load.start, load.end = start, end
    return load


# -- figures ------------------------------------------------------------------------------
def percentiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1], 2)}


def figures(load: Load, args: argparse.Namespace) -> dict[str, Any]:
    """Rates per second over the arrivals' span (longer when the server fell behind);
    latencies of the contacts due after the warm-up."""
    start = load.start
    measured = [c for c in load.contacts if c.due >= start + args.warmup]
    board_ms, unseen = [], 0
    for c in measured:
        if c.queue in load.tainted:
            continue
        times, counts = load.board.get(c.queue, ([], []))
        i = bisect_left(counts, c.ordinal)  # offered counts only grow within a day
        if i == len(counts):
            unseen += 1
        else:
            board_ms.append((times[i] - c.due) * 1000)
    created_span = max([args.seconds] + [c.created - start for c in load.contacts])
    done_span = max([args.seconds] + [t - start for t in load.completed_at])
    return {
        "contacts": {
            "due": load.arrivals,
            "created": len(load.contacts),
            "not_sent": load.not_sent,
            "completed": len(load.completed_at),
            "measured": len(measured),
        },
        "arrivals_per_s": round(load.arrivals / args.seconds, 1),
        "created_per_s": round(len(load.contacts) / created_span, 1),
        "completed_per_s": round(len(load.completed_at) / done_span, 1),
        "create_to_queued_ms": percentiles([(c.created - c.due) * 1000 for c in measured]),
        "create_to_wallboard_ms": percentiles(board_ms),
        "wallboard_unseen": unseen,
        "wallboard_day_changed": len(load.day_starts) > 1,
        "accept_ms": percentiles([c.accept_ms for c in measured if c.accept_ms is not None]),
        "complete_ms": percentiles([c.complete_ms for c in measured if c.complete_ms is not None]),
        "errors": load.errors,
    }
