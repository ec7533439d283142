"""The contact load of ``bench/cluster.py``: contacts created through the API of a
cluster's web nodes, in an open loop (a fixed rate) or a closed loop (clients each sending
the next create once the last was answered), with each create's time to its ``201``.

Requests go through ``server_load``'s lean keep-alive client: the generator shares the
two cores with the nodes, and a general client (httpx) spent more CPU per request than a
web node's own work, so at 400/s the generator, not the cluster, set the pace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Protocol

from server_load import Http


class Target(Protocol):
    """A node taking the load: its base URL (``http://host:port``)."""

    base: str


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _clients(webs: Sequence[Target], headers: dict[str, str]) -> list[Http]:
    token = headers["Authorization"].removeprefix("Bearer ")
    return [Http(w.base, token) for w in webs]


async def _create(client: Http, key: str, timeout_s: float) -> str | None:
    """Create one contact with Idempotency-Key ``key``: its id once acknowledged (``201``),
    None when refused, broken off or not answered within ``timeout_s``."""
    try:
        status, body = await asyncio.wait_for(
            client.post(
                "/api/v1/contacts",
                {"queue_id": "voice", "attributes": {"客户": key}},
                Idempotency_Key=key,
            ),
            timeout_s,
        )
    except (ConnectionError, OSError, TimeoutError):
        return None
    return str(body["contact_id"]) if status == 201 else None


def _summary(latencies: list[float], errors: int, wall: float) -> dict[str, Any]:
    return {
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


async def drive(
    webs: Sequence[Target],
    headers: dict[str, str],
    rate: float,
    seconds: float,
    retry: bool = False,
    keys: str = "bench",
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Open-loop creates at ``rate`` per second for ``seconds`` over ``webs``; with
    ``retry`` each is sent again with its key until acknowledged (a failover). ``keys``
    prefixes the Idempotency-Keys (a second run with the same keys creates nothing);
    ``timeout_s`` bounds each wait for an answer: an overloaded cluster's requests then
    count as errors instead of piling up."""
    clients = _clients(webs, headers)
    latencies: list[float] = []
    acked: list[tuple[str, float]] = []
    errors = 0

    async def one(n: int) -> None:
        nonlocal errors
        key = f"{keys}-{n}"
        sent = time.perf_counter()
        while (contact_id := await _create(clients[n % len(clients)], key, timeout_s)) is None:
            errors += 1
            if not retry:
                return
            await asyncio.sleep(0.05)
        latencies.append(time.perf_counter() - sent)
        acked.append((contact_id, time.monotonic()))

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
        client.close()
    return {
        "offered_per_s": rate,
        "sent": total,
        **_summary(latencies, errors, wall),
        "acked": acked,
    }


async def saturate(
    webs: Sequence[Target], headers: dict[str, str], workers: int, seconds: float
) -> dict[str, Any]:
    """Closed loop: ``workers`` clients, each spread over ``webs`` and sending its next
    create as soon as the last was answered, for ``seconds``: the contacts the cluster
    takes per second at that concurrency, and their latency."""
    clients = _clients(webs, headers)
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
            sent = time.perf_counter()
            if await _create(client, f"sat-{w}-{n}", 30.0) is None:
                errors += 1
            else:
                latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(worker(w) for w in range(workers)))
    wall = time.perf_counter() - began
    for client in clients:
        client.close()
    return {"workers": workers, **_summary(latencies, errors, wall)}
