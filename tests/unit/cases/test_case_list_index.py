"""The case list's indexes answer as a plain filter does: for random cases (opened, moved,
assigned, classified, over several sites, before and after a reload) and random queries,
:func:`list_cases` returns exactly what a brute-force walk over every case, newest first,
returns (hypothesis)."""

from __future__ import annotations

from typing import Any

from case_fixtures import POLICY, TYPES, shanghai_weekdays
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.domain.cases import Case, CaseState, SlaClock, clock_status
from kefu.domain.errors import KefuError
from kefu.service.cases import CaseStore, list_cases, list_index
from kefu.service.cases import views as case_views
from kefu.service.channels import ChannelRecord
from kefu.service.security import Principal, Role

START = 1_772_762_400.0  # Friday 2026-03-06 10:00 in Shanghai
H = 3600.0
SITES = ("sh", "bj", "gz")
TITLES = ("工单 12", "房贷 审批", "Card LOST", "账单 dispute", "straße", "x")
NAMES = {"cus-0": "王小明", "cus-1": "Anna", "cus-2": "李雷"}

ops = st.lists(
    st.tuples(
        st.sampled_from(["open", "open", "open", "move", "assign", "classify"]),
        st.integers(0, 30),
        st.sampled_from(list(CaseState)),
        st.floats(0, 20 * H),
    ),
    min_size=10,
    max_size=60,
)
SEARCHES = ("工单", "审批", "card", "SS", "12", "#3", "cus-1", "小明", "a", "王", "an", "S-")
SEARCHES += (" Ca ", "x\0")  # stripped; the text window's separator
FILTERS = {
    "state": st.sampled_from([s.value for s in CaseState]),
    "case_type": st.sampled_from(["inquiry", "complaint", "mortgage"]),
    "customer_id": st.sampled_from(["cus-0", "cus-1", "cus-9"]),
    "owner": st.sampled_from(["a1", "a2", "team-x"]),
    "owners": st.sets(st.sampled_from(["a1", "a3", "a4", "team-x"]), max_size=3),
    "site_id": st.sampled_from(SITES),
    "open_only": st.booleans(),
    "breached": st.booleans(),
    "query": st.sampled_from(SEARCHES),
    "names": st.just(True),
    "limit": st.integers(1, 8),
    "offset": st.integers(0, 6),
}
TEXT = {"query": FILTERS["query"], "breached": FILTERS["breached"]}  # drawn twice as often
# A few filters at a time (with all at once, most queries would match nothing).
queries = st.lists(
    st.one_of(*(st.tuples(st.just(k), v) for k, v in [*FILTERS.items(), *TEXT.items()])),
    max_size=2,
).map(dict)
users = st.sampled_from(
    [
        Principal("u0", "root", Role.ADMIN, frozenset()),
        Principal("u1", "lead", Role.SUPERVISOR, frozenset({"sh"})),
        Principal("u2", "lead2", Role.SUPERVISOR, frozenset({"bj", "gz"})),
    ]
)


def _store(records: list[ChannelRecord]) -> CaseStore:
    def log(at: float, stream: str, kind: str, subject: str, data: dict[str, Any]) -> None:
        records.append(ChannelRecord(len(records) + 1, at, stream, kind, subject, data))

    return CaseStore(log, TYPES, POLICY, lambda _site: shanghai_weekdays())


class _Names:
    def named(self, text: str) -> list[str]:
        return [c for c, name in NAMES.items() if text in name.casefold()]

    def name_of(self, customer_id: str) -> str:
        return NAMES.get(customer_id, "")


def _breached(case: Case, now: float) -> bool:
    targets = POLICY.targets_for(case.case_type, case.value_tier)
    if targets is None:
        return False
    status = clock_status(
        case, shanghai_weekdays(), SlaClock.RESOLUTION, targets.resolution_s, case.updated_at
    )
    due, stopped = status.due_at, status.stopped_at
    return due is not None and due < (stopped if stopped is not None else now)


