"""The customer's lifetime value and segment as callers see them, from the customer's
contacts (the directory's timeline), cases and survey answers; the formula and the rules
are :mod:`kefu.domain.customers.value`'s. Runs under the engine's lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kefu.analytics.archive import ArchivedContact
from kefu.domain.cases import Case, CaseKind, CaseState
from kefu.domain.cases.surveys import CSAT, SurveyBook, is_low
from kefu.domain.customers.value import (
    DEFAULT_RULES,
    METHOD,
    CustomerFacts,
    SegmentRule,
    ValueModel,
    segment_of,
    top_share,
)
from kefu.service.cases.need import LikelyReason, NeedPredictor
from kefu.service.cases.store import CaseStore
from kefu.service.channels.customer_access import check_customer
from kefu.service.channels.read_models import CustomerPanel
from kefu.service.channels.state import ChannelState
from kefu.service.channels.views import read_customer_panel
from kefu.service.engine import RoutingEngine
from kefu.service.security.access import Principal
from kefu.service.transaction import Transaction

__all__ = [
    "CustomerOverview",
    "CustomerValue",
    "SegmentKeeper",
    "SegmentValue",
    "ValueReport",
    "customer_facts",
    "customer_overview",
    "customer_value",
    "value_report",
]

DAY_S = 86_400.0


def customer_facts(
    state: ChannelState,
    store: CaseStore,
    surveys: SurveyBook | None,
    customer_id: str,
    now: float,
) -> CustomerFacts:
    """The facts of the (live) customer at ``now`` (s), over all its merged ids."""
    directory = state.directory
    live = directory.resolve(customer_id)
    customer = directory.get(live)
    ids = set(directory.identities(live))
    first_seen: dict[str, float] = {}
    for ref in directory.timeline(live):
        first_seen[ref.contact_id] = min(ref.at, first_seen.get(ref.contact_id, ref.at))
    ages = [(now - at) / DAY_S for at in first_seen.values()]
    complaint_types = {t for t, kind in store.book.types.items() if kind.kind is CaseKind.COMPLAINT}
    open_cases = open_complaints = reopened = 0
    for case_id in store.cases_of(ids):
        case = store.book.cases[case_id]
        reopened += case.reopen_count > 0
        if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
            open_cases += 1
            open_complaints += case.case_type in complaint_types
    scores: list[int] = []
    low_recent = 0
    for survey in () if surveys is None else surveys.surveys.values():
        if survey.sent.customer_id in ids and survey.score is not None:
            if survey.sent.kind == CSAT:
                scores.append(survey.score)
            recent = survey.answered_at is not None and now - survey.answered_at < 90 * DAY_S
            low_recent += recent and is_low(survey.sent.kind, survey.score)
    return CustomerFacts(
        value_tier=customer.value_tier,
        age_days=(now - customer.created_at) / DAY_S,
        contacts_90d=sum(1 for a in ages if a < 90),
        contacts_365d=sum(1 for a in ages if a < 365),
        days_since_contact=min(ages) if ages else None,
        open_cases=open_cases,
        open_complaints=open_complaints,
        reopened_cases=reopened,
        low_scores_90d=low_recent,
        survey_mean=sum(scores) / len(scores) if scores else None,
    )


@dataclass(frozen=True, slots=True)
class CustomerValue:
    """The customer's lifetime value (``clv``, rounded to 0.01) with its ``method`` and
    inputs (margin ``m``, retention ``r``, discount ``d``), the segment with the rule that
    named it, and the facts both read (ages and days in days, rounded to 0.01)."""

    clv: float
    margin: float
    retention: float
    discount: float
    segment: str
    segment_rule: str
    facts: CustomerFacts

    def to_json(self) -> dict[str, Any]:
        facts = self.facts
        since = facts.days_since_contact
        return {
            "clv": self.clv,
            "method": METHOD,
            "inputs": {"m": self.margin, "r": self.retention, "d": self.discount},
            "segment": self.segment,
            "segment_rule": self.segment_rule,
            "facts": {
                "value_tier": facts.value_tier,
                "age_days": round(facts.age_days, 2),
                "contacts_90d": facts.contacts_90d,
                "contacts_365d": facts.contacts_365d,
                "days_since_contact": None if since is None else round(since, 2),
                "open_cases": facts.open_cases,
                "open_complaints": facts.open_complaints,
                "reopened_cases": facts.reopened_cases,
                "low_scores_90d": facts.low_scores_90d,
                "survey_mean": facts.survey_mean,
            },
        }


def customer_value(
    state: ChannelState,
    store: CaseStore,
    surveys: SurveyBook | None,
    customer_id: str,
    now: float,
    *,
    model: ValueModel | None = None,
    rules: tuple[SegmentRule, ...] = DEFAULT_RULES,
) -> CustomerValue:
    """The lifetime value with its method and inputs, the segment with the rule that
    named it, and the facts both read."""
    model = model or ValueModel()
    facts = customer_facts(state, store, surveys, customer_id, now)
    rule = segment_of(facts, rules)
    return CustomerValue(
        clv=round(model.clv(facts), 2),
        margin=model.margin(facts.value_tier),
        retention=round(model.retention(facts), 4),
        discount=model.discount,
        segment=rule.segment,
        segment_rule=rule.describe(),
        facts=facts,
    )


@dataclass(frozen=True, slots=True)
class CustomerOverview:
    """The customer panel as ``GET /customers/{id}`` shows it: with the customer's value
    where cases are wired, whether it accepts follow-up surveys where surveys are, and the
    likely reason of its next contact where the predictor is."""

    panel: CustomerPanel
    value: CustomerValue | None
    surveys_allowed: bool | None
    likely_reason: LikelyReason | None = None

    @property
    def customer_id(self) -> str:
        return self.panel.customer_id

    def to_json(self) -> dict[str, Any]:
        out = self.panel.to_json()
        if self.value is not None:
            out["value"] = self.value.to_json()
        if self.surveys_allowed is not None:
            out["surveys_allowed"] = self.surveys_allowed
        if self.likely_reason is not None:
            out["likely_reason"] = self.likely_reason.to_json()
        return out


def customer_overview(
    engine: RoutingEngine,
    state: ChannelState,
    user: Principal,
    customer_id: str,
    store: CaseStore | None,
    surveys: SurveyBook | None,
    need: NeedPredictor | None = None,
    archived: Mapping[str, ArchivedContact] | None = None,
) -> CustomerOverview:
    """The customer named by ``customer_id`` (id or ``kind:value``) as ``user`` sees it
    (:class:`~kefu.domain.customers.UnknownCustomer`, 404, outside its sites); ``store``,
    ``surveys`` and ``need`` are None where cases, surveys or the predictor are not
    wired; ``archived``: the store's record of its contacts the router has forgotten."""
    live = check_customer(engine, state, user, customer_id, archived)
    panel = read_customer_panel(state, engine.router, live, archived)
    value = None
    if store is not None:
        value = customer_value(state, store, surveys, live, engine.now())
    allowed = None
    if surveys is not None:
        allowed = not set(state.directory.identities(live)) & surveys.opted_out
    likely = None if need is None else need.view(engine.router, live, engine.now())
    return CustomerOverview(panel, value, allowed, likely)


