"""The likely reason of the next contact: backtest of the rules against the naive Bayes
classifier trained on the center's own dispositions (issue #15, "anticipating the need").

A generated center goes through the real handlers (a simulation: SMS in, an agent
accepts, wraps up with a disposition): customers get cases (mortgage applications,
complaints), product events (failed payments, bills) and come back about them in the
center's own words ("case_progress", "billing_question"), which are not the rules'
("case_status", "billing"), or about what they called about last time; the rest call about
anything. :class:`~kefu.service.cases.NeedPredictor` then trains on every wrapped-up
contact; the backtest (first 70 % by time to train, the rest to test) reports the accuracy
of the rules alone, of the classifier alone, of both (rules where one fires) and of the
majority disposition (the baseline), the mode kept, and the cost of a fit and of one
prediction. Writes bench/results/need-<date>.json with the machine and its load.

    PYTHONPATH=src python bench/need.py [--contacts 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kefu.bootstrap import build_simulation
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind, Product
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.cases import NeedPredictor, OpenCase, labelled_examples
from kefu.service.channels import Inbound, RecordProductEvent, RecordProducts
from kefu.service.routing import commands as c

ROOT = Path(__file__).resolve().parent.parent
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


async def generate(contacts: int, seed: int) -> tuple[Any, NeedPredictor, float]:
    """The simulated center after ``contacts`` wrapped-up contacts; its predictor; the
    seconds the generation took."""
    rng = random.Random(seed)
    sim = build_simulation(Settings(env="test"))
    started = time.perf_counter()
    async with sim:
        e = sim.engine.execute
        await e(c.CreateSite("sh", "上海"))
        await e(c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=120), "sh"))
        await e(c.DefineAgent(AgentSpec("a1", site_id="sh", capacity={Channel.SMS: 50})))
        await e(c.SetAgentState("a1", "ready"))
        sim.channels.set_gateway(Channel.SMS, Gateway())
        customers = [f"+86139{n:08d}" for n in range(max(20, contacts // 6))]
        last: dict[str, str] = {}
        for n in range(contacts):
            phone = rng.choice(customers)
            ident = Identifier(IdentifierKind.PHONE, phone)
            owner = sim.channels.state.directory.find(ident)
            label = None
            if owner is not None:
                roll = rng.random()
                if roll < 0.18:  # a mortgage application or a complaint opens a case
                    kind = rng.choice(("application", "complaint"))
                    case_type = "mortgage" if kind == "application" else "complaint"
                    await e(OpenCase(case_type, "申请", by="bench", site_id="sh",
                                     customer_id=owner.customer_id))  # fmt: skip
                    label = "case_progress" if rng.random() < 0.75 else None
                elif roll < 0.33:
                    number = f"6222{int(phone[-8:]):012d}"
                    card = Product.checked(owner.customer_id, number, "card")
                    await e(RecordProducts((card,), "bench"))
                    event = rng.choice(("payment_failed", "bill_issued"))
                    await e(RecordProductEvent(owner.customer_id, number, event, "bench"))
                    wanted = "payment_failed" if event == "payment_failed" else "billing_question"
                    label = wanted if rng.random() < 0.8 else None
                elif roll < 0.55 and phone in last:
                    label = last[phone]
            label = label or rng.choice(OTHER)
            sim.clock.advance(rng.uniform(600, 7200))
            inbound = Inbound(Channel.SMS, (ident,), "你好", sim.clock.now(), f"in-{n}")
            receipt = await sim.channels.receive(inbound)
            contact = sim.engine.router.contacts[receipt.contact_id]
            if contact.offer_id is not None and contact.agent_id == "a1":
                await e(c.AcceptOffer(contact.contact_id, contact.offer_id, "a1"))
            await sim.channels.wrap_up("a1", receipt.conversation_id, label)
            last[phone] = label
            await sim.settle()
        elapsed = time.perf_counter() - started
        need: NeedPredictor = sim.platform.app.state.need
        return sim, need, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    facts = machine()
    sim, need, generated_s = asyncio.run(generate(args.contacts, args.seed))
    router = sim.engine.router
    t0 = time.perf_counter()
    report = need.fit(router)
    fit_s = time.perf_counter() - t0
    examples = labelled_examples(router, need.state, need.store)
    test = examples[report.trained :]
    majority = Counter(x.label for x in examples[: report.trained]).most_common(1)[0][0]
    baseline = sum(x.label == majority for x in test) / max(1, len(test))
    customers = [cu.customer_id for cu in need.state.directory.customers()]
    now = sim.clock.now()
    t0 = time.perf_counter()
    for customer_id in customers:
        need.predict(router, customer_id, now)
    predict_us = (time.perf_counter() - t0) / max(1, len(customers)) * 1e6
    figures = {
        **report.to_json(),
        "examples": len(examples),
        "majority_label": majority,
        "majority_accuracy": round(baseline, 4),
        "fit_s": round(fit_s, 3),
        "predict_us": round(predict_us, 1),
        "generation_s": round(generated_s, 1),
    }
    print(f"likely reason backtest over {len(examples)} wrapped-up contacts "
          f"({report.trained} train / {report.tested} test):")  # fmt: skip
    for name in ("rules", "classifier", "hybrid"):
        print(f"  {name:<10} accuracy {figures[f'{name}_accuracy']}")
    print(f"  majority   accuracy {figures['majority_accuracy']} ({majority})")
    print(f"  rules fire on {figures['rules_coverage']} of the test contacts; mode kept: "
          f"{report.mode}")  # fmt: skip
    print(f"  fit {fit_s:.3f} s, one prediction {predict_us:.0f} µs; load {os.getloadavg()[0]:.1f}")
    out = ROOT / "bench" / "results" / f"need-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    record = {
        "bench": "need",
        "date": datetime.now(UTC).isoformat(),
        "machine": {**facts, "loadavg_at_end": os.getloadavg()},
        "parameters": {"contacts": args.contacts, "seed": args.seed},
        "figures": figures,
    }
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
