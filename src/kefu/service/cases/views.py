"""What callers see of cases: one case as JSON-ready data (with its SLA clocks), lists with
filters (the customer's timeline across channels is :mod:`kefu.service.cases.timeline`).

Functions run under the engine's lock (inside ``engine.query`` or ``channels.read``).
Visibility: a caller sees a case of its sites (admins all); a case of another site is
answered as unknown (404) so its id discloses nothing.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, Protocol

from kefu.domain.cases import Case, CaseState, UnknownCase
from kefu.service.cases.list_index import CaseListIndex, Postings
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
    names: CustomerNames | None = None,
    limit: int = 50,
    offset: int = 0,
    customer_ids: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Cases the caller sees, newest first, filtered, from the ``offset``-th match on
    (``owner`` is an agent or team id, ``owners`` several (any of them: a team's queues
    and skills); ``customer_ids`` the merged ids of ``customer_id``, matched too;
    ``breached``: whether the resolution clock is overdue; ``query`` matches the case id
    (``12``; ``#12`` matches only the id), the title, the customer's id or, with ``names``
    (the customer directory), the customer's name; without an owner, customer or state it
    searches the newest :data:`SEARCH_SCAN` cases).

    Each filter with an index gives a candidate list of ranks; the shortest is walked
    newest first and every other filter is checked on the columns, up to the page."""
    index = store.index
    plan = Plan(index)
    if customer_id is not None:
        plan.need(index.customer, {customer_id, *customer_ids})
    if owner is not None:
        owners = {owner, *(owners or ())}
    if owners is not None:
        plan.need(index.owner, owners)
    if state is not None:
        plan.need(index.state, (state,))
    scoped = bool(plan.lists)
    if case_type is not None:
        plan.need(index.kind, (case_type,))
    if site_id is not None:
        plan.need(index.site, (site_id,))
    if user.visibility.sites is not None:
        plan.need(index.site, user.visibility.sites)
    if open_only:
        plan.need(index.state, OPEN_STATES)
    text = (query or "").strip().casefold()
    match = _matcher(text, names)
    if text.startswith("#"):
        # "#12" names one case: no scan.
        rank = store.rank.get((query or "").strip()[1:])
        plan.only([] if rank is None else [rank])
    elif match is not None and not scoped:
        # Without an owner, customer or state a search looks at the newest cases only.
        customers = names.named(text) if names is not None else ()
        plan.first = max(0, len(index) - SEARCH_SCAN)
        plan.only(_text_hits(store, text, customers, plan.first))
    cases, compute, floor = store.book.cases, store.compute_due, store.floor
    out: list[dict[str, Any]] = []
    skipped = 0
    for rank in plan.newest():
        if not plan.admits(rank):
            continue
        if match is not None and not match(cases[index.ids[rank]]):
            continue
        if breached is not None and index.breached(rank, now, compute, floor) != breached:
            continue
        if skipped < offset:
            skipped += 1
            continue
        out.append(summary(store, cases[index.ids[rank]], now))
        if len(out) >= limit:
            break
    return out


class CustomerNames(Protocol):
    """Customers' names as the customer directory gives them."""

    def named(self, text: str) -> Iterable[str]:
        """The ids of the customers whose name contains ``text`` (case-folded)."""

    def name_of(self, customer_id: str) -> str:
        """The customer's name (empty if unknown)."""


OPEN_STATES = tuple(s.value for s in CaseState if s not in (CaseState.RESOLVED, CaseState.CLOSED))
SORT_BELOW = 4096
"""A union of candidate lists this short is sorted at once, a longer one merged lazily."""


class Plan:
    """The candidate lists of a list query: per indexed filter, the ascending rank lists
    of its wanted values (their union) and the column numbers to check."""

    def __init__(self, index: CaseListIndex) -> None:
        self.index = index
        self.lists: list[Sequence[Sequence[int]]] = []
        self.checks: list[tuple[array[int], frozenset[int]]] = []
        self.first = 0
        """The lowest rank wanted."""

    def need(self, postings: Postings, values: Iterable[str]) -> None:
        """Only cases whose ``postings`` column holds one of ``values``."""
        numbers, lists = postings.wanted(values)
        self.lists.append(lists)
        self.checks.append((postings.column, numbers))

    def only(self, ranks: Sequence[int]) -> None:
        """Only the cases of ``ranks`` (ascending)."""
        self.lists.append([ranks])

    def newest(self) -> Iterator[int]:
        """The ranks of the shortest candidate list, newest first (every case if none)."""
        if not self.lists:
            return iter(range(len(self.index) - 1, -1, -1))
        lists = min(self.lists, key=lambda ls: sum(map(len, ls)))
        if len(lists) == 1:
            return reversed(lists[0])
        if sum(map(len, lists)) <= SORT_BELOW:
            return iter(sorted(chain.from_iterable(lists), reverse=True))
        return heapq.merge(*(reversed(ls) for ls in lists), reverse=True)

    def admits(self, rank: int) -> bool:
        """Whether the case of ``rank`` passes every indexed filter."""
        if rank < self.first:
            return False
        return all(column[rank] in numbers for column, numbers in self.checks)


def _text_hits(store: CaseStore, text: str, customers: Iterable[str], first: int) -> list[int]:
    """Ranks from ``first`` on of the cases whose id is ``text``, whose title or customer id
    contains it, or whose customer is one of ``customers``, ascending."""
    index = store.index
    total = len(index)
    if "\0" in text:  # the window's separator: look at every case of the window
        return list(range(first, total))
    hits = set(index.window.find(text, first, total, store.entry))
    _, postings = index.customer.wanted(customers)
    for posting in postings:
        hits.update(posting[bisect_left(posting, first) :])
    exact = store.rank.get(text)
    if exact is not None and exact >= first:
        hits.add(exact)
    return sorted(hits)


class _Match:
    """What a search text matches (see :func:`list_cases`)."""

    def __init__(self, text: str, names: CustomerNames | None) -> None:
        self.text = text
        self.number = text.removeprefix("#")
        self.names = names

    def __call__(self, case: Case) -> bool:
        text = self.text
        if case.case_id == self.number or text in case.title.casefold():
            return True
        customer = case.customer_id
        if customer is None:
            return False
        if text in customer.casefold():
            return True
        return self.names is not None and text in self.names.name_of(customer).casefold()


def _matcher(text: str, names: CustomerNames | None) -> _Match | None:
    """What ``text`` (stripped, case-folded) matches; ``None`` without a text."""
    return _Match(text, names) if text else None


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
