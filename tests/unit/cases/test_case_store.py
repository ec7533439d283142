"""The case store's log is the truth: whatever commands ran (accepted or refused), loading
its records gives the same cases, the same cases due and the same next SLA timer
(hypothesis)."""

from __future__ import annotations

from typing import Any

from case_fixtures import POLICY, TYPES, shanghai_weekdays
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.domain.cases import CaseState
from kefu.domain.errors import KefuError
from kefu.service.cases import CaseStore
from kefu.service.channels import ChannelRecord

START = 1_772_762_400.0  # Friday 2026-03-06 10:00 in Shanghai
H = 3600.0

ops = st.lists(
    st.tuples(
        st.sampled_from(["open", "move", "note", "respond", "assign", "escalate"]),
        st.integers(0, 3),
        st.sampled_from(list(CaseState)),
        st.floats(0, 30 * H),
    ),
    max_size=25,
)


def _store(records: list[ChannelRecord]) -> CaseStore:
    def log(at: float, stream: str, kind: str, subject: str, data: dict[str, Any]) -> None:
        records.append(ChannelRecord(len(records) + 1, at, stream, kind, subject, data))

    return CaseStore(log, TYPES, POLICY, lambda _site: shanghai_weekdays())


@settings(max_examples=60, deadline=None)
@given(ops)
def test_given_any_commands_when_the_log_is_loaded_then_the_same_cases_and_timer(
    steps: list[tuple[str, int, CaseState, float]],
) -> None:
    records: list[ChannelRecord] = []
    store = _store(records)
    book = store.book
    now = START
    for op, n, state, dt in steps:
        now += dt
        case_id = str(n)
        try:
            if op == "open":
                kind = ("inquiry", "mortgage")[n % 2]
                fields = {"amount": 1} if kind == "mortgage" else {}
                book.new_case(case_id, kind, now, site_id="sh", title="t", by="a",
                              value_tier=n % 3, fields=fields, customer_id=f"cus-{n % 2}",
                              owner=("agent", f"a{n}"))  # fmt: skip
            elif op == "move":
                dept = "loans" if state is CaseState.WAITING_ON_DEPARTMENT else None
                book.move(case_id, state, now, by="a", reason="r", department=dept)
            elif op == "note":
                book.note(case_id, f"n{len(records)}", "说明", now, author="a")
            elif op == "respond":
                book.respond(case_id, now, by="a", channel="sms")
            elif op == "assign":
                book.assign(case_id, ("team", f"team{state.value[:4]}"), now, by="a")
            else:
                for action in store.decision(case_id, now).actions:
                    book.escalate(case_id, action.clock.value, action.step,
                                  action.action.value, now, to=action.to)  # fmt: skip
        except KefuError:
            pass
        finally:
            store.sync(now)
    again = _store([])
    again.load(records)
    again.reconcile(None, now)  # type: ignore[arg-type]
    assert again.book.cases == store.book.cases
    assert again.rank == store.rank
    for part in ("customer", "owner", "state", "kind", "site"):
        live, loaded = getattr(store.index, part), getattr(again.index, part)
        values = dict(enumerate(live.numbers.values))
        assert dict(enumerate(loaded.numbers.values)) == values
        assert (loaded.column, loaded.ranks) == (live.column, live.ranks)
        for number, ranks in enumerate(live.ranks):
            assert list(ranks) == sorted(r for r, n in enumerate(live.column) if n == number)
    index = store.index
    for case in store.book.cases.values():
        rank = store.rank[case.case_id]
        assert index.state.numbers.values[index.state.column[rank]] == case.state.value
        assert index.kind.numbers.values[index.kind.column[rank]] == case.case_type
        owner = index.owner.column[rank]
        assert (index.owner.numbers.values[owner] if owner >= 0 else None) == case.owner_id
        assert store.cases_of([case.customer_id or ""]).count(case.case_id) == (
            case.customer_id is not None
        )
    # Timers armed earlier may fall due before ``now`` where the reloaded store arms them at
    # ``now``: the same cases are due by now, and the same instant comes next.
    due = sorted(cmd.case_id for cmd in store.due(now))
    assert sorted(cmd.case_id for cmd in again.due(now)) == due
    assert again.next_due() == store.next_due()
