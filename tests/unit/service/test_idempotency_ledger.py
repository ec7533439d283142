"""The idempotency ledger: a key read from the store before the engine's lock is never
taken for new when it was staged, stored or committed while the read was on its way."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kefu.service.idempotency import UNSETTLED, KeyLedger, KeyProbe
from kefu.service.ports import IdempotencyRecord


def record(key: str) -> IdempotencyRecord:
    return IdempotencyRecord(key, "hash", f"contact-{key}", {"contact_id": f"contact-{key}"}, 0.0)


def test_given_a_key_committed_while_its_probe_was_read_then_it_settles_to_the_record() -> None:
    ledger = KeyLedger()
    probe = KeyProbe("k", None, *ledger.mark())
    ledger.staged(record("k"))
    ledger.committed([record("k")])
    assert ledger.settle(probe) == record("k")
    assert ledger.pending == {}


def test_given_a_rebuilt_engine_then_an_earlier_probe_is_unsettled() -> None:
    ledger = KeyLedger()
    probe = KeyProbe("k", record("k"), *ledger.mark())
    ledger.reset()
    assert ledger.settle(probe) is UNSETTLED


def test_given_keys_forgotten_after_the_probe_then_it_is_unsettled_but_older_ones_are_not() -> None:
    ledger = KeyLedger(remember=2)
    old = KeyProbe("new-key", None, *ledger.mark())
    for key in ("a", "b"):
        ledger.committed([record(key)])
    recent = KeyProbe("new-key", None, *ledger.mark())
    ledger.committed([record("c")])  # forgets "a", committed after `old` began
    assert ledger.settle(old) is UNSETTLED
    assert ledger.settle(recent) is None


operations = st.lists(
    st.one_of(
        st.tuples(st.just("stage"), st.sampled_from("ab")),
        st.tuples(st.just("commit"), st.just("")),
        st.tuples(st.just("store"), st.sampled_from("ab")),
        st.tuples(st.just("probe"), st.sampled_from("ab")),
        st.tuples(st.just("read"), st.just("")),
        st.tuples(st.just("settle"), st.just("")),
        st.tuples(st.just("fail"), st.just("")),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(operations, st.integers(min_value=1, max_value=4))
# A key stored, then forgotten, while its probe was on its way (rare by chance alone).
@example([("probe", "a"), ("read", ""), ("store", "a"), ("store", "b"), ("settle", "")], 1)
def test_given_any_interleaving_then_a_stored_or_staged_key_never_settles_as_new(
    steps: list[tuple[str, str]], remember: int
) -> None:
    """A model of the engine: keys are staged, a batch commits what is staged ("store"
    does both), a probe marks, reads the store later, and settles later still; a failed
    batch loses what was staged and rebuilds (reset). Settling must never call a key new
    that the store or the staging area holds."""
    ledger = KeyLedger(remember=remember)
    store: dict[str, IdempotencyRecord] = {}
    staged: list[IdempotencyRecord] = []
    marks: list[tuple[str, tuple[int, int]]] = []
    probes: list[KeyProbe] = []
    for op, key in steps:
        if op in ("stage", "store") and ledger.known(key) is None and key not in store:
            staged.append(record(key))
            ledger.staged(record(key))
        if op in ("commit", "store") and staged:
            store.update({r.key: r for r in staged})
            ledger.committed(staged)
            staged = []
        elif op == "probe":
            marks.append((key, ledger.mark()))
        elif op == "read" and marks:
            key, mark = marks.pop(0)
            probes.append(KeyProbe(key, store.get(key), *mark))
        elif op == "settle" and probes:
            probe = probes.pop(0)
            answer = ledger.settle(probe)
            held = probe.key in store or any(r.key == probe.key for r in staged)
            if held:
                assert answer is not None, (probe, store, staged)
            if answer is not None and answer is not UNSETTLED:
                assert held
        elif op == "fail":
            staged = []
            ledger.reset()
