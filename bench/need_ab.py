"""A/B benchmark of the likely reason's cost under the engine's lock (issue #15): two source
trees on the same center, each in its own process, in turns.

The center has ``--customers`` customers, each with one earlier contact with a disposition
on its timeline (put there directly in the directory: the setup, not timed), then
``--contacts`` contacts go through the real handlers (an SMS in, accepted, wrapped up with
a disposition; some customers first get a case or a failed payment). Every command that
receives or wraps up is timed (wall seconds of ``receive`` / ``wrap_up``, which hold the
engine's lock for nearly all of it); a command during which the model was trained (A:
retrained in the command) or a training started or swapped in (B: in a worker thread) is a
*refit command*. Reported per version: the first command that read the directory, the
refit commands, and the other wrap-ups and receives (median, p99, max, sum), B's cost of
one example as a contact closes, the process CPU seconds of the contacts (both threads),
and the ratio B/A of the lock time per refit and in all.

Run, with ``--a``/``--b`` the ``src`` folders of the two versions (for example
``git archive <base> src | tar -x -C /tmp/base``)::

    PYTHONPATH=src python bench/need_ab.py --a /tmp/base/src --b src [--customers 20000]

Writes ``bench/results/need-ab-<date>.json`` (machine, load averages, figures, ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OTHER = ("balance", "card_lost", "loan_rate", "address_change", "other")


def machine() -> dict[str, Any]:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
        "note": "shared machine (2 cores, several concurrent users): figures move with the load",
    }


class Gateway:
    def __init__(self) -> None:
        self.n = 0

    def new_external_id(self) -> str:
        self.n += 1
        return f"out-{self.n}"

    async def send(self, reply: Any) -> None:
        del reply


def _summary(times: list[float]) -> dict[str, Any]:
    if not times:
        return {"n": 0}
    ordered = sorted(times)
    return {
        "n": len(times),
        "median_ms": round(statistics.median(ordered) * 1e3, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3, 3),
        "max_ms": round(ordered[-1] * 1e3, 3),
        "sum_s": round(sum(ordered), 3),
    }


async def _child(customers: int, contacts: int, seed: int) -> dict[str, Any]:
    from kefu.bootstrap import build_simulation
    from kefu.config import Settings
    from kefu.domain.customers import ContactRef, Identifier, IdentifierKind, Product
    from kefu.domain.model import AgentSpec, Channel, QueueSpec
    from kefu.service.cases import OpenCase
    from kefu.service.channels import Inbound, RecordProductEvent, RecordProducts
    from kefu.service.routing import commands as c

    rng = random.Random(seed)
    sim = build_simulation(Settings(env="test"))
    async with sim:
        e = sim.engine.execute
        need = sim.platform.app.state.need
        directory = sim.channels.state.directory
        start = sim.clock.now()
        phones = [f"+86139{n:08d}" for n in range(customers)]
        for n, phone in enumerate(phones):
            customer_id = directory.create(at=start)
            directory.add_identifier(customer_id, Identifier(IdentifierKind.PHONE, phone), at=start)
            ref = ContactRef(f"old-{n}", "sms", start - rng.uniform(1, 60) * 86_400, "",
                             rng.choice(OTHER), None)  # fmt: skip
            directory.record_contact(customer_id, ref, at=start)
        await e(c.CreateSite("sh", "上海"))  # stores the setup's events
        await e(c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=120), "sh"))
        await e(c.DefineAgent(AgentSpec("a1", site_id="sh", capacity={Channel.SMS: 50})))
        await e(c.SetAgentState("a1", "ready"))
        sim.channels.set_gateway(Channel.SMS, Gateway())
        callers = phones[: max(50, contacts // 4)]
        state = {"model": None, "training": False}
        first: list[float] = []
        refits: list[float] = []
        wraps: list[float] = []
        receives: list[float] = []

        def changed() -> bool:
            now = (id(need.model), bool(getattr(need, "training", False)))
            before = (state["model"], state["training"])
            state["model"], state["training"] = now
            return now != before and (now[0] != before[0] or now[1])

        def loaded() -> bool:  # B reads the directory once; A when it first trains
            if hasattr(need, "_examples"):
                return need._examples is not None
            return need.model is not None

        hook_times: list[float] = []
        hooks = getattr(sim.channels.core, "closed", [])
        for i, hook in enumerate(hooks):  # B: the example computed as a contact closes

            def timed(tx: Any, customer_id: str, ref: Any, hook: Any = hook) -> None:
                t0 = time.perf_counter()
                hook(tx, customer_id, ref)
                hook_times.append(time.perf_counter() - t0)

            hooks[i] = timed
        changed()
        cpu0 = time.process_time()
        for n in range(contacts):
            phone = rng.choice(callers)
            ident = Identifier(IdentifierKind.PHONE, phone)
            owner = directory.find(ident)
            assert owner is not None
            label = rng.choice(OTHER)
            roll = rng.random()
            if roll < 0.15:
                await e(OpenCase("mortgage", "申请", by="bench", site_id="sh",
                                 customer_id=owner.customer_id))  # fmt: skip
                label = "case_progress"
            elif roll < 0.3:
                number = f"6222{int(phone[-8:]):012d}"
                card = Product.checked(owner.customer_id, number, "card")
                await e(RecordProducts((card,), "bench"))
                await e(RecordProductEvent(owner.customer_id, number, "payment_failed", "bench"))
                label = "payment_failed"
            sim.clock.advance(rng.uniform(600, 7200))
            inbound = Inbound(Channel.SMS, (ident,), "你好", sim.clock.now(), f"in-{n}")
            was_loaded = loaded()
            t0 = time.perf_counter()
            receipt = await sim.channels.receive(inbound)
            took = time.perf_counter() - t0
            (first if not was_loaded else refits if changed() else receives).append(took)
            changed()
            contact = sim.engine.router.contacts[receipt.contact_id]
            if contact.offer_id is not None and contact.agent_id == "a1":
                await e(c.AcceptOffer(contact.contact_id, contact.offer_id, "a1"))
            t0 = time.perf_counter()
            await sim.channels.wrap_up("a1", receipt.conversation_id, label)
            took = time.perf_counter() - t0
            (refits if changed() else wraps).append(took)
            await sim.settle()
            changed()
        waiting = getattr(need, "trained", None)
        if waiting is not None:
            await waiting()
        return {
            "cpu_s": round(time.process_time() - cpu0, 3),
            "example_at_close": _summary(hook_times),
            "first_read": _summary(first),
            "refit_commands": _summary(refits),
            "wrap_ups": _summary(wraps),
            "receives": _summary(receives),
            "lock_s_all": round(sum(first + refits + wraps + receives), 3),
            "mode": None if need.model is None else need.model.mode,
        }


def _run(src: str, customers: int, contacts: int, seed: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": src}
    argv = [sys.executable, __file__, "--child", "--customers", str(customers)]
    argv += ["--contacts", str(contacts), "--seed", str(seed)]
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _per_refit(r: dict[str, Any]) -> float:
    refits = r["refit_commands"]
    return float(refits["sum_s"]) / refits["n"] if refits["n"] else 0.0


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--a", help="src folder of version A (the base)")
    p.add_argument("--b", help="src folder of version B (the change)")
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--contacts", type=int, default=1500)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--runs", type=int, default=1, help="processes per version, in turns")
    args = p.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.customers, args.contacts, args.seed))))
        return
    facts = machine()
    runs: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    for _ in range(args.runs):
        for side in ("a", "b"):
            result = _run(getattr(args, side), args.customers, args.contacts, args.seed)
            runs[side].append(result)
            print(side, json.dumps(result), f"load {os.getloadavg()[0]:.1f}", flush=True)
    a, b = runs["a"][-1], runs["b"][-1]
    ratios = {
        "lock_per_refit_b_over_a": round(_per_refit(b) / max(1e-9, _per_refit(a)), 4),
        "first_read_b_over_a": round(
            b["first_read"]["sum_s"] / max(1e-9, a["first_read"]["sum_s"]), 4
        ),
        "lock_all_b_over_a": round(b["lock_s_all"] / max(1e-9, a["lock_s_all"]), 4),
        "wrap_up_median_b_over_a": round(
            b["wrap_ups"]["median_ms"] / max(1e-9, a["wrap_ups"]["median_ms"]), 4
        ),
    }
    print("ratios B/A:", json.dumps(ratios))
    out = BENCH / "results" / f"need-ab-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    record = {
        "bench": "need_ab",
        "date": datetime.now(UTC).isoformat(),
        "machine": {**facts, "loadavg_at_end": os.getloadavg()},
        "parameters": {
            "customers": args.customers,
            "contacts": args.contacts,
            "seed": args.seed,
            "runs": args.runs,
        },
        "a": runs["a"],
        "b": runs["b"],
        "ratios": ratios,
    }
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
