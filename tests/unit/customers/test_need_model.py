"""Anticipating the need: the rules in order, the naive Bayes classifier trained on
dispositions, and the backtest that keeps the classifier only where it beats the rules."""

from __future__ import annotations

import random

from kefu.domain.customers.need import (
    DEFAULT_NEED_RULES,
    Example,
    NaiveBayes,
    NeedModel,
    NeedRule,
    Signals,
    backtest,
    predict_by_rules,
)


def test_given_several_signals_then_the_first_matching_rule_names_the_reason() -> None:
    signals = Signals(
        {"open_case": "c7", "product:payment_failed": "•••• 2222", "last:billing": "billing"}
    )
    found = predict_by_rules(signals, DEFAULT_NEED_RULES)
    assert found is not None
    assert (found.reason, found.signal, found.evidence) == (
        "payment_failed", "product:payment_failed", "•••• 2222",
    )  # fmt: skip
    only_last = predict_by_rules(Signals({"last:lost_card": "lost_card"}), DEFAULT_NEED_RULES)
    assert only_last is not None and only_last.reason == "lost_card"
    assert predict_by_rules(Signals({}), DEFAULT_NEED_RULES) is None
    assert NeedRule("case_status", "open_case").describe() == "case_status: when open_case"


def _center(n: int, seed: int, *, rules_right: bool, rest: str = "few") -> list[Example]:
    """Contacts of a center: customers with an open case call about ``mortgage_progress``
    (or about ``case_status``, the rules' word, when ``rules_right``); customers whose last
    contact was about billing call about billing; the rest about one of a few things
    (``rest="few"``) or each about something of its own (``"unique"``)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.4:
            label = "case_status" if rules_right else "mortgage_progress"
            signals = Signals({"open_case": f"c{i}", "open_case:application": f"c{i}"})
        elif roll < 0.7:
            label, signals = "billing", Signals({"last:billing": "billing"})
        else:
            some = rng.choice(["card", "loan", "other"]) if rest == "few" else f"x{i}"
            label, signals = some, Signals({})
        out.append(Example(signals, label, float(i)))
    return out


def test_given_dispositions_when_trained_then_the_classifier_explains_its_reason() -> None:
    nb = NaiveBayes.fit(_center(300, 1, rules_right=False))
    found = nb.predict(Signals({"open_case": "c9", "open_case:application": "c9"}))
    assert found.reason == "mortgage_progress" and found.source == "classifier"
    assert found.signal.startswith("open_case") and found.evidence == "c9"
    assert found.confidence is not None and found.confidence > 0.9


def test_given_rules_that_miss_the_centers_words_then_the_backtest_keeps_the_classifier() -> None:
    examples = _center(400, 2, rules_right=False)
    report = backtest(examples)
    assert report.trained == 280 and report.tested == 120
    assert report.classifier_accuracy is not None and report.rules_accuracy is not None
    assert report.classifier_accuracy > report.rules_accuracy + 0.2
    assert report.mode in ("classifier", "hybrid")
    model, _ = NeedModel.train(examples)
    found = model.predict(Signals({"open_case": "c1", "open_case:application": "c1"}))
    assert found is not None and found.reason == "mortgage_progress"


def test_given_rules_that_fit_then_the_classifier_only_fills_where_no_rule_fires() -> None:
    examples = _center(400, 3, rules_right=True)
    report = backtest(examples)
    assert report.mode == "hybrid"
    assert report.hybrid_accuracy is not None and report.rules_accuracy is not None
    assert report.hybrid_accuracy > report.rules_accuracy
    model, _ = NeedModel.train(examples)
    found = model.predict(Signals({"open_case": "c1"}))
    assert found is not None and (found.reason, found.source) == ("case_status", "rules")
    other = model.predict(Signals({}))
    assert other is not None and other.source == "classifier"


def test_given_a_classifier_that_adds_nothing_then_the_backtest_keeps_the_rules() -> None:
    examples = _center(400, 5, rules_right=True, rest="unique")
    report = backtest(examples)
    assert report.mode == "rules"
    assert report.rules_accuracy is not None and report.rules_coverage is not None
    assert report.rules_accuracy >= (report.hybrid_accuracy or 0.0)
    model, _ = NeedModel.train(examples)
    assert model.classifier is None and model.predict(Signals({})) is None


def test_given_too_few_examples_then_only_the_rules_are_used() -> None:
    report = backtest(_center(10, 4, rules_right=False))
    assert (report.mode, report.classifier_accuracy) == ("rules", None)
