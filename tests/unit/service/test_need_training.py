"""The likely-reason model learns off the engine's lock: each closing contact adds its one
example (the same as reading the whole directory would give), training runs in a worker
thread over a copy of the examples while predictions keep the previous model, one training
at a time, and a failing training keeps the old model."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from kefu.bootstrap import build_simulation
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind, Product
from kefu.domain.customers.need import Backtest, Example, NeedModel, NeedRule
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.cases import NeedPredictor, OpenCase, labelled_examples
from kefu.service.channels import Inbound, RecordProductEvent, RecordProducts
from kefu.service.routing import commands as c

OTHER = ("balance", "card_lost", "loan_rate")


class Gateway:
    def __init__(self) -> None:
        self.n = 0

    def new_external_id(self) -> str:
        self.n += 1
        return f"out-{self.n}"

    async def send(self, reply: Any) -> None:
        del reply


class Center:
    """A simulated center whose customers text, get cases and product events, and are
    wrapped up with a disposition, one contact after the other."""

    def __init__(self, sim: Any, seed: int) -> None:
        self.sim = sim
        self.rng = random.Random(seed)
        self.phones = [f"+86139{n:08d}" for n in range(12)]
        self.n = 0

    async def open(self) -> None:
        e = self.sim.engine.execute
        await e(c.CreateSite("sh", "上海"))
        await e(c.DefineQueue(QueueSpec("sms", Channel.SMS, aht_s=120), "sh"))
        await e(c.DefineAgent(AgentSpec("a1", site_id="sh", capacity={Channel.SMS: 50})))
        await e(c.SetAgentState("a1", "ready"))
        self.sim.channels.set_gateway(Channel.SMS, Gateway())

    async def contact(self) -> None:
        sim, rng, e = self.sim, self.rng, self.sim.engine.execute
        phone = rng.choice(self.phones)
        ident = Identifier(IdentifierKind.PHONE, phone)
        owner = sim.channels.state.directory.find(ident)
        label = rng.choice(OTHER)
        roll = rng.random()
        if owner is not None and roll < 0.2:
            case_type = rng.choice(("mortgage", "complaint"))
            customer_id = owner.customer_id
            await e(OpenCase(case_type, "申请", by="t", site_id="sh", customer_id=customer_id))
            label = "case_progress"
        elif owner is not None and roll < 0.4:
            number = f"6222{int(phone[-8:]):012d}"
            card = Product.checked(owner.customer_id, number, "card")
            await e(RecordProducts((card,), "t"))
            await e(RecordProductEvent(owner.customer_id, number, "payment_failed", "t"))
            label = "payment_failed"
        sim.clock.advance(rng.uniform(600, 7200))
        self.n += 1
        inbound = Inbound(Channel.SMS, (ident,), "你好", sim.clock.now(), f"in-{self.n}")
        receipt = await sim.channels.receive(inbound)
        contact = sim.engine.router.contacts[receipt.contact_id]
        if contact.offer_id is not None and contact.agent_id == "a1":
            await e(c.AcceptOffer(contact.contact_id, contact.offer_id, "a1"))
        await sim.channels.wrap_up("a1", receipt.conversation_id, label)
        await sim.settle()


def need_of(sim: Any) -> NeedPredictor:
    need: NeedPredictor = sim.platform.app.state.need
    return need


def test_given_a_center_when_contacts_close_then_the_kept_examples_are_the_directory_ones() -> None:
    async def main() -> None:
        async with build_simulation(Settings(env="test")) as sim:
            need = need_of(sim)
            need.max_examples, need.refit_every = 25, 10
            center = Center(sim, seed=3)
            await center.open()
            for _ in range(70):
                await center.contact()
            await need.trained()
            kept = need.examples
            router = sim.engine.router
            state, store = need.state, need.store
            read = labelled_examples(router, state, store, limit=need.max_examples)
            assert kept is not None and len(kept) == need.max_examples
            assert list(kept) == read
            assert read[-1].at > read[0].at
            assert {e.label for e in kept} >= {"case_progress", "payment_failed"}
            # The model trained in the worker thread predicts as one trained here.
            need.retrain(router)
            assert need.training
            await need.trained()
            here, _ = NeedModel.train(read, need.rules)
            assert need.model is not None and need.model.mode == here.mode
            now = sim.clock.now()
            for customer in state.directory.customers():
                _, signals = need.predict(router, customer.customer_id, now)
                assert need.model.predict(signals) == here.predict(signals)

    asyncio.run(main())


def test_given_a_slow_training_when_contacts_come_then_they_keep_the_old_model() -> None:
    """Commands return while the training is blocked in its thread; one runs at a time."""
    release = threading.Event()
    running: list[int] = []
    most = [0]
    threads: set[int] = set()

    def slow(
        examples: Sequence[Example], rules: tuple[NeedRule, ...]
    ) -> tuple[NeedModel, Backtest]:
        running.append(1)
        most[0] = max(most[0], len(running))
        threads.add(threading.get_ident())
        try:
            assert release.wait(timeout=10)
            return NeedModel.train(examples, rules)
        finally:
            running.pop()

    async def main() -> None:
        async with build_simulation(Settings(env="test")) as sim:
            need = need_of(sim)
            need.refit_every = 5
            center = Center(sim, seed=5)
            await center.open()
            for _ in range(8):
                await center.contact()
            await need.trained()
            old = need.model
            assert old is not None
            need.trainer = slow
            for _ in range(20):  # several refits fall due while the first one runs
                await center.contact()
            assert need.training and running == [1]
            assert need.model is old
            release.set()
            await need.trained()
            assert need.model is not old
            assert most[0] == 1
            assert threading.get_ident() not in threads

    asyncio.run(main())


def test_given_a_failing_training_when_it_ends_then_the_old_model_is_kept_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(
        examples: Sequence[Example], rules: tuple[NeedRule, ...]
    ) -> tuple[NeedModel, Backtest]:
        del examples, rules
        raise RuntimeError("disk full")

    async def main() -> None:
        async with build_simulation(Settings(env="test")) as sim:
            need = need_of(sim)
            need.refit_every = 5
            center = Center(sim, seed=9)
            await center.open()
            for _ in range(6):
                await center.contact()
            await need.trained()
            old = need.model
            assert old is not None
            need.trainer = broken
            need.retrain(sim.engine.router)
            await need.trained()
            assert need.model is old
            await center.contact()  # the center goes on
            await need.trained()
            assert need.model is old

    with caplog.at_level(logging.ERROR, logger="kefu.service.cases.need"):
        asyncio.run(main())
    assert any("training failed" in r.getMessage() for r in caplog.records)