def _brute(store: CaseStore, user: Principal, now: float, q: dict[str, Any]) -> list[str]:
    """Every case newest first, through the documented filters, one by one."""
    owners = set(q.get("owners") or ()) if "owners" in q else None
    if "owner" in q:
        owners = {q["owner"], *(owners or ())}
    scoped = "customer_id" in q or owners is not None or "state" in q
    text = q["query"].strip() if "query" in q else None
    by_id = text is not None and text.startswith("#")
    newest = list(reversed(store.book.cases.values()))
    if text is not None and not scoped and not by_id:
        newest = newest[: case_views.SEARCH_SCAN]
    out: list[str] = []
    for case in newest:
        if by_id and case.case_id != text[1:]:
            continue
        if text is not None and not by_id:
            folded = text.casefold()
            name = NAMES.get(case.customer_id or "", "") if "names" in q else ""
            hay = [case.title, case.customer_id or "", name]
            if case.case_id != folded and not any(folded in h.casefold() for h in hay):
                continue
        checks = (
            user.visibility.site(case.site_id),
            "customer_id" not in q or case.customer_id == q["customer_id"],
            owners is None or case.owner_id in owners,
            "state" not in q or case.state.value == q["state"],
            not q.get("open_only") or case.state not in (CaseState.RESOLVED, CaseState.CLOSED),
            "case_type" not in q or case.case_type == q["case_type"],
            "site_id" not in q or case.site_id == q["site_id"],
            "breached" not in q or _breached(case, now) == q["breached"],
        )
        if all(checks):
            out.append(case.case_id)
    offset = q.get("offset", 0)
    return out[offset : offset + q.get("limit", 50)]


def _run(store: CaseStore, steps: list[tuple[str, int, CaseState, float]]) -> float:
    book, now = store.book, START
    for op, n, state, dt in steps:
        now += dt
        case_id = str(len(book.cases)) if op == "open" else str(n)
        try:
            if op == "open":
                kind = ("inquiry", "complaint")[n % 2]
                fields = {"product": "card"} if kind == "complaint" else {}
                book.new_case(case_id, kind, now, site_id=SITES[n // 2 % 3], title=TITLES[n % 6],
                              by="a", value_tier=n % 3, customer_id=f"cus-{n % 4}",
                              owner=("agent", f"a{n % 5}"), fields=fields)  # fmt: skip
            elif op == "move":
                dept = "loans" if state is CaseState.WAITING_ON_DEPARTMENT else None
                book.move(case_id, state, now, by="a", reason="r", department=dept,
                          root_cause="c", resolution="r")  # fmt: skip
            elif op == "assign":
                owner = ("team", "team-x") if n % 2 else ("agent", f"a{n % 5}")
                book.assign(case_id, owner, now, by="a")
            else:
                book.classify(case_id, ("inquiry", "complaint")[n % 2], n % 3, now, by="a")
        except KefuError:
            pass
        store.sync(now)
    return now


@settings(max_examples=150, deadline=None)
@given(
    ops,
    st.lists(st.tuples(users, queries), min_size=1, max_size=8),
    st.integers(1, 60),
    st.floats(0, 240 * H),
    st.integers(0, 6),
    st.integers(1, 8),
)
def test_given_random_cases_when_listed_then_the_indexes_answer_as_a_brute_force_filter(
    steps: list[tuple[str, int, CaseState, float]],
    asks: list[tuple[Principal, dict[str, Any]]],
    scan: int,
    later: float,
    sort_below: int,
    block: int,
) -> None:
    records: list[ChannelRecord] = []
    store = _store(records)
    now = _run(store, steps) + later
    reloaded = _store([])
    reloaded.load(records)
    saved = case_views.SEARCH_SCAN, case_views.SORT_BELOW, list_index.BLOCK
    case_views.SEARCH_SCAN = scan  # a small window, so that it matters
    case_views.SORT_BELOW = sort_below  # unions merged lazily too
    list_index.BLOCK = block  # the window's text in several blocks
    try:
        for user, q in asks:
            want = _brute(store, user, now, q)
            args = {k: v for k, v in q.items() if k != "names"}
            if "names" in q:
                args["names"] = _Names()
            for each in (store, reloaded):
                got = [c["case_id"] for c in list_cases(each, user, now, **args)]
                assert got == want, (q, got, want)
    finally:
        case_views.SEARCH_SCAN, case_views.SORT_BELOW, list_index.BLOCK = saved


def test_given_one_resolved_in_time_and_one_late_when_breached_listed_then_only_the_late() -> None:
    store = _store([])
    book = store.book
    for case_id in ("in-time", "late"):
        book.new_case(case_id, "inquiry", START, site_id="sh", title="t", by="a")
    book.move("in-time", CaseState.OPEN, START + H, by="a", reason="r")
    book.move("in-time", CaseState.RESOLVED, START + 2 * H, by="a", reason="r",
              root_cause="c", resolution="r")  # fmt: skip
    store.sync(START + 2 * H)
    admin = Principal("u0", "root", Role.ADMIN, frozenset())
    later = START + 10 * 24 * H  # past both deadlines (8 business hours)
    late = list_cases(store, admin, later, breached=True)
    in_time = list_cases(store, admin, later, breached=False)
    assert [c["case_id"] for c in late] == ["late"]
    assert [c["case_id"] for c in in_time] == ["in-time"]
