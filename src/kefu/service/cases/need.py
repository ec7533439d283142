"""The likely reason of a customer's next contact (:mod:`kefu.domain.customers.need`) from
what the center knows: the customer's cases (case book), contacts with their dispositions
and IVR self-service (directory timeline, router), and product events (customer record).

:class:`NeedPredictor` trains the model on the center's own dispositions: each contact put
on a timeline with a disposition is an example, its signals as of just before it. The
examples are collected as contacts close (:meth:`NeedPredictor.closed`, one customer's
signals in the closing command's transaction) into a deque of the latest
``max_examples``; only the first prediction after a (re)start reads them from the whole
directory, once. After ``refit_every`` new examples (or a fifth of those it last trained
on, if more) it trains again in a worker thread over a copy of the examples and swaps the
model in when done: predictions keep the previous model meanwhile (the rules alone before
the first training ends), at most one training runs at a time, and a failing one is logged
and keeps the old model. It gives each new contact the attributes ``likely_reason`` and
``likely_reason.why`` (the signal and its evidence: ``open_case:c12``), so the screen pop
shows them, flows test them (the IVR's ``likely_reason`` action) and routing can use them.
Times are seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kefu.domain.cases import CaseKind, CaseState
from kefu.domain.customers import ContactRef, mask_number
from kefu.domain.customers.need import (
    DEFAULT_NEED_RULES,
    NON_REASONS,
    Backtest,
    Example,
    NeedModel,
    NeedRule,
    Prediction,
    Signals,
    examples_of,
)
from kefu.domain.routing import Router
from kefu.service.cases.store import CaseStore
from kefu.service.channels.state import ChannelState
from kefu.service.transaction import Transaction

__all__ = [
    "LIKELY_REASON",
    "LikelyReason",
    "NeedPredictor",
    "Trainer",
    "labelled_examples",
    "need_signals",
]

log = logging.getLogger(__name__)
DAY_S = 86_400.0
LIKELY_REASON = "likely_reason"
"""The contact attribute (and the IVR action) naming the likely reason."""
IVR_OK = frozenset({"ok", "blocked", "already_blocked", "done", "sent"})
IVR_GAVE_UP = frozenset({"retries_exhausted", "verification_failed", "max_visits"})
CLOSED = (CaseState.RESOLVED, CaseState.CLOSED)
Trainer = Callable[[Sequence[Example], tuple[NeedRule, ...]], tuple[NeedModel, Backtest]]
"""(examples, rules) → the model and its backtest; runs in a worker thread."""


def _state_at(history: tuple[tuple[float, CaseState], ...], at: float) -> CaseState | None:
    found = None
    for when, state in history:
        if when >= at:
            break
        found = state
    return found


def need_signals(
    router: Router, state: ChannelState, store: CaseStore, customer_id: str, at: float
) -> Signals:
    """The live customer's signals as of ``at`` (what happened strictly before)."""
    directory = state.directory
    live = directory.resolve(customer_id)
    ids = directory.identities(live)
    out: dict[str, str] = {}
    complaint_types = {t for t, kind in store.book.types.items() if kind.kind is CaseKind.COMPLAINT}
    newest_open = -1.0
    for case_id in store.cases_of(ids):
        case = store.book.cases[case_id]
        now_state = _state_at(case.history, at)
        if now_state is None:
            continue
        complaint = case.case_type in complaint_types
        if complaint and at - case.opened_at <= 30 * DAY_S:
            out["complaint_30d"] = case.case_id
        if now_state not in CLOSED:
            if case.opened_at > newest_open:
                newest_open = case.opened_at
                out["open_case"] = case.case_id
            out[f"open_case:{case.case_type}"] = case.case_id
            if complaint:
                out["open_complaint"] = case.case_id
    last: tuple[float, str] | None = None
    for ref in directory.timeline(live):
        if ref.at >= at:
            continue
        if ref.outcome and at - ref.at <= 14 * DAY_S and (last is None or ref.at > last[0]):
            last = (ref.at, ref.outcome)
        contact = router.contacts.get(ref.contact_id)
        if contact is None or at - ref.at > 3 * DAY_S:
            continue
        attrs = contact.attributes
        for attempt in str(attrs.get("ivr.self_service", "")).split(";"):
            action, _, outcome = attempt.partition("=")
            if outcome and outcome not in IVR_OK and action != LIKELY_REASON:
                out["ivr_failure"] = f"{action}={outcome}"
        if attrs.get("ivr.reason") in IVR_GAVE_UP:
            out.setdefault("ivr_failure", str(attrs.get("ivr.reason")))
    if last is not None:
        out[f"last:{last[1]}"] = last[1]
    for event in directory.profiles.product_events(live):
        if event.at < at and at - event.at <= 14 * DAY_S:
            out[f"product:{event.kind}"] = mask_number(event.number)
    return Signals(out)


