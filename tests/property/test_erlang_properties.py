"""Invariants of the Erlang formulas and of required_agents, checked with hypothesis.

More agents never worsen service level, ASA or abandonment; more traffic never improves
them; the required number of agents meets every target and one fewer does not.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from kefu.workforce import erlang as E

# A few ulps of slack: equal values may differ in the last bits between neighbours.
SLACK = 1e-12

agents_st = st.integers(min_value=1, max_value=6_000)
load_st = st.floats(min_value=0.01, max_value=1.6)
aht_st = st.floats(min_value=10.0, max_value=1_800.0)
patience_st = st.floats(min_value=1.0, max_value=7_200.0)
threshold_st = st.floats(min_value=0.0, max_value=600.0)


@given(n=agents_st, load=load_st)
def test_erlang_b_and_c_are_probabilities_with_c_at_least_b(n: int, load: float) -> None:
    a = n * load
    b, c = E.erlang_b(a, n), E.erlang_c(a, n)
    assert 0.0 <= b <= c <= 1.0
    # One more server lowers blocking and waiting (or keeps them at 0).
    assert E.erlang_b(a, n + 1) <= b * (1 + SLACK)
    assert E.erlang_c(a, n + 1) <= c * (1 + SLACK)


@given(n=agents_st, load=load_st, aht=aht_st, t=threshold_st)
def test_erlang_c_more_agents_never_worse(n: int, load: float, aht: float, t: float) -> None:
    a = n * load
    assert E.service_level(a, n + 1, aht, t) >= E.service_level(a, n, aht, t) - SLACK
    asa_n, asa_more = E.average_speed_of_answer(a, n, aht), E.average_speed_of_answer(a, n + 1, aht)
    assert asa_more <= asa_n or math.isinf(asa_n)


@given(n=agents_st, load=load_st, extra=st.floats(min_value=0.0, max_value=0.2), aht=aht_st)
def test_erlang_c_more_traffic_never_better(n: int, load: float, extra: float, aht: float) -> None:
    a, more = n * load, n * (load + extra)
    assert E.erlang_c(more, n) >= E.erlang_c(a, n) - SLACK
    assert E.service_level(more, n, aht, 20.0) <= E.service_level(a, n, aht, 20.0) + SLACK
    assert E.average_speed_of_answer(more, n, aht) >= E.average_speed_of_answer(a, n, aht) * (
        1 - SLACK
    )


@given(n=agents_st, load=load_st, aht=aht_st, patience=patience_st, t=threshold_st)
def test_erlang_a_more_agents_never_worse(
    n: int, load: float, aht: float, patience: float, t: float
) -> None:
    rate = n * load / aht
    few, more = E.erlang_a(rate, aht, patience, n, t), E.erlang_a(rate, aht, patience, n + 1, t)
    assert more.service_level >= few.service_level - SLACK
    assert more.p_abandon <= few.p_abandon * (1 + SLACK) + 1e-300
    assert more.asa <= few.asa * (1 + 1e-9) + 1e-300
    assert more.p_wait <= few.p_wait * (1 + SLACK) + 1e-300
    for m in (few, more):
        assert 0.0 <= m.p_abandon <= m.p_wait <= 1.0
        assert 0.0 <= m.service_level <= 1.0 - m.p_abandon + SLACK
        assert m.mean_wait == m.p_abandon * patience or math.isclose(
            m.mean_wait, m.p_abandon * patience, rel_tol=1e-12
        )


@given(
    n=agents_st,
    load=load_st,
    extra=st.floats(min_value=0.0, max_value=0.3),
    aht=aht_st,
    patience=patience_st,
)
def test_erlang_a_more_traffic_never_better(
    n: int, load: float, extra: float, aht: float, patience: float
) -> None:
    low = E.erlang_a(n * load / aht, aht, patience, n, 20.0)
    high = E.erlang_a(n * (load + extra) / aht, aht, patience, n, 20.0)
    assert high.service_level <= low.service_level + SLACK
    assert high.p_abandon >= low.p_abandon * (1 - SLACK)
    assert high.asa >= low.asa * (1 - 1e-9)


@given(
    traffic=st.floats(min_value=0.05, max_value=3_000.0),
    aht=aht_st,
    sl=st.floats(min_value=0.5, max_value=0.95),
    t=st.sampled_from([10.0, 20.0, 30.0, 60.0]),
)
def test_required_agents_erlang_c_is_the_fewest_meeting_the_target(
    traffic: float, aht: float, sl: float, t: float
) -> None:
    n = E.required_agents(traffic / aht, aht, service_level=sl, threshold=t)
    assert E.service_level(traffic, n, aht, t) >= sl
    assert n == 1 or E.service_level(traffic, n - 1, aht, t) < sl


@given(
    traffic=st.floats(min_value=0.05, max_value=3_000.0),
    aht=aht_st,
    patience=patience_st,
    sl=st.floats(min_value=0.5, max_value=0.95),
    cap=st.floats(min_value=0.01, max_value=0.2),
)
def test_required_agents_erlang_a_meets_sl_and_abandonment_cap(
    traffic: float, aht: float, patience: float, sl: float, cap: float
) -> None:
    rate = traffic / aht
    n = E.required_agents(rate, aht, service_level=sl, abandon=cap, patience=patience)
    m = E.erlang_a(rate, aht, patience, n)
    assert m.service_level >= sl and m.p_abandon <= cap
    if n > 1:
        fewer = E.erlang_a(rate, aht, patience, n - 1)
        assert fewer.service_level < sl or fewer.p_abandon > cap
