"""Case list queries over many cases: p50/p99 of the queries ``GET /api/v1/cases`` runs under
the engine's lock (:func:`kefu.service.cases.list_cases`), on a case store loaded from a
generated log of N cases (default 1,000,000; issue #15 asks p99 < 50 ms).

The log: 4 sites, 200,000 customers (5 cases each), 500 agents owning them, the four
default case types, states spread over the transition table (about 1 in 1,000 reopened).
The store is loaded as a restart loads it (:meth:`CaseStore.load`); the HTTP layer is not
measured. Customer names come from a customer directory of the 200,000 customers (名字 客户N),
searched as the API searches it. Each query is timed in wall time and in the CPU time of
this thread (the machine is shared: wall time includes waiting for a core). Prints one line
per query and writes bench/results/case-lists-<date>.json with the machine and its load.
Runs against older trees too (a name looked up per case, clocks computed at load), for A/B runs.

    PYTHONPATH=src python bench/case_lists.py [--cases 1000000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import CaseBook, CaseState
from kefu.domain.cases.events import case_event_to_dict
from kefu.domain.customers import CustomerDirectory
from kefu.service.cases import DEFAULT_POLICY, DEFAULT_TYPES, CaseStore, list_cases
from kefu.service.channels import ChannelRecord
from kefu.service.security import Principal, Role

ROOT = Path(__file__).resolve().parent.parent
START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
SITES = ("sh", "bj", "gz", "cd")
CALENDAR = BusinessCalendar.weekdays("Asia/Shanghai", "09:00-18:00")
PATHS: tuple[tuple[tuple[CaseState, dict[str, str]], ...], ...] = (
    (),
    ((CaseState.OPEN, {}),),
    ((CaseState.OPEN, {}), (CaseState.WAITING_ON_CUSTOMER, {"reason": "材料"})),
    ((CaseState.WAITING_ON_DEPARTMENT, {"reason": "审批", "department": "loans"}),),
    ((CaseState.RESOLVED, {"reason": "ok", "root_cause": "系统", "resolution": "修复"}),),
    (
        (CaseState.RESOLVED, {"reason": "ok", "root_cause": "流程", "resolution": "说明"}),
        (CaseState.CLOSED, {"reason": "确认"}),
    ),
)


def machine() -> dict[str, Any]:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "note": "shared machine (2 cores, several concurrent users): figures move with the load",
    }


def build(n: int, seed: int = 15) -> CaseStore:
    rng = random.Random(seed)
    book = CaseBook(DEFAULT_TYPES)
    types = [t.type_id for t in DEFAULT_TYPES]
    at = START
    for i in range(n):
        at += 30.0
        case_id = str(i + 1)
        kind = types[i % len(types)]
        book.new_case(
            case_id, kind, at, site_id=rng.choice(SITES), title=f"工单 {i}", by="bench",
            customer_id=f"cus-{rng.randrange(n // 5 or 1)}", value_tier=rng.choice((0, 0, 0, 1, 2)),
            owner=("agent", f"a{rng.randrange(500)}"),
        )  # fmt: skip
        for state, extra in PATHS[rng.randrange(len(PATHS))]:
            book.move(case_id, state, at, by="bench", **extra)
        if rng.random() < 0.001 and book.case(case_id).state is CaseState.RESOLVED:
            book.move(case_id, CaseState.REOPENED, at, by="bench", reason="客户再次来电")
    records = [
        ChannelRecord(k, e.at, "case", type(e).__name__, e.case_id, case_event_to_dict(e))
        for k, e in enumerate(book.log, 1)
    ]
    store = CaseStore(lambda *_: None, DEFAULT_TYPES, DEFAULT_POLICY, lambda _site: CALENDAR)
    store.load(records)
    warm = getattr(store, "warm", None)  # the list index's clocks (a restart's reconcile)
    if warm is not None:
        warm()
    return store


def rss_mib() -> int:
    """The resident memory of this process now (MiB)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20)