def labelled_examples(
    router: Router, state: ChannelState, store: CaseStore, *, limit: int | None = None
) -> list[Example]:
    """Contacts with a disposition (an outcome that is a reason), each with its signals as
    of just before it, by time; with ``limit``, only the latest ``limit`` of them (their
    signals are the costly part). Reads every customer's timeline."""
    directory = state.directory
    found = [
        (ref.at, customer.customer_id, ref.outcome)
        for customer in directory.customers()
        for ref in directory.timeline(customer.customer_id)
        if ref.outcome and ref.outcome not in NON_REASONS
    ]
    found.sort(key=lambda row: row[0])
    if limit is not None:
        found = found[-limit:]
    items = [
        (need_signals(router, state, store, customer_id, at), outcome, at)
        for at, customer_id, outcome in found
    ]
    return examples_of(items)


def explain(prediction: Prediction) -> str:
    """``signal:evidence`` (``open_case:c12``), the ``likely_reason.why`` attribute."""
    if prediction.evidence and prediction.evidence != prediction.reason:
        return f"{prediction.signal}:{prediction.evidence}"
    return prediction.signal


@dataclass(frozen=True, slots=True)
class LikelyReason:
    """The prediction as callers see it (``None`` when no signal names a reason), every
    signal present with its evidence, the mode the backtest chose (``None`` before the
    first training), that backtest and the rules."""

    prediction: Prediction | None
    signals: Signals
    mode: str | None
    backtest: Backtest | None
    rules: tuple[NeedRule, ...]

    @property
    def reason(self) -> str | None:
        return None if self.prediction is None else self.prediction.reason

    @property
    def signal(self) -> str | None:
        return None if self.prediction is None else self.prediction.signal

    @property
    def evidence(self) -> str | None:
        return None if self.prediction is None else self.prediction.evidence

    def to_json(self) -> dict[str, Any]:
        found = self.prediction
        return {
            "reason": self.reason,
            "source": None if found is None else found.source,
            "signal": self.signal,
            "evidence": self.evidence,
            "confidence": None if found is None else found.confidence,
            "signals": dict(self.signals.evidence),
            "mode": self.mode,
            "backtest": None if self.backtest is None else self.backtest.to_json(),
            "rules": [r.describe() for r in self.rules],
        }


