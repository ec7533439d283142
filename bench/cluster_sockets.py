"""Many wallboard WebSockets held open across a cluster's web nodes, for
``bench/cluster.py``: one asyncio process (this module run as a script, a child of the
bench, so that reading the frames does not slow the bench's own load generator).

Why wallboards: every committed change goes to every open wallboard (a desktop or a chat
socket hears only its own agent's or customer's changes), so they are the most a web node
pushes per socket; one supervisor's token opens them all, and each frame carries the
number of contacts waiting, which tells when a client saw a given contact.

Protocol on stdin/stdout (one JSON object per line): the child connects ``--clients``
sockets round robin over ``--urls`` and prints ``{"connected": ...}``; the bench writes
``start`` when its contact load begins, then ``stop <file>`` with, in log order, the times
(``at``, wall clock: the same machine) of the load's ``ContactQueued`` events as the router
stored them; the child prints the figures and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import sys
import time
from array import array
from typing import Any

WAITING = re.compile(r'"totals":\s*\{"waiting":\s*(\d+)')
CONNECTING = 100
"""Handshakes in flight at once (the nodes' accept backlog and the loaded loop)."""
GRACE_S = 5.0
"""Seconds the sockets keep reading after the load stopped, so the last contacts' lag is
measured too (a contact a client has not seen by then counts as undelivered)."""
LAG_SAMPLES = 400
"""Contacts per client whose delivery lag is computed (evenly spread over the load)."""


def raise_nofile(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to ``wanted`` (at most the hard limit);
    children started afterwards inherit it. Returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p99/max of ``values`` in seconds, as milliseconds."""
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(1000 * ordered[-1], 1)}


class Client:
    """One socket: its connect times, frames, and the times its waiting count changed."""

    __slots__ = ("counts", "first_frame_s", "frames", "handshake_s", "times")

    def __init__(self) -> None:
        self.handshake_s = -1.0
        self.first_frame_s = -1.0
        self.frames = 0
        self.times = array("d")
        self.counts = array("l")


async def hold(url: str, token: str, client: Client, gate: asyncio.Semaphore) -> None:
    from websockets.asyncio.client import connect

    async with gate:
        began = time.monotonic()
        socket = await connect(
            url,
            additional_headers={"Authorization": f"Bearer {token}"},
            compression=None,
            ping_interval=None,
            open_timeout=120,
            max_queue=64,
        )
        client.handshake_s = time.monotonic() - began
        first = await socket.recv()
        client.first_frame_s = time.monotonic() - began
    last = -1
    try:
        message: str | bytes = first
        while True:
            client.frames += 1
            found = WAITING.search(message if isinstance(message, str) else message.decode())
            if found is not None and int(found[1]) != last:
                last = int(found[1])
                client.times.append(time.time())
                client.counts.append(last)
            message = await socket.recv()
    finally:
        socket.transport.abort()


def lags(clients: list[Client], started: float, queued: list[float]) -> tuple[list[float], int]:
    """For a sample of the load's contacts (the k-th queued in log order, at
    ``queued[k]``), on every client: the time from its ``ContactQueued`` event to the
    first frame showing k + 1 more contacts waiting than before the load (nobody answers
    them, so the waiting count rises by one per event in log order, as a web node's copy
    applies them). Also returns how many sampled (client, contact) pairs were never shown."""
    stride = max(1, len(queued) // LAG_SAMPLES)
    sample = list(range(0, len(queued), stride))
    out: list[float] = []
    missed = 0
    for client in clients:
        base = None
        for t, n in zip(client.times, client.counts, strict=True):
            if t <= started:
                base = n
        if base is None:
            missed += len(sample)
            continue
        points = [(t, n - base) for t, n in zip(client.times, client.counts, strict=True)]
        i = 0
        for n, k in enumerate(sample):
            while i < len(points) and points[i][1] < k + 1:
                i += 1
            if i == len(points):
                missed += len(sample) - n
                break
            out.append(points[i][0] - queued[k])
    return out, missed


def summary(held: dict[str, Any]) -> str:
    """One line of the wallboards' figures of one configuration."""
    steady = held["open_loop"]
    rss = ", ".join(
        f"{name} {m.get('before')}→{m.get('connected')}→{m.get('end')} MiB"
        for name, m in held["web_rss_mb"].items()
    )
    return (
        f"  {held['connected']} of {held['clients']} wallboards connected in "
        f"{held['connect_all_s']} s (handshake p50/p99 {held['handshake_ms']['p50']}/"
        f"{held['handshake_ms']['p99']} ms, first frame {held['first_frame_ms']['p50']}/"
        f"{held['first_frame_ms']['p99']} ms), {held['open_at_stop']} open at the end; "
        f"{held['frames_per_client_per_s']} frames/s per client; delivery lag p50/p99 "
        f"{held['delivery_lag_ms']['p50']}/{held['delivery_lag_ms']['p99']} ms; with them "
        f"{steady['contacts_per_s']} of {steady['offered_per_s']}/s (p50/p99 "
        f"{steady['latency_ms']['p50']}/{steady['latency_ms']['p99']} ms); RSS {rss}; "
        f"cores {steady['cores']}"
    )


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """How the figures scale with the web nodes: one line per configuration."""
    head = (
        f"| web nodes | closed loop ({args.workers} clients) /s | p50 / p99 ms | "
        f"open loop {args.rate:g}/s: done /s | p50 / p99 ms | with {args.sockets} "
        f"wallboards: done /s | p50 / p99 ms | lag p50 / p99 ms |"
    )
    lines = [head, "|" + " --- |" * 8]
    for row in rows:
        closed, steady = row["closed_loop"], row["open_loop"]
        held = row.get("sockets")
        cells = [
            str(row["web_nodes"]) if row["web_nodes"] else "single (--role all)",
            str(closed["contacts_per_s"]),
            f"{closed['latency_ms']['p50']} / {closed['latency_ms']['p99']}",
            str(steady["contacts_per_s"]),
            f"{steady['latency_ms']['p50']} / {steady['latency_ms']['p99']}",
        ]
        if held:
            loaded = held["open_loop"]
            cells += [
                f"{loaded['contacts_per_s']} ({held['connected']} open)",
                f"{loaded['latency_ms']['p50']} / {loaded['latency_ms']['p99']}",
                f"{held['delivery_lag_ms']['p50']} / {held['delivery_lag_ms']['p99']}",
            ]
        else:
            cells += ["–", "–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    limit = raise_nofile(args.clients + 200)
    urls = args.urls.split(",")
    gate = asyncio.Semaphore(CONNECTING)
    clients = [Client() for _ in range(args.clients)]
    tasks = [
        asyncio.create_task(hold(urls[n % len(urls)], args.token, client, gate))
        for n, client in enumerate(clients)
    ]
    began = time.monotonic()
    while True:
        opened = sum(1 for c in clients if c.first_frame_s >= 0)
        failed = sum(1 for t in tasks if t.done())
        if opened + failed >= len(clients) or time.monotonic() - began > args.connect_timeout:
            break
        await asyncio.sleep(0.1)
    errors: dict[str, int] = {}
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            name = type(task.exception()).__name__
            errors[name] = errors.get(name, 0) + 1
    connected = [c for c in clients if c.first_frame_s >= 0]
    report: dict[str, Any] = {
        "clients": args.clients,
        "connected": len(connected),
        "errors": errors,
        "connect_all_s": round(time.monotonic() - began, 2),
        "rlimit_nofile": limit,
        "handshake_ms": percentiles([c.handshake_s for c in connected]),
        "first_frame_ms": percentiles([c.first_frame_s for c in connected]),
    }
    print(json.dumps(report), flush=True)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    started = time.time()
    frames_before = 0
    while True:
        line = (await reader.readline()).decode().strip()
        if not line:
            return
        if line == "start":
            started = time.time()
            frames_before = sum(c.frames for c in clients)
        elif line.startswith("stop "):
            break
    stopped = time.time()
    frames = sum(c.frames for c in clients) - frames_before
    await asyncio.sleep(GRACE_S)
    with open(line.split(" ", 1)[1]) as file:
        queued: list[float] = json.load(file)
    still = [
        c for c, t in zip(clients, tasks, strict=True) if c.first_frame_s >= 0 and not t.done()
    ]
    window = max(stopped - started, 1e-9)
    per_client = [sum(1 for t in c.times if started < t <= stopped) for c in connected]
    delivered, missed = lags(connected, started, queued)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "open_at_stop": len(still),
        "window_s": round(window, 2),
        "frames": frames,
        "frames_per_client_per_s": round(frames / max(len(connected), 1) / window, 2),
        "changes_seen_per_client_per_s": round(
            sum(per_client) / max(len(per_client), 1) / window, 2
        ),
        "delivery_lag_ms": percentiles(delivered),
        "lag_samples": len(delivered),
        "lag_samples_unseen_after_grace": missed,
        "grace_s": GRACE_S,
        "client_cpu_s": round(cpu.ru_utime + cpu.ru_stime, 1),
        "client_rss_mb": round(cpu.ru_maxrss / 1024, 1),
    }
    for task in tasks:
        task.cancel()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", required=True, help="comma-separated ws:// URLs")
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--token", required=True)
    parser.add_argument("--connect-timeout", type=float, default=180.0)
    asyncio.run(main(parser.parse_args()))
