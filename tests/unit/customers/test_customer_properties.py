"""Hypothesis properties of the identity rules, over random sequences of directory commands."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.customers import ContactRef, CustomerDirectory, Identifier, IdentifierKind
from kefu.domain.customers.events import CustomersMerged
from kefu.domain.errors import KefuError

PHONES = ["13800138000", "13900139000", "13700137000"]
EMAILS = ["zhang@example.com", "li@example.com", "wang@example.cn"]
COOKIES = ["ck-1", "ck-2"]
POOL = (
    [Identifier(IdentifierKind.PHONE, p) for p in PHONES]
    + [Identifier(IdentifierKind.EMAIL, e) for e in EMAILS]
    + [Identifier(IdentifierKind.CHAT_COOKIE, c) for c in COOKIES]
)

idents = st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True)
ops = st.one_of(
    st.tuples(st.just("link"), idents, st.lists(st.sampled_from(POOL), max_size=2)),
    st.tuples(st.just("merge"), st.integers(0, 9), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("undo"), st.integers(0, 9)),
    st.tuples(st.just("verify"), st.sampled_from(POOL)),
    st.tuples(st.just("contact"), st.sampled_from(POOL), st.integers(0, 5)),
    st.tuples(st.just("profile"), st.sampled_from(POOL), st.integers(0, 3)),
)


def state(directory: CustomerDirectory) -> dict[str, Any]:
    """Everything observable: every customer (merged ones too), timelines, owners, audit."""
    ids = {cid for c in directory.customers() for cid in directory.identities(c.customer_id)}
    return {
        "customers": {cid: directory.get(cid) for cid in sorted(ids)},
        "timelines": {
            c.customer_id: directory.timeline(c.customer_id) for c in directory.customers()
        },
        "owners": {str(i): getattr(directory.find(i), "customer_id", None) for i in POOL},
    }


def run(directory: CustomerDirectory, op: tuple[Any, ...], now: float) -> None:
    live = [c.customer_id for c in directory.customers()]
    kind = op[0]
    if kind == "link":
        directory.link(op[1], at=now, verified=op[2])
    elif kind == "merge" and live:
        survivor, merged = live[op[1] % len(live)], live[op[2] % len(live)]
        directory.merge(survivor, merged, agent_id="agent", reason="test", at=now, force=op[3])
    elif kind == "undo" and directory.audit():
        merge = directory.audit()[op[1] % len(directory.audit())]
        directory.undo_merge(merge.merge_id, agent_id="agent", reason="test", at=now)
    elif kind in ("verify", "contact", "profile") and directory.find(op[1]) is not None:
        owner = directory.find(op[1]).customer_id
        if kind == "verify":
            directory.verify_identifier(owner, op[1], at=now)
        elif kind == "contact":
            ref = ContactRef(f"k{op[2]}", "chat", now, "咨询")
            directory.record_contact(owner, ref, at=now)
        else:
            directory.set_profile(owner, at=now, value_tier=op[2], segment=f"s{op[2]}")


def play(sequence: list[tuple[Any, ...]]) -> CustomerDirectory:
    directory = CustomerDirectory()
    for step, op in enumerate(sequence):
        before, events = state(directory), len(directory.events)
        try:
            run(directory, op, float(step))
        except KefuError:
            # A refused command changes nothing.
            assert len(directory.events) == events
            assert state(directory) == before
    return directory


@given(st.lists(ops, max_size=25))
def test_property_replaying_the_event_log_rebuilds_the_same_directory(
    sequence: list[tuple[Any, ...]],
) -> None:
    directory = play(sequence)
    rebuilt = CustomerDirectory.from_events(directory.events)
    assert state(rebuilt) == state(directory)
    assert rebuilt.audit() == directory.audit()


@given(st.lists(ops, max_size=25), st.integers(0, 9), st.integers(0, 9))
def test_property_merge_then_undo_restores_every_customer_exactly(
    sequence: list[tuple[Any, ...]], i: int, j: int
) -> None:
    directory = play(sequence)
    live = [c.customer_id for c in directory.customers()]
    if len(live) < 2 or live[i % len(live)] == live[j % len(live)]:
        return
    before = state(directory)
    merge_id = directory.merge(
        live[i % len(live)], live[j % len(live)], agent_id="a", reason="r", at=99.0, force=True
    )
    directory.undo_merge(merge_id, agent_id="a", reason="r", at=100.0)
    assert state(directory) == before


@given(st.lists(ops, max_size=25))
def test_property_no_merge_without_force_combines_verified_identifiers_of_one_kind(
    sequence: list[tuple[Any, ...]],
) -> None:
    directory = play(sequence)
    for position, event in enumerate(directory.events):
        if isinstance(event, CustomersMerged) and not event.forced:
            at_that_time = CustomerDirectory.from_events(directory.events[:position])
            assert at_that_time.merge_conflicts(event.survivor_id, event.merged_id) == ()


def respell(identifier: Identifier) -> str:
    """Another spelling of the same identifier."""
    if identifier.kind is IdentifierKind.PHONE:
        digits = identifier.value.removeprefix("+86")
        return f"0086 {digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if identifier.kind is IdentifierKind.EMAIL:
        return f"  {identifier.value.upper()} "
    return f" {identifier.value}\t"


@given(st.lists(st.tuples(idents, st.lists(st.sampled_from(POOL), max_size=2)), max_size=15))
def test_property_linking_is_a_function_of_normalized_identifiers(
    links: list[tuple[list[Identifier], list[Identifier]]],
) -> None:
    plain, respelled = CustomerDirectory(), CustomerDirectory()
    for step, (names, proven) in enumerate(links):
        a = plain.link(names, at=float(step), verified=proven)
        b = respelled.link(
            [Identifier(i.kind, respell(i)) for i in names],
            at=float(step),
            verified=[Identifier(i.kind, respell(i)) for i in proven],
        )
        assert a == b
    assert state(plain) == state(respelled)
