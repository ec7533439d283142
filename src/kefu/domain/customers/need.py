"""Anticipating the need: the likely reason of a customer's next contact, explained.

**Signals.** The customer's recent history, as of an instant, is a set of *signals*, each
with the evidence behind it (:class:`Signals`): ``open_case`` (→ the newest open case's
id), ``open_case:<type>``, ``open_complaint``, ``complaint_30d`` (a complaint opened in
the last 30 days), ``ivr_failure`` (a self-service attempt that failed, or an IVR that
gave up, in the last 3 days), ``product:<event>`` (a failed payment, a blocked card, a
bill, ... in the last 14 days; → the masked number) and ``last:<disposition>`` (the
disposition of the customer's last contact in the last 14 days). No signal is ``none``.

**Rules** (:class:`NeedRule`, data an admin reads with :meth:`NeedRule.describe`): the
first rule whose signal is present names the reason; a rule ``last:*`` → ``*`` names the
last contact's disposition (the customer comes back about the same thing).

**Classifier.** A multinomial naive Bayes over the signals (Laplace smoothing ``alpha``),
trained on the center's own dispositions: each wrapped-up contact is an example, its
signals as of just before it and its disposition as the label.

**Backtest** (:func:`backtest`): the examples in time order, the first ``train_share``
to train, the rest to test; accuracy of the rules alone (no rule firing counts as a miss),
of the classifier alone, and of both (rules where one fires, the classifier elsewhere).
:class:`NeedModel` then uses the classifier only where it beats the rules: everywhere, only
where no rule fires, or nowhere. Times are seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kefu.domain.errors import ValidationError

__all__ = [
    "DEFAULT_NEED_RULES",
    "NON_REASONS",
    "Backtest",
    "Example",
    "NaiveBayes",
    "NeedModel",
    "NeedRule",
    "Prediction",
    "Signals",
    "backtest",
    "examples_of",
    "predict_by_rules",
]

NONE = "none"
NON_REASONS = frozenset(
    {"abandoned", "completed", "ended", "self_service", "survey", "queued", "offered", "active"}
)
"""Outcomes that are not a reason of contact (no disposition was given)."""


@dataclass(frozen=True, slots=True)
class Signals:
    """Signal → its evidence (a case id, a masked product number, a disposition ...)."""

    evidence: Mapping[str, str] = field(default_factory=dict)

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(sorted(self.evidence)) or (NONE,)


@dataclass(frozen=True, slots=True)
class NeedRule:
    """``reason`` when ``signal`` is present; ``signal`` ending in ``*`` matches by prefix
    and a ``reason`` of ``*`` takes what the star matched."""

    reason: str
    signal: str

    def __post_init__(self) -> None:
        if not self.reason.strip() or not self.signal.strip():
            raise ValidationError(
                "a need rule names a reason and a signal", text_key="error.need_rule"
            )

    def match(self, signals: Signals) -> tuple[str, str] | None:
        """(reason, the matching signal) or ``None``."""
        if self.signal.endswith("*"):
            prefix = self.signal[:-1]
            for token in sorted(signals.evidence):
                if token.startswith(prefix):
                    rest = token[len(prefix) :]
                    return (rest if self.reason == "*" else self.reason), token
            return None
        return (self.reason, self.signal) if self.signal in signals.evidence else None

    def describe(self) -> str:
        return f"{self.reason}: when {self.signal}"


DEFAULT_NEED_RULES: tuple[NeedRule, ...] = (
    NeedRule("payment_failed", "product:payment_failed"),
    NeedRule("card_blocked", "product:card_blocked"),
    NeedRule("complaint", "open_complaint"),
    NeedRule("case_status", "open_case"),
    NeedRule("self_service_failed", "ivr_failure"),
    NeedRule("billing", "product:bill_issued"),
    NeedRule("*", "last:*"),
)
"""A product problem first (it is why people call), then an open complaint or case, a
failed self-service attempt, a fresh bill, else the reason of the last contact."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """The likely reason, who said so (``rules`` or ``classifier``), the signal behind it
    and that signal's evidence; ``confidence`` is the classifier's posterior (0-1)."""

    reason: str
    source: str
    signal: str
    evidence: str
    confidence: float | None = None


def predict_by_rules(signals: Signals, rules: Sequence[NeedRule]) -> Prediction | None:
    for rule in rules:
        hit = rule.match(signals)
        if hit is not None:
            reason, token = hit
            return Prediction(reason, "rules", token, signals.evidence.get(token, ""))
    return None


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled contact: its signals as of just before it, its disposition, when."""

    signals: Signals
    label: str
    at: float


