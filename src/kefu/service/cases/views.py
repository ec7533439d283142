"""What callers see of cases: one case as JSON-ready data (with its SLA clocks), lists with
filters (the customer's timeline across channels is :mod:`kefu.service.cases.timeline`).

Functions run under the engine's lock (inside ``engine.query`` or ``channels.read``).
Visibility: a caller sees a case of its sites (admins all); a case of another site is
answered as unknown (404) so its id discloses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kefu.domain.cases import Case, CaseState, UnknownCase
from kefu.service.cases.store import CaseStore
from kefu.service.security.access import Principal, sees_site

__all__ = [
    "LIST_LIMIT",
    "case_public",
    "check_case",
    "list_cases",
]

LIST_LIMIT = 200


def check_case(store: CaseStore, user: Principal, case_id: str) -> Case:
    """The case if ``user`` sees it, else :class:`UnknownCase` (404)."""
    case = store.book.cases.get(case_id)
    if case is None or not sees_site(user, case.site_id):
        raise UnknownCase(f"unknown case {case_id}", case_id=case_id)
    return case


def case_public(store: CaseStore, case: Case, now: float) -> dict[str, Any]:
    """The case as the API and the pages show it; SLA clocks in business seconds."""
    decision = store.decision(case.case_id, now)
    kind = store.book.types.get(case.case_type)
    return {
        "case_id": case.case_id,
        "case_type": case.case_type,
        "kind": kind.kind.value if kind is not None else None,
        "type_label": {"en": kind.label_en, "zh": kind.label_zh} if kind is not None else None,
        "customer_id": case.customer_id,
        "site_id": case.site_id,
        "title": case.title,
        "value_tier": case.value_tier,
        "priority": case.priority,
        "fields": dict(case.fields),
        "state": case.state.value,
        "owner": None
        if case.owner_kind is None
        else {"kind": case.owner_kind, "id": case.owner_id},
        "departments": list(case.departments),
        "waiting_on": case.waiting_on,
        "links": [
            {"kind": lk.kind, "target_id": lk.target_id, "channel": lk.channel, "at": lk.at}
            for lk in case.links
        ],
        "notes": [
            {
                "note_id": n.note_id,
                "author": n.author,
                "text": n.text,
                "internal": n.internal,
                "at": n.at,
            }
            for n in case.notes
        ],
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "first_response_at": case.first_response_at,
        "root_cause": case.root_cause,
        "resolution": case.resolution,
        "history": [{"at": at, "state": state.value} for at, state in case.history],
        "escalations": sorted(f"{clock}:{step}" for clock, step in case.escalations),
        "sla": [
            {
                "clock": s.clock.value,
                "target_s": s.target_s,
                "elapsed_s": round(s.elapsed_s, 3),
                "remaining_s": round(s.remaining_s, 3),
                "running": s.running,
                "due_at": s.due_at,
                "breached": s.breached,
            }
            for s in decision.clocks
        ],
    }


def list_cases(
    store: CaseStore,
    user: Principal,
    now: float,
    *,
    state: str | None = None,
    case_type: str | None = None,
    customer_id: str | None = None,
    owner: str | None = None,
    site_id: str | None = None,
    open_only: bool = False,
    limit: int = 50,
    customer_ids: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Cases the caller sees, newest first, filtered (``owner`` is an agent or team id;
    ``customer_ids`` the merged ids of ``customer_id``, matched too)."""
    wanted_customers = {customer_id, *customer_ids} if customer_id is not None else None
    cases = store.book.cases
    candidates: Iterable[str]
    if wanted_customers is not None or owner is not None or state is not None:
        # An index narrows the scan; newest first by opening order.
        sets: list[set[str]] = []
        if wanted_customers is not None:
            sets.append(set().union(*(store.by_customer.get(c, set()) for c in wanted_customers)))
        if owner is not None:
            sets.append(store.by_owner.get(owner, set()))
        if state is not None:
            sets.append(store.by_state.get(state, set()))
        picked = set.intersection(*sorted(sets, key=len)) if len(sets) > 1 else set(sets[0])
        candidates = sorted(picked, key=store.rank.__getitem__, reverse=True)
    else:
        candidates = reversed(cases.keys())
    visible = user.visibility
    out: list[dict[str, Any]] = []
    for case_id in candidates:
        case = cases[case_id]
        if not visible.site(case.site_id):
            continue
        if state is not None and case.state.value != state:
            continue
        if open_only and case.state in (CaseState.RESOLVED, CaseState.CLOSED):
            continue
        if case_type is not None and case.case_type != case_type:
            continue
        if site_id is not None and case.site_id != site_id:
            continue
        out.append(summary(store, case, now))
        if len(out) >= limit:
            break
    return out


def summary(store: CaseStore, case: Case, now: float) -> dict[str, Any]:
    """A case's line in a list: state, owner and the resolution clock."""
    due, stopped = store.resolution_due(case)
    breached = due is not None and due < (stopped if stopped is not None else now)
    return {
        "case_id": case.case_id,
        "case_type": case.case_type,
        "title": case.title,
        "state": case.state.value,
        "customer_id": case.customer_id,
        "site_id": case.site_id,
        "value_tier": case.value_tier,
        "priority": case.priority,
        "owner_id": case.owner_id,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "due_at": due,
        "breached": breached,
    }