@dataclass(frozen=True, slots=True)
class SegmentValue:
    """The customers of a segment and their lifetime value (rounded to 0.01)."""

    segment: str
    customers: int
    clv: float


@dataclass(frozen=True, slots=True)
class ValueReport:
    """The customers a caller sees: their count and total lifetime value (rounded to
    0.01), ``top_20_share`` (the share of value held by the top fifth, a fraction rounded
    to 0.0001; None without customers) and each segment's, most valuable first."""

    customers: int
    total_clv: float
    top_20_share: float | None
    segments: tuple[SegmentValue, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "total_clv": self.total_clv,
            "method": METHOD,
            "top_20_share": self.top_20_share,
            "segments": {
                s.segment: {"customers": s.customers, "clv": s.clv} for s in self.segments
            },
        }


def value_report(
    state: ChannelState,
    store: CaseStore,
    surveys: SurveyBook | None,
    now: float,
    sees: Callable[[str], bool],
    *,
    model: ValueModel | None = None,
    rules: tuple[SegmentRule, ...] = DEFAULT_RULES,
) -> ValueReport:
    """The customers ``sees`` lets through: their count and total lifetime value, the 80/20
    view and, per segment, the count and value."""
    model = model or ValueModel()
    values: list[float] = []
    counts: dict[str, int] = {}
    totals: dict[str, float] = {}
    for customer in state.directory.customers():
        if not sees(customer.customer_id):
            continue
        facts = customer_facts(state, store, surveys, customer.customer_id, now)
        clv = model.clv(facts)
        values.append(clv)
        segment = segment_of(facts, rules).segment
        counts[segment] = counts.get(segment, 0) + 1
        totals[segment] = totals.get(segment, 0.0) + clv
    share = top_share(values)
    return ValueReport(
        customers=len(values),
        total_clv=round(sum(values), 2),
        top_20_share=None if share is None else round(share, 4),
        segments=tuple(
            SegmentValue(name, counts[name], round(totals[name], 2))
            for name in sorted(totals, key=lambda name: -totals[name])
        ),
    )


class SegmentKeeper:
    """Keeps the segment on the customer's profile current: re-evaluated in the
    transaction of each case move (a complaint opened or closed, a case reopened), so the
    customer record, its events and every view that shows the profile's segment follow.
    ``surveys`` gives the survey book when surveys are wired."""

    def __init__(
        self,
        state: ChannelState,
        store: CaseStore,
        surveys: Callable[[], SurveyBook | None] = lambda: None,
        rules: tuple[SegmentRule, ...] = DEFAULT_RULES,
    ) -> None:
        self.state = state
        self.store = store
        self.surveys = surveys
        self.rules = rules

    async def case_moved(self, tx: Transaction, case: Case) -> None:
        if case.customer_id is not None:
            self.refresh(case.customer_id, tx.now)

    def refresh(self, customer_id: str, now: float) -> str:
        """Store the customer's segment at ``now`` (an event only when it changes)."""
        directory = self.state.directory
        live = directory.resolve(customer_id)
        facts = customer_facts(self.state, self.store, self.surveys(), live, now)
        segment = segment_of(facts, self.rules).segment
        directory.set_profile(live, at=now, segment=segment)
        return segment