class NeedPredictor:
    """The model of one center: examples collected as contacts close, trained in a
    worker thread at the first prediction and again after ``refit_every`` new examples."""

    def __init__(
        self,
        state: ChannelState,
        store: CaseStore,
        rules: tuple[NeedRule, ...] = DEFAULT_NEED_RULES,
        refit_every: int = 50,
        max_examples: int = 3000,
        trainer: Trainer = NeedModel.train,
    ) -> None:
        self.state = state
        self.store = store
        self.rules = rules
        self.refit_every = refit_every
        self.max_examples = max_examples
        self.trainer = trainer
        self.model: NeedModel | None = None
        self.report: Backtest | None = None
        self._examples: deque[Example] | None = None
        self._training: asyncio.Future[tuple[NeedModel, Backtest]] | None = None
        self._since_fit = 0
        self._refit_at = refit_every
        self._started = False

    @property
    def examples(self) -> tuple[Example, ...] | None:
        """The latest ``max_examples`` examples in the order they were learnt (``None``
        until they are first read from the directory)."""
        return None if self._examples is None else tuple(self._examples)

    @property
    def training(self) -> bool:
        """Whether a training runs in the worker thread now."""
        return self._training is not None

    def load(self, router: Router) -> None:
        """Read the latest ``max_examples`` examples from every customer's timeline (once
        after a start: from then on :meth:`closed` adds each new one)."""
        found = labelled_examples(router, self.state, self.store, limit=self.max_examples)
        self._examples = deque(found, maxlen=self.max_examples)

    def fit(self, router: Router) -> Backtest:
        """Train now, in the caller's thread, on the examples (read first if need be);
        the backtest decides where the classifier is used."""
        if self._examples is None:
            self.load(router)
        assert self._examples is not None
        examples = list(self._examples)
        self._since_fit, self._started = 0, True
        self._install(len(examples), *self.trainer(examples, self.rules))
        assert self.report is not None
        return self.report

    def _install(self, trained_on: int, model: NeedModel, report: Backtest) -> None:
        self.model, self.report = model, report
        # A training reads every example: wait for a fifth more of them.
        self._refit_at = max(self.refit_every, trained_on // 5)

    def retrain(self, router: Router) -> None:
        """Start a training now (in a worker thread when a loop runs), unless one runs."""
        if self._examples is None:
            self.load(router)
        self._start_training()

    def _start_training(self) -> None:
        """Train over a copy of the examples in the loop's worker threads (without a
        running loop: here and now); never two at once."""
        if self._training is not None or self._examples is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        examples = list(self._examples)
        self._since_fit, self._started = 0, True
        if loop is None:
            self._install(len(examples), *self.trainer(examples, self.rules))
            return
        self._training = loop.run_in_executor(None, self.trainer, examples, self.rules)
        self._training.add_done_callback(partial(self._trained, len(examples)))

    def _trained(self, trained_on: int, done: asyncio.Future[tuple[NeedModel, Backtest]]) -> None:
        self._training = None
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            log.error("the likely reason model kept: training failed", exc_info=error)
            return
        self._install(trained_on, *done.result())

    async def trained(self) -> None:
        """Wait for the running training, if any, to end (its model swapped in)."""
        while self._training is not None:
            await asyncio.wait({self._training})
            await asyncio.sleep(0)

    def predict(
        self, router: Router, customer_id: str, at: float
    ) -> tuple[Prediction | None, Signals]:
        """The prediction with the current model (the rules alone before the first
        training ends); starts a training when one is due."""
        if self._examples is None:
            self.load(router)
        # A failed first training is tried again after ``refit_every`` new examples.
        if not self._started or self._since_fit >= self._refit_at:
            self._start_training()
        model = self.model or NeedModel(self.rules)
        signals = need_signals(router, self.state, self.store, customer_id, at)
        return model.predict(signals), signals

    def attributes(self, tx: Transaction, customer_id: str) -> dict[str, str]:
        """The new contact's ``likely_reason`` and ``likely_reason.why`` (none: empty).
        A failing prediction is logged and gives nothing: it never refuses a contact."""
        try:
            found, _ = self.predict(tx.router, customer_id, tx.now)
        except Exception:
            log.exception("no likely reason for customer %s", customer_id)
            return {}
        if found is None:
            return {}
        return {LIKELY_REASON: found.reason, f"{LIKELY_REASON}.why": explain(found)[:200]}

    def closed(self, tx: Transaction, customer_id: str, ref: ContactRef) -> None:
        """A contact of the live customer put on the timeline with its outcome: its example
        (the customer's signals as of just before it) joins the examples once the command
        is stored. Before the examples are read from the directory, they hold it already.
        A failure is logged: it never refuses the command."""
        outcome = ref.outcome
        if self._examples is None or not outcome or outcome in NON_REASONS:
            return
        try:
            signals = need_signals(tx.router, self.state, self.store, customer_id, ref.at)
        except Exception:
            log.exception("no example of contact %s", ref.contact_id)
            return
        tx.then(partial(self._learn, Example(signals, outcome, ref.at)))

    def _learn(self, example: Example) -> None:
        if self._examples is None:
            return
        self._examples.append(example)
        self._since_fit += 1
        if self._started and self._since_fit >= self._refit_at:
            self._start_training()

    def view(self, router: Router, customer_id: str, at: float) -> LikelyReason:
        """The prediction as callers see it: reason, source, the signal and its evidence,
        every signal present, and the backtest that chose the mode."""
        found, signals = self.predict(router, customer_id, at)
        mode = None if self.model is None else self.model.mode
        return LikelyReason(found, signals, mode, self.report, self.rules)
