"""The likely reason of a customer's next contact (:mod:`kefu.domain.customers.need`) from
what the center knows: the customer's cases (case book), contacts with their dispositions
and IVR self-service (directory timeline, router), and product events (customer record).

:class:`NeedPredictor` trains the model on the center's own dispositions (each wrapped-up
contact, its signals as of just before it; the latest ``max_examples`` of them, as
training runs in a command's transaction, under the engine's lock) and retrains after
``refit_every`` wrap-ups (or a fifth of the examples it last trained on, if more); it
gives each new contact the attributes ``likely_reason`` and ``likely_reason.why`` (the
signal and its evidence: ``open_case:c12``), so the screen pop shows them, flows test them
(the IVR's ``likely_reason`` action) and routing can use them. Runs under the engine's lock.
Times are seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kefu.domain.cases import CaseKind, CaseState
from kefu.domain.customers import mask_number
from kefu.domain.customers.need import (
    DEFAULT_NEED_RULES,
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

__all__ = ["LIKELY_REASON", "LikelyReason", "NeedPredictor", "labelled_examples", "need_signals"]

log = logging.getLogger(__name__)
DAY_S = 86_400.0
LIKELY_REASON = "likely_reason"
"""The contact attribute (and the IVR action) naming the likely reason."""
IVR_OK = frozenset({"ok", "blocked", "already_blocked", "done", "sent"})
IVR_GAVE_UP = frozenset({"retries_exhausted", "verification_failed", "max_visits"})
CLOSED = (CaseState.RESOLVED, CaseState.CLOSED)


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
    for case_id in set().union(*(store.by_customer.get(i, set()) for i in ids)):
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
    """Contacts with a disposition, each with its signals as of just before it, by time;
    with ``limit``, only the latest ``limit`` of them (their signals are the costly part)."""
    directory = state.directory
    found = [
        (ref.at, customer.customer_id, ref.outcome)
        for customer in directory.customers()
        for ref in directory.timeline(customer.customer_id)
        if ref.outcome
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
    """The model of one center, trained lazily and again after ``refit_every`` wrap-ups."""

    def __init__(
        self,
        state: ChannelState,
        store: CaseStore,
        rules: tuple[NeedRule, ...] = DEFAULT_NEED_RULES,
        refit_every: int = 50,
        max_examples: int = 3000,
    ) -> None:
        self.state = state
        self.store = store
        self.rules = rules
        self.refit_every = refit_every
        self.max_examples = max_examples
        self.model: NeedModel | None = None
        self.report: Backtest | None = None
        self._since_fit = 0
        self._refit_at = refit_every

    def fit(self, router: Router) -> Backtest:
        """Train on every labelled contact; the backtest decides where the classifier
        is used."""
        examples = labelled_examples(router, self.state, self.store, limit=self.max_examples)
        self.model, self.report = NeedModel.train(examples, self.rules)
        self._since_fit = 0
        # Retraining reads every labelled contact: wait for a fifth more of them.
        self._refit_at = max(self.refit_every, len(examples) // 5)
        return self.report

    def predict(
        self, router: Router, customer_id: str, at: float
    ) -> tuple[Prediction | None, Signals]:
        if self.model is None or self._since_fit >= self._refit_at:
            self.fit(router)
        assert self.model is not None
        signals = need_signals(router, self.state, self.store, customer_id, at)
        return self.model.predict(signals), signals

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

    async def wrapped_up(self, tx: Transaction, contact_id: str) -> None:
        del tx, contact_id
        self._since_fit += 1

    def view(self, router: Router, customer_id: str, at: float) -> LikelyReason:
        """The prediction as callers see it: reason, source, the signal and its evidence,
        every signal present, and the backtest that chose the mode."""
        found, signals = self.predict(router, customer_id, at)
        mode = None if self.model is None else self.model.mode
        return LikelyReason(found, signals, mode, self.report, self.rules)
