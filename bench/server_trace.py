"""A timeline of what the server did while ``bench/server.py --trace FOLDER`` ran: loaded
into ``kefu serve`` before its code (the product is not changed; the same hooks work on
any commit the A/B compares), it records, in ``perf_counter`` seconds (the machine's
monotonic clock, the same in the load generator):

- the collector's passes (generation, duration) from ``gc.callbacks``;
- each batch the store writer wrote (start, end, events, writes), and each transaction
  that stored a projection's rows apart from the events (start, end), where the tree has
  them;
- the event loop's lateness (a task that sleeps 5 ms and notes how late it woke);
- snapshots taken (start, end), where the tree has them;
- samples of the main thread's and the writer thread's stacks every 2 ms;
- with ``KEFU_TRACE_CENSUS=1``, the objects each full collection scans, by type (slow).

``python bench/server_trace.py FOLDER...`` summarizes traced runs with the load
generator's contacts (due, created): what paused the server while they waited.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import collections
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

SAMPLE_S = 0.002
BEAT_S = 0.005


class Trace:
    def __init__(self, path: str) -> None:
        self.path = path
        self.gc: list[tuple[float, float, int, int, float]] = []
        self.batches: list[tuple[float, float, int, int, float]] = []
        self.settles: list[tuple[float, float, float]] = []
        self.lags: list[tuple[float, float]] = []
        self.snapshots: list[tuple[float, float]] = []
        self.samples: list[tuple[float, str, tuple[str, ...]]] = []
        self.census: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._census = bool(os.environ.get("KEFU_TRACE_CENSUS"))
        self._gc_start = self._gc_cpu = 0.0
        self._writer_ident: int | None = None
        self._main = threading.main_thread().ident
        self._stop = threading.Event()

    # -- hooks -------------------------------------------------------------------------
    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            if self._census and info["generation"] == 2:
                self.take_census(now)
            self._gc_start, self._gc_cpu = now, time.thread_time()
        else:
            cpu = time.thread_time() - self._gc_cpu
            gen, collected = info["generation"], info["collected"]
            self.gc.append((self._gc_start, now - self._gc_start, gen, collected, cpu))

    def take_census(self, now: float) -> None:
        """The tracked objects a full collection is about to scan, by type (slow)."""
        by_type: collections.Counter[str] = collections.Counter()
        where: collections.Counter[str] = collections.Counter()
        for obj in gc.get_objects(2):
            name = type(obj).__qualname__
            by_type[name] += 1
            if name == "Dependant":
                call = getattr(obj, "call", None)
                where[f"{getattr(obj, 'path', None)} {getattr(call, '__qualname__', call)}"] += 1
        young = len(gc.get_objects(0)) + len(gc.get_objects(1))
        total = sum(by_type.values())
        self.census.append(
            {
                "at": now,
                "gen2": total,
                "young": young,
                "top": by_type.most_common(25),
                "dependants": where.most_common(15),
            }
        )

    def patch_requests(self) -> None:
        """Instants of each POST's stages: into the app, into the engine's ``execute``,
        the lock taken (its first timers pass), waiting for the store, out of ``execute``
        and out of the app (the response sent)."""
        import contextvars

        from fastapi import FastAPI

        from kefu.service.engine import RoutingEngine

        trace = self
        current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
            "bench_trace_request", default=None
        )
        call = FastAPI.__call__

        async def traced_call(app: Any, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["method"] != "POST":
                return await call(app, scope, receive, send)
            marks: dict[str, Any] = {"path": scope["path"], "app_in": time.perf_counter()}
            token = current.set(marks)
            try:
                await call(app, scope, receive, send)
            finally:
                marks["app_out"] = time.perf_counter()
                current.reset(token)
                trace.requests.append(marks)

        FastAPI.__call__ = traced_call  # type: ignore[method-assign,assignment]

        def mark(name: str, method: str) -> None:
            inner = getattr(RoutingEngine, method)

            async def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
                marks = current.get()
                if marks is not None:
                    marks.setdefault(f"{name}_in", time.perf_counter())
                try:
                    return await inner(self, *args, **kwargs)
                finally:
                    if marks is not None:
                        marks[f"{name}_out"] = time.perf_counter()

            setattr(RoutingEngine, method, traced)

        mark("exec", "execute")
        mark("locked", "_process_due")
        mark("stored", "_stored")

    def patch(self) -> None:
        self.patch_requests()
        from kefu.service import writer

        trace = self
        store = writer.GroupWriter._store
        start = writer.GroupWriter.start

        def traced_store(self: Any, batch: Any, *rest: Any) -> Any:
            trace._writer_ident = threading.get_ident()
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                return store(self, batch, *rest)
            finally:
                cpu = time.thread_time() - cpu
                end = time.perf_counter()
                trace.batches.append((began, end, len(batch.events), len(batch.writes), cpu))

        def traced_start(self: Any) -> None:
            start(self)
            asyncio.get_running_loop().create_task(trace.beat())

        writer.GroupWriter._store = traced_store  # type: ignore[method-assign]
        writer.GroupWriter.start = traced_start  # type: ignore[method-assign]
        settle = getattr(writer.GroupWriter, "_store_settle", None)
        if settle is not None:

            def traced_settle(self: Any, *args: Any) -> Any:
                began, cpu = time.perf_counter(), time.thread_time()
                try:
                    return settle(self, *args)
                finally:
                    cpu = time.thread_time() - cpu
                    trace.settles.append((began, time.perf_counter(), cpu))

            writer.GroupWriter._store_settle = traced_settle  # type: ignore[attr-defined]
        try:
            from kefu.service import engine_store
        except ImportError:
            return
        snapshot = engine_store.StoredState.snapshot

        async def traced_snapshot(self: Any) -> Any:
            began = time.perf_counter()
            try:
                return await snapshot(self)
            finally:
                trace.snapshots.append((began, time.perf_counter()))

        engine_store.StoredState.snapshot = traced_snapshot  # type: ignore[method-assign]

    async def beat(self) -> None:
        while True:
            due = time.perf_counter() + BEAT_S
            await asyncio.sleep(BEAT_S)
            late = time.perf_counter() - due
            if late > 0.003:
                self.lags.append((due, late))

    def sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            now = time.perf_counter()
            frames = sys._current_frames()
            for name, ident in (("main", self._main), ("writer", self._writer_ident)):
                frame = frames.get(ident) if ident is not None else None
                stack: list[str] = []
                while frame is not None and len(stack) < 12:
                    code = frame.f_code
                    stack.append(f"{Path(code.co_filename).name}:{frame.f_lineno}:{code.co_name}")
                    frame = frame.f_back
                self.samples.append((now, name, tuple(stack)))

    def install(self) -> None:
        gc.callbacks.append(self.on_gc)
        self.patch()
        threading.Thread(target=self.sample, name="bench-trace", daemon=True).start()
        atexit.register(self.write)

    def write(self) -> None:
        self._stop.set()
        record = {
            "pid": os.getpid(),
            "gc": self.gc,
            "batches": self.batches,
            "settles": self.settles,
            "lags": self.lags,
            "snapshots": self.snapshots,
            "census": self.census,
            "requests": self.requests,
            "samples": self.samples,
        }
        Path(self.path).write_text(json.dumps(record))


def install(path: str) -> None:
    """Start tracing this process; the trace is written to ``path`` at exit."""
    Trace(path).install()


# -- reading ---------------------------------------------------------------------------
def _pcts(values: list[float]) -> list[float]:
    """p50, p99 and max of ``values``."""
    if not values:
        return []
    v = sorted(values)
    return [round(v[len(v) // 2], 1), round(v[int(0.99 * len(v))], 1), round(v[-1], 1)]


STAGES = (
    ("before_execute", "app_in", "exec_in"),
    ("to_lock", "exec_in", "locked_in"),
    ("under_lock", "locked_in", "stored_in"),
    ("store_wait", "stored_in", "stored_out"),
    ("after_store", "stored_out", "exec_out"),
    ("response", "exec_out", "app_out"),
    ("app", "app_in", "app_out"),
)


def stages(requests: list[dict[str, Any]], lo: float, hi: float) -> dict[str, Any]:
    """Per kind of POST (create, accept, complete), the median milliseconds of each stage."""
    out: dict[str, Any] = {}
    for what in ("create", "accept", "complete"):
        rows = [
            r
            for r in requests
            if lo <= r["app_in"] <= hi
            and r["path"].rstrip("/").rsplit("/", 1)[-1]
            == ("contacts" if what == "create" else what)
        ]
        medians: dict[str, Any] = {"n": len(rows)}
        for name, a, b in STAGES:
            values = [(r[b] - r[a]) * 1000 for r in rows if a in r and b in r]
            medians[name] = round(sorted(values)[len(values) // 2], 2) if values else None
        out[what] = medians
    return out


def summary(folder: Path, kind: str) -> dict[str, Any]:
    """One traced run on one store: its create→queued latencies, and what paused the
    server meanwhile (collector passes by generation, writer batches, the loop's lateness),
    over the measured contacts' span."""
    server = json.loads((folder / f"trace-{kind}.json").read_text())
    contacts = json.loads((folder / f"contacts-{kind}.json").read_text())
    lo, hi = min(c[0] for c in contacts), max(c[1] for c in contacts)
    gcs = [g for g in server["gc"] if lo <= g[0] <= hi]
    batches = [b for b in server["batches"] if lo <= b[0] <= hi]
    settles = [b for b in server.get("settles", []) if lo <= b[0] <= hi]
    lags = [g[1] * 1000 for g in server["lags"] if lo <= g[0] <= hi]
    passes = {}
    for gen in sorted({g[2] for g in gcs}):
        cpu = [g[4] * 1000 for g in gcs if g[2] == gen]
        passes[f"gen{gen}"] = {"n": len(cpu), "cpu_ms": round(sum(cpu)), "max_ms": _pcts(cpu)[2]}
    events = sum(b[2] for b in batches)
    return {
        "create_to_queued_p50_p99_max_ms": _pcts([(c[1] - c[0]) * 1000 for c in contacts]),
        "gc": passes,
        "batches": len(batches),
        "events_per_batch": round(events / max(1, len(batches)), 1),
        "batch_ms_p50_p99_max": _pcts([(b[1] - b[0]) * 1000 for b in batches]),
        "writer_cpu_ms_per_event": round(1000 * sum(b[4] for b in batches) / max(1, events), 3),
        "settles": len(settles),
        "settle_ms_p50_p99_max": _pcts([(e - b) * 1000 for b, e, _ in settles]),
        "writer_cpu_ms_per_event_with_settles": round(
            1000 * (sum(b[4] for b in batches) + sum(c for *_, c in settles)) / max(1, events), 3
        ),
        "loop_late_over_20_50_ms": [sum(x > 20 for x in lags), sum(x > 50 for x in lags)],
        "snapshots_ms": [round((e - s) * 1000) for s, e in server["snapshots"]],
        "stages_p50_ms": stages(server.get("requests", []), lo, hi),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Summaries of traced server runs.")
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    for folder in args.folders:
        for kind in ("sqlite", "postgres"):
            if (folder / f"contacts-{kind}.json").exists():
                print(f"{folder.name} {kind}: {json.dumps(summary(folder, kind))}")


if __name__ == "__main__":
    main()