class NaiveBayes:
    """Multinomial naive Bayes over signal tokens (binary counts)."""

    def __init__(
        self, labels: tuple[str, ...], vocab: dict[str, int], log_prior: Any, log_lik: Any
    ) -> None:
        self.labels = labels
        self.vocab = vocab
        self.log_prior = log_prior
        self.log_lik = log_lik

    @classmethod
    def fit(cls, examples: Sequence[Example], alpha: float = 1.0) -> NaiveBayes:
        if not examples:
            raise ValidationError("no examples to train on", text_key="error.need_no_examples")
        labels = tuple(sorted({e.label for e in examples}))
        vocab = {
            t: i for i, t in enumerate(sorted({t for e in examples for t in e.signals.tokens}))
        }
        index = {label: i for i, label in enumerate(labels)}
        counts = np.zeros((len(labels), len(vocab)))
        priors = np.zeros(len(labels))
        for e in examples:
            row = index[e.label]
            priors[row] += 1
            for token in e.signals.tokens:
                counts[row, vocab[token]] += 1
        smoothed = counts + alpha
        log_lik = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        return cls(labels, vocab, np.log(priors / priors.sum()), log_lik)

    def posterior(self, signals: Signals) -> Any:
        cols = [self.vocab[t] for t in signals.tokens if t in self.vocab]
        scores = self.log_prior + (self.log_lik[:, cols].sum(axis=1) if cols else 0.0)
        scores = scores - scores.max()
        p = np.exp(scores)
        return p / p.sum()

    def predict(self, signals: Signals) -> Prediction:
        p = self.posterior(signals)
        best = int(np.argmax(p))
        cols = [(t, self.vocab[t]) for t in signals.tokens if t in self.vocab]
        # The signal that speaks most for the label: the highest likelihood ratio.
        token = max(
            cols,
            key=lambda tc: self.log_lik[best, tc[1]] - float(np.mean(self.log_lik[:, tc[1]])),
            default=(NONE, -1),
        )[0]
        return Prediction(
            self.labels[best],
            "classifier",
            token,
            signals.evidence.get(token, ""),
            round(float(p[best]), 4),
        )


@dataclass(frozen=True, slots=True)
class Backtest:
    """Accuracies (0-1, ``None`` without test examples) on the later ``tested`` examples
    of models trained on the ``trained`` earlier ones; ``mode`` the one kept: ``rules``,
    ``classifier`` or ``hybrid`` (rules where one fires, else the classifier)."""

    trained: int
    tested: int
    rules_accuracy: float | None
    classifier_accuracy: float | None
    hybrid_accuracy: float | None
    rules_coverage: float | None
    mode: str

    def to_json(self) -> dict[str, Any]:
        return {
            "trained": self.trained,
            "tested": self.tested,
            "rules_accuracy": self.rules_accuracy,
            "classifier_accuracy": self.classifier_accuracy,
            "hybrid_accuracy": self.hybrid_accuracy,
            "rules_coverage": self.rules_coverage,
            "mode": self.mode,
        }


def _share(hits: int, n: int) -> float | None:
    return None if n == 0 else round(hits / n, 4)


def backtest(
    examples: Sequence[Example],
    rules: Sequence[NeedRule] = DEFAULT_NEED_RULES,
    *,
    train_share: float = 0.7,
    min_train: int = 20,
) -> Backtest:
    """See the module doc; fewer than ``min_train`` training examples keeps the rules."""
    ordered = sorted(examples, key=lambda e: e.at)
    cut = math.floor(len(ordered) * train_share)
    train, test = ordered[:cut], ordered[cut:]
    rule_hits = fired = nb_hits = hybrid_hits = 0
    nb = NaiveBayes.fit(train) if len(train) >= min_train else None
    for e in test:
        by_rule = predict_by_rules(e.signals, rules)
        by_nb = None if nb is None else nb.predict(e.signals)
        fired += by_rule is not None
        rule_hits += by_rule is not None and by_rule.reason == e.label
        nb_hits += by_nb is not None and by_nb.reason == e.label
        hybrid = by_rule or by_nb
        hybrid_hits += hybrid is not None and hybrid.reason == e.label
    n = len(test)
    mode = "rules"
    if nb is not None and n:
        best = max(rule_hits, nb_hits, hybrid_hits)
        if best > rule_hits:
            mode = "classifier" if nb_hits == best and nb_hits > hybrid_hits else "hybrid"
    return Backtest(
        len(train),
        n,
        _share(rule_hits, n),
        None if nb is None else _share(nb_hits, n),
        None if nb is None else _share(hybrid_hits, n),
        _share(fired, n),
        mode,
    )


@dataclass(frozen=True, slots=True)
class NeedModel:
    """The rules, the classifier trained on every example (if any) and the mode the
    backtest chose."""

    rules: tuple[NeedRule, ...] = DEFAULT_NEED_RULES
    classifier: NaiveBayes | None = None
    mode: str = "rules"

    @classmethod
    def train(
        cls, examples: Sequence[Example], rules: tuple[NeedRule, ...] = DEFAULT_NEED_RULES
    ) -> tuple[NeedModel, Backtest]:
        report = backtest(examples, rules)
        nb = NaiveBayes.fit(examples) if report.mode != "rules" else None
        return cls(rules, nb, report.mode), report

    def predict(self, signals: Signals) -> Prediction | None:
        if self.classifier is not None and self.mode == "classifier":
            return self.classifier.predict(signals)
        found = predict_by_rules(signals, self.rules)
        if found is None and self.classifier is not None:
            return self.classifier.predict(signals)
        return found


def examples_of(items: Iterable[tuple[Signals, str, float]]) -> list[Example]:
    """Examples from (signals, outcome, at), leaving out outcomes that are no reason."""
    return [Example(s, label, at) for s, label, at in items if label and label not in NON_REASONS]
