"""What callers see of cases: one case as JSON-ready data (with its SLA clocks), lists with
filters (the customer's timeline across channels is :mod:`kefu.service.cases.timeline`).

Functions run under the engine's lock (inside ``engine.query`` or ``channels.read``).
Visibility: a caller sees a case of its sites (admins all); a case of another site is
answered as unknown (404) so its id discloses nothing.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kefu.domain.cases import Case, CaseState, UnknownCase
from kefu.service.cases.store import CaseStore
from kefu.service.engine_state import EngineState
from kefu.service.security.access import Principal, sees_site
from kefu.service.teams import TeamBook

__all__ = [
    "LIST_LIMIT",
    "agent_teams",
    "case_public",
    "check_case",
    "list_cases",
    "team_owners",
]

LIST_LIMIT = 200
SEARCH_SCAN = 20_000
"""A text search that no index narrows (owner, customer, state) looks at this many of the
newest cases: a scan of every case would hold the engine's lock for seconds."""


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


def agent_teams(engine: EngineState, agent_id: str) -> frozenset[str]:
    """The teams of an agent: the names of its skills and the ids of the queues whose
    required skills it has (queues that require none are everybody's and name no team).
    A case owned by ``("team", id)`` with one of these ids is the agent's team's case."""
    agent = engine.router.agents.get(agent_id)
    if agent is None:
        return frozenset()
    skills = agent.spec.skills
    queues = {
        queue_id
        for queue_id, queue in engine.router.queues.items()
        if queue.spec.skills
        and all(skills.get(name, 0) >= level for name, level in queue.spec.skills.items())
    }
    return frozenset(skills) | queues


def team_owners(engine: EngineState, teams: TeamBook | None, agent_id: str) -> frozenset[str]:
    """The owner ids of an agent's team cases: the teams it is a member of. An agent in no
    team (or a center without teams wired) keeps the older meaning, :func:`agent_teams`
    (its skills and the queues it serves), so cases owned by those ids before teams
    existed stay in reach."""
    if teams is not None:
        mine = teams.of_agent(agent_id)
        if mine:
            return mine
    return agent_teams(engine, agent_id)


def list_cases(
    store: CaseStore,
    user: Principal,
    now: float,
    *,
    state: str | None = None,
    case_type: str | None = None,
    customer_id: str | None = None,
    owner: str | None = None,
    owners: Iterable[str] | None = None,
    site_id: str | None = None,
    open_only: bool = False,
    breached: bool | None = None,
    query: str | None = None,
    names: Callable[[str], str] | None = None,
    limit: int = 50,
    offset: int = 0,
    customer_ids: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Cases the caller sees, newest first, filtered, from the ``offset``-th match on
    (``owner`` is an agent or team id, ``owners`` several (any of them); ``customer_ids`` the
    merged ids of ``customer_id``, matched too; ``breached``: whether the resolution clock
    is overdue; ``query`` matches the case id (``12``; ``#12`` matches only the id), words of
    the title, the customer's id or, with ``names`` (customer id → name), the customer's
    name; without an owner, customer or state it searches the newest :data:`SEARCH_SCAN`
    cases)."""
    wanted_customers = {customer_id, *customer_ids} if customer_id is not None else None
    if owner is not None:
        owners = {owner, *(owners or ())}
    cases = store.book.cases
    index = store.index
    sets: list[set[str]] = []
    if wanted_customers is not None:
        sets.append(set().union(*(store.by_customer.get(c, set()) for c in wanted_customers)))
    if owners is not None:
        sets.append(set().union(*(store.by_owner.get(o, set()) for o in owners)))
    if state is not None:
        sets.append(store.by_state.get(state, set()))
    sets.sort(key=len)
    scoped = bool(sets)
    ranks: Sequence[int] | None = None  # ascending; None: every case
    by_id = query is not None and query.strip().startswith("#")
    if by_id and query is not None and query.strip().startswith("#"):
        # "#12" names one case: no scan.
        wanted = query.strip()[1:]
        hit = wanted in cases and all(wanted in s for s in sets)
        ranks, sets = ([store.rank[wanted]] if hit else []), []
    elif sets and _sort_is_cheaper(len(sets[0]), offset + limit, len(index)):
        # The smallest index set is small: its cases, in opening order.
        picked = set.intersection(*sets) if len(sets) > 1 else sets[0]
        ranks, sets = sorted(map(store.rank.__getitem__, picked)), []
    elif site_id is not None:
        ranks = index.by_site.get(site_id, ())
    match = _matcher(query, names)
    if match is not None and not scoped and not by_id:
        # Without an owner, customer or state a search looks at the newest cases only.
        first = max(0, len(index) - SEARCH_SCAN)
        if names is None and ranks is None:
            ranks = _text_hits(store, query or "", first)
        else:
            ranks = _from_rank(ranks, first, len(index))
    visible = user.visibility
    order: Iterable[int] = index.newest(ranks)
    if ranks is None and visible.sites is not None:
        # Only the caller's sites' cases.
        postings = [index.by_site[s] for s in sorted(visible.sites) if s in index.by_site]
        order = heapq.merge(*(reversed(p) for p in postings), reverse=True)
    compute = store.compute_due
    out: list[dict[str, Any]] = []
    skipped = 0
    for rank in order:
        if breached is not None and index.breached(rank, now, compute) != breached:
            continue
        case_id = index.ids[rank]
        if sets and not all(case_id in s for s in sets):
            continue
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
        if match is not None and not match(case):
            continue
        if skipped < offset:
            skipped += 1
            continue
        out.append(summary(store, case, now))
        if len(out) >= limit:
            break
    return out


def _sort_is_cheaper(size: int, wanted: int, total: int) -> bool:
    """Whether sorting an index set of ``size`` cases costs less than scanning the newest
    cases for ``wanted`` matches of it (about ``wanted * total / size`` looks)."""
    return size * size <= 2 * wanted * max(total, 1)


def _from_rank(ranks: Sequence[int] | None, first: int, total: int) -> Sequence[int]:
    """The ranks of ``ranks`` (ascending; ``None``: every one below ``total``) from
    ``first`` on."""
    if ranks is None:
        return range(first, total)
    return ranks[bisect_left(ranks, first) :]


def _text_hits(store: CaseStore, query: str, first: int) -> list[int]:
    """Ranks from ``first`` on of the cases whose id is ``query`` or whose title or
    recorded customer id may contain it (checked by the caller), ascending."""
    text = query.strip().casefold()
    posting = store.index.text_candidates(text)
    hits = list(_from_rank(posting, first, 0)) if posting is not None else []
    exact = store.rank.get(text)
    if exact is not None and exact >= first and exact not in hits:
        insort(hits, exact)
    return hits


def _matcher(
    query: str | None, names: Callable[[str], str] | None
) -> Callable[[Case], bool] | None:
    """What ``query`` matches (see :func:`list_cases`); ``None`` without a query."""
    if query is None or not query.strip():
        return None
    text = query.strip().casefold()
    number = text.removeprefix("#")

    def match(case: Case) -> bool:
        if case.case_id == number or text in case.title.casefold():
            return True
        customer = case.customer_id
        if customer is None:
            return False
        if text in customer.casefold():
            return True
        return names is not None and text in names(customer).casefold()

    return match


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
