"""Property tests of the IVR interpreter on random flows and random callers.

Random flows mix every node kind; nodes that never wait only point forward, so a flow always
loads. A random caller answers with digits, keywords, noise, silence (a timeout exactly at
``next_due``) or hangs up, and the driver answers self-service, verification and wait
requests at random. Checked after every step: the events replay to the state (also after a
JSON round trip), retries stay within the node's limit, a waiting contact always has a
deadline; and at every node that waits, "0", "人工" or "agent" hands the contact to the
flow's agent queue. Every contact ends within a bound that depends only on the flow.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.ivr import Flow, IvrContext, IvrState, begin, next_due, replay, step
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.events import IvrEvent, ivr_event_from_dict, ivr_event_to_dict
from kefu.domain.ivr.flow_io import flow_to_dict, parse_flow
from kefu.domain.ivr.lint import lint

T = {"zh": "文本", "en": "text"}
KEYWORDS = ["余额", "挂失", "balance", "lost", "账单", "bill"]
WAITING = ("menu", "collect", "verify", "callback")
SILENT = ("message", "action", "hours")


class Alternating:
    """A calendar open in even minutes."""

    def is_open(self, now: float) -> bool:
        return int(now // 60) % 2 == 0


CTX = IvrContext(calendars={"cal": Alternating()})


@st.composite
def flows(draw: st.DrawFn) -> Flow:
    n = draw(st.integers(2, 9))
    ids = [f"n{i}" for i in range(n)]
    ends = ["agent", "bye", "other"]

    def forward(i: int) -> str:
        return draw(st.sampled_from(ids[i + 1 :] + ends))

    def anywhere() -> str:
        return draw(st.sampled_from(ids + ends))

    nodes: dict[str, Any] = {}
    for i, node_id in enumerate(ids):
        kind = draw(st.sampled_from(WAITING + SILENT))
        retries = draw(st.integers(0, 3))
        if kind == "menu":
            count = draw(st.integers(1, 4))
            nodes[node_id] = {
                "kind": "menu",
                "prompt": T,
                "retries": retries,
                "options": [
                    {
                        "digit": str(d + 1),
                        "label": T,
                        "next": anywhere(),
                        "keywords": draw(st.lists(st.sampled_from(KEYWORDS), max_size=2)),
                    }
                    for d in range(count)
                ],
            }
        elif kind == "collect":
            nodes[node_id] = {
                "kind": "collect",
                "prompt": T,
                "slot": "acct",
                "retries": retries,
                "min_length": 2,
                "max_length": 4,
                "next": anywhere(),
                "luhn": draw(st.booleans()),
            }
        elif kind == "verify":
            nodes[node_id] = {
                "kind": "verify",
                "prompt": T,
                "method": "pin",
                "identifier_slot": "acct",
                "retries": retries,
                "next": anywhere(),
                "retry": draw(st.sampled_from([None, anywhere()])),
            }
        elif kind == "callback":
            nodes[node_id] = {
                "kind": "callback",
                "queue": "q1",
                "announce": T,
                "offer": T,
                "next": anywhere(),
            }
        elif kind == "message":
            nodes[node_id] = {"kind": "message", "text": T, "next": forward(i)}
        elif kind == "action":
            nodes[node_id] = {
                "kind": "action",
                "action": "svc",
                "default": forward(i),
                "outcomes": {"ok": forward(i)},
            }
        else:
            nodes[node_id] = {
                "kind": "hours",
                "calendar": "cal",
                "open": forward(i),
                "closed": forward(i),
            }
    nodes["agent"] = {"kind": "transfer", "queue": "agents"}
    nodes["bye"] = {"kind": "end", "text": T}
    nodes["other"] = {"kind": "goto", "flow": "next"}
    data = {
        "flow": "random",
        "start": "n0",
        "agent": "agent",
        "nodes": nodes,
        "max_visits": draw(st.integers(1, 15)),
    }
    return parse_flow(data)


def _max_retries(flow: Flow) -> int:
    return max((getattr(n, "retries", 0) for n in flow.nodes.values()), default=0)


def _caller_input(data: st.DataObject, state: IvrState) -> m.Input:
    """What the random caller or the driver sends, given what the flow waits for."""
    silent = data.draw(st.integers(0, 9)) == 0
    if state.waiting == "action":
        outcome = data.draw(st.sampled_from(["ok", "error"]))
        return m.Timeout() if silent else m.ActionDone(outcome, {"k": "v"})
    if state.waiting == "verify":
        return m.Timeout() if silent else m.VerifyDone(data.draw(st.booleans()), "cust")
    if state.waiting == "estimate":
        return (
            m.Timeout()
            if silent
            else m.WaitEstimate(data.draw(st.sampled_from([None, 30.0, 600.0])))
        )
    if silent:
        return m.Timeout()
    if data.draw(st.integers(0, 40)) == 0:
        return m.Hangup()
    text = data.draw(
        st.one_of(
            st.sampled_from(["1", "2", "3", "4", "9", "1234", "123456", "回电", "等待"]),
            st.sampled_from(KEYWORDS),
            st.text(max_size=6),
        )
    )
    return m.Reply("5" if text.strip() in ("0", "人工", "agent") else text)


def _check(flow: Flow, state: IvrState, log: list[IvrEvent]) -> None:
    assert replay(log) == state.public()
    assert replay([ivr_event_from_dict(ivr_event_to_dict(e)) for e in log]) == state.public()
    if state.outcome is None:
        node = flow.nodes[state.node or ""]
        assert state.retries <= getattr(node, "retries", 0)
        assert next_due(state) is not None  # a silent caller still moves on


@given(flows(), st.data())
def test_given_random_flow_and_caller_when_run_then_ends_within_bound_and_replays(
    flow: Flow, data: st.DataObject
) -> None:
    assert parse_flow(flow_to_dict(flow)) == flow
    lint(flow)  # never crashes, whatever the flow
    now = 0.0
    state, _, first = begin(flow, "c", now, ctx=CTX)
    log = list(first)
    _check(flow, state, log)
    # Every input makes progress: a node entry (≤ max_visits + 1, the last to the agent), a
    # refused answer (≤ retries per entry) or a driver answer (≤ 1 per entry, plus the offer).
    bound = (flow.max_visits + 1) * (_max_retries(flow) + 3)
    inputs = 0
    while state.outcome is None:
        inp = _caller_input(data, state)
        due = next_due(state)
        assert due is not None
        now = due if isinstance(inp, m.Timeout) else now + data.draw(st.floats(0.0, 5.0))
        now = min(now, due) if not isinstance(inp, m.Timeout) else now
        state, _, events = step(flow, state, inp, now, CTX)
        log.extend(events)
        _check(flow, state, log)
        inputs += 1
        assert inputs <= bound, f"no end after {inputs} inputs"


@given(flows(), st.data(), st.sampled_from(["0", "人工", "agent", "转人工", "人工服务"]))
def test_given_any_waiting_node_when_caller_asks_for_agent_then_agent_transfer(
    flow: Flow, data: st.DataObject, words: str
) -> None:
    now = 0.0
    state, _, _ = begin(flow, "c", now, ctx=CTX)
    for _ in range(30):
        if state.outcome is not None:
            break
        if state.waiting in ("input", "secret", "offer"):
            after, actions, _ = step(flow, state, m.Reply(words), now, CTX)
            transfers = [a for a in actions if isinstance(a, m.Transfer)]
            assert after.outcome == "transfer"
            assert [t.queue_id for t in transfers] == ["agents"]
            assert transfers[0].attributes["ivr.reason"] == "agent_requested"
        inp = _caller_input(data, state)
        due = next_due(state)
        assert due is not None
        now = due if isinstance(inp, m.Timeout) else now
        state, _, _ = step(flow, state, inp, now, CTX)


@given(flows(), st.sampled_from(["silent", "wrong"]))
def test_given_silent_or_always_wrong_caller_when_run_then_retries_bounded_and_contact_ends(
    flow: Flow, behaviour: str
) -> None:
    state, _, first = begin(flow, "c", 0.0, ctx=CTX)
    log = list(first)
    bound = (flow.max_visits + 1) * (_max_retries(flow) + 3)
    for _ in range(bound):
        if state.outcome is not None:
            break
        due = next_due(state)
        assert due is not None
        customer_turn = state.waiting in ("input", "secret", "offer")
        inp: m.Input = m.Reply("#?") if behaviour == "wrong" and customer_turn else m.Timeout()
        state, _, events = step(flow, state, inp, due, CTX)
        log.extend(events)
        _check(flow, state, log)
    assert state.outcome is not None, "a caller who never answers right must still leave"
