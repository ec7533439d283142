"""The interpreter's compact representations behave as the values they stand for: the
named-tuple actions as frozen dataclasses, a flow's resolved entries as its nodes."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from ivr_helpers import BANK_YAML

from kefu.adapters.ivr.files import load_flow
from kefu.domain.ivr import messages as m
from kefu.domain.ivr.flow import (
    ENTER_ACTION,
    ENTER_ASK,
    ENTER_CALLBACK,
    ENTER_HOURS,
    ENTER_LEAVE,
    ENTER_MESSAGE,
    ENTER_VERIFY,
)

ASK = m.Ask("main", "请选择服务。", (("1", "账单解释"),), 12.5, False, 1)


def test_given_tuple_actions_when_compared_then_equal_only_to_same_type_and_fields() -> None:
    assert m.Ask("main", "请选择服务。", (("1", "账单解释"),), 12.5, False, 1) == ASK
    assert m.Ask("main", "请选择服务。", (("1", "账单解释"),), 12.5, False, 2) != ASK
    assert tuple(ASK) != ASK
    assert not tuple(ASK) == ASK  # noqa: SIM201  (the == operator itself is under test)
    assert m.Say("x") != m.StartFlow("x")
    assert m.EstimateWait("n", "q") != m.RunAction("n", "q", {})
    assert hash(m.Say("你好")) == hash(m.Say("你好"))
    assert len({m.Say("a"), m.Say("a"), m.Say("b")}) == 2


def test_given_tuple_action_when_assigned_then_refused() -> None:
    with pytest.raises(AttributeError):
        ASK.prompt = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ASK.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "action",
    [
        ASK,
        m.Say("您好"),
        m.RunAction("balance", "balance", {"account": "1"}),
        m.EstimateWait("cb", "q"),
    ],
)
def test_given_tuple_action_when_read_as_dataclass_then_fields_asdict_replace_and_pickle_work(
    action: m.TupleAction,
) -> None:
    assert isinstance(action, m.Action) and dataclasses.is_dataclass(action)
    fields = dataclasses.fields(action)
    names = [f.name for f in fields]
    assert names == list(action._fields)
    assert all(f.default is dataclasses.MISSING for f in fields)
    assert dataclasses.asdict(action) == dict(zip(names, action, strict=True))
    assert dataclasses.replace(action) == action
    assert pickle.loads(pickle.dumps(action)) == action
    assert repr(action).startswith(f"{type(action).__name__}({names[0]}=")


def test_given_bank_flow_when_built_then_every_node_is_resolved_to_its_branch() -> None:
    flow = load_flow(BANK_YAML)
    assert set(flow.entries) == set(flow.nodes)
    codes = {
        "menu": ENTER_ASK,
        "language": ENTER_ASK,
        "collect": ENTER_ASK,
        "message": ENTER_MESSAGE,
        "action": ENTER_ACTION,
        "verify": ENTER_VERIFY,
        "hours": ENTER_HOURS,
        "callback": ENTER_CALLBACK,
        "transfer": ENTER_LEAVE,
        "end": ENTER_LEAVE,
    }
    waits = {"menu": "input", "language": "input", "collect": "input", "action": "action",
             "verify": "secret", "callback": "estimate"}  # fmt: skip
    for node_id, entry in flow.entries.items():
        node = flow.nodes[node_id]
        assert entry.node is node
        assert (entry.code, entry.kind, entry.waiting) == (
            codes[node.kind],
            node.kind,
            waits.get(node.kind),
        )
        timeout = getattr(node, "timeout_s", 0.0) if entry.waiting else 0.0
        assert entry.timeout_s == timeout
    assert flow.with_version(2).entries.keys() == flow.entries.keys()