def directory_of(n_customers: int) -> CustomerDirectory:
    """A customer directory of the bench's customers (``cus-N`` named 客户N)."""
    directory = CustomerDirectory()
    for k in range(n_customers):
        directory.create(at=START, name=f"客户{k}", customer_id=f"cus-{k}")
    return directory


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    """p50/p99/max of ``repeat`` calls: wall and this thread's CPU time (ms)."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        cpus.append((time.thread_time() - c0) * 1000)
        walls.append((time.perf_counter() - t0) * 1000)
    out: dict[str, float] = {}
    for label, times in (("", walls), ("cpu_", cpus)):
        times.sort()
        out[f"{label}p50_ms"] = round(times[len(times) // 2], 3)
        out[f"{label}p99_ms"] = round(times[min(len(times) - 1, int(len(times) * 0.99))], 3)
        out[f"{label}max_ms"] = round(times[-1], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", type=Path, help="write the record here instead")
    args = parser.parse_args()
    record: dict[str, Any] = {
        "benchmark": "case-lists",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": vars(args),
    }
    t0, c0 = time.perf_counter(), time.process_time()
    store = build(args.cases)
    record["load_s"] = round(time.perf_counter() - t0, 1)
    record["load_cpu_s"] = round(time.process_time() - c0, 1)
    record["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    gc.collect()
    record["rss_after_load_mib"] = rss_mib()
    # A server that restored its state freezes it: the collector no longer walks the
    # million cases at every full collection (pauses that are not the query's).
    gc.freeze()
    print(f"{args.cases:,} cases built and loaded in {record['load_s']} s "
          f"({record['load_cpu_s']} s CPU), "
          f"{record['rss_after_load_mib']} MiB resident")  # fmt: skip
    directory = directory_of(max(1, args.cases // 5))
    by_name: dict[str, Any] = {"names": directory}
    if not hasattr(directory, "named"):  # an older tree: a name per case, as its API did
        by_name = {"names": lambda c: directory.get(c).name}
    now = START + args.cases * 30.0 + 3600
    admin = Principal("u0", "root", Role.ADMIN, frozenset())
    lead = Principal("u1", "lead", Role.SUPERVISOR, frozenset({"sh"}))
    rng = random.Random(7)
    by_customer = getattr(store, "by_customer", None)
    customers = list(by_customer if by_customer is not None else store.index.customer.numbers.of)

    def team() -> set[str]:
        return {f"a{rng.randrange(500)}" for _ in range(3)}

    queries: dict[str, Callable[[], Any]] = {
        "newest 50 (admin)": lambda: list_cases(store, admin, now),
        "newest 50 of one site (supervisor)": lambda: list_cases(store, lead, now),
        "one customer's cases": lambda: list_cases(
            store, lead, now, customer_id=rng.choice(customers)
        ),
        "my cases (owner), open": lambda: list_cases(
            store, admin, now, owner=f"a{rng.randrange(500)}", open_only=True
        ),
        "open complaints of one site": lambda: list_cases(
            store, lead, now, case_type="complaint", open_only=True
        ),
        "reopened (rare, by the state index)": lambda: list_cases(
            store, admin, now, state="reopened"
        ),
        "500 open faults of one site": lambda: list_cases(
            store, lead, now, case_type="fault", state=None, open_only=True, limit=500
        ),
        "my team's cases (3 owners), page 2": lambda: list_cases(
            store, lead, now, owners=team(), offset=50
        ),
        "my team's cases, breached": lambda: list_cases(
            store, lead, now, owners=team(), breached=True
        ),
        "my team's cases, title search": lambda: list_cases(
            store, lead, now, owners=team(), query=f"工单 {rng.randrange(10)}"
        ),
        "one case by #id (admin)": lambda: list_cases(
            store, admin, now, query=f"#{rng.randrange(1, args.cases)}"
        ),
        "breached, one site, page 3": lambda: list_cases(
            store, lead, now, breached=True, offset=100
        ),
        "title search, no scope (the newest 20,000 cases; rare text)": lambda: list_cases(
            store, admin, now, query="工单 99999"
        ),
        "title or customer name search, no scope (as the API asks)": lambda: list_cases(
            store, admin, now, query="工单 99999", **by_name
        ),
        "customer name search, no scope (as the API asks)": lambda: list_cases(
            store, admin, now, query=f"客户{rng.randrange(len(customers))}", **by_name
        ),
        "my cases, customer name search": lambda: list_cases(
            store, admin, now, owner=f"a{rng.randrange(500)}", query="客户12", **by_name
        ),
    }
    # The first name search builds the directory's name index (once per process).
    t0, c0 = time.perf_counter(), time.thread_time()
    list_cases(store, admin, now, query="客户7", **by_name)
    record["first_name_search"] = {
        "wall_ms": round((time.perf_counter() - t0) * 1000, 1),
        "cpu_ms": round((time.thread_time() - c0) * 1000, 1),
    }
    print(f"first customer name search (builds the name index): {record['first_name_search']}")
    record["queries"] = {}
    for name, query in queries.items():
        figures = timed(query, args.repeat)
        record["queries"][name] = figures
        print(f"case list, {name}, {args.cases:,} cases: p50 {figures['p50_ms']} ms, "
              f"p99 {figures['p99_ms']} ms wall; CPU p50 {figures['cpu_p50_ms']} ms, "
              f"p99 {figures['cpu_p99_ms']} ms")  # fmt: skip
    record["machine"]["loadavg_at_end"] = os.getloadavg()
    if args.json is not None:
        args.json.write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n")
    elif not args.no_write:
        out = ROOT / "bench" / "results" / f"case-lists-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
