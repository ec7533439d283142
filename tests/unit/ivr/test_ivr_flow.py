"""Flows as data: parsing, errors naming the field, the dict round trip, versions."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ivr_helpers import BANK_YAML, small_flow, small_flow_dict, t

from kefu.adapters.ivr.files import load_flow
from kefu.domain.ivr import FlowCatalog, FlowNotPublished, InvalidFlow, UnknownFlowVersion
from kefu.domain.ivr.catalog import rederivation_overdue_days
from kefu.domain.ivr.flow_io import flow_to_dict, parse_flow
from kefu.domain.ivr.matching import luhn_ok, plain_tokens


def test_given_bank_flow_when_round_tripped_through_dict_then_equal() -> None:
    flow = load_flow(BANK_YAML)
    assert parse_flow(flow_to_dict(flow)) == flow
    assert flow_to_dict(flow) == flow_to_dict(parse_flow(flow_to_dict(flow)))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["nodes"]["main"].update(kind="menuu"), "nodes.main.kind"),
        (lambda d: d["nodes"]["main"]["options"][1].update(next="nowhere"), "nodes.main"),
        (lambda d: d["nodes"]["main"]["options"][1].update(digit="0"),
         "nodes.main.options[1].digit"),
        (lambda d: d["nodes"]["main"]["options"][1].update(digit="1"),
         "nodes.main.options[1].digit"),
        (lambda d: d["nodes"]["account"].update(timeout_s=-1), "nodes.account.timeout_s"),
        (lambda d: d["nodes"]["account"].update(pattern="(["), "nodes.account.pattern"),
        (lambda d: d["nodes"]["account"].update(mode="voice"), "nodes.account.mode"),
        (lambda d: d["nodes"]["account"].pop("slot"), "nodes.account.slot"),
        (lambda d: d["nodes"]["done"].update(text="bye"), "nodes.done.text"),
        (lambda d: d["nodes"]["main"]["options"][0].update(keywords=["余额", True]),
         "nodes.main.options[0].keywords[1]"),
        (lambda d: d.update(agent="main"), "agent"),
        (lambda d: d.update(start="nope"), "start"),
    ],
)  # fmt: skip
def test_given_bad_flow_dict_when_parsed_then_invalid_flow_names_the_field(
    change: object, field: str
) -> None:
    data = copy.deepcopy(small_flow_dict())
    change(data)  # type: ignore[operator]
    with pytest.raises(InvalidFlow) as info:
        parse_flow(data)
    assert info.value.details["field"] == field
    assert field in info.value.message
    assert info.value.error_id == "invalid_flow"


def test_given_cycle_of_messages_when_parsed_then_refused() -> None:
    data = small_flow_dict()
    data["nodes"]["m1"] = {"kind": "message", "text": t("一", "one"), "next": "m2"}
    data["nodes"]["m2"] = {"kind": "message", "text": t("二", "two"), "next": "m1"}
    with pytest.raises(InvalidFlow, match="never wait"):
        parse_flow(data)


def test_given_bad_yaml_file_when_loaded_then_message_gives_the_line(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.yaml"
    path.write_text("flow: x\nnodes:\n  a: [\n", encoding="utf-8")
    with pytest.raises(InvalidFlow, match="bad YAML at line"):
        load_flow(path)


def test_given_catalog_when_published_and_rolled_back_then_contacts_keep_their_version() -> None:
    catalog = FlowCatalog()
    with pytest.raises(UnknownFlowVersion):
        catalog.published("small")
    v1 = catalog.save_draft(small_flow())
    with pytest.raises(FlowNotPublished):
        catalog.published("small")
    catalog.publish("small", at=10.0)
    data = small_flow_dict()
    data["nodes"]["main"]["prompt"] = t("请选择服务", "Choose a service")
    draft = catalog.save_draft(parse_flow(data))
    again = catalog.save_draft(parse_flow(data))  # a draft is replaced, not renumbered
    assert (v1.version, draft.version, again.version) == (1, 2, 2)
    assert catalog.published("small") == v1  # the draft is not live yet
    catalog.publish("small", at=20.0)
    assert catalog.published("small").version == 2
    assert catalog.get("small", 1) == v1  # a contact that started on v1 keeps it
    rolled = catalog.rollback("small", at=30.0)
    assert rolled.version == 1
    assert catalog.published("small") == v1
    assert catalog.history("small").publications == [(1, 10.0), (2, 20.0), (1, 30.0)]
    assert catalog.history("small").published_at == 10.0  # v1's menus date from its first
    with pytest.raises(UnknownFlowVersion):
        catalog.get("small", 7)


@pytest.mark.parametrize(
    ("days_after", "overdue"),
    [(0.0, None), (89.99, None), (90.0, 0), (90.99, 0), (91.0, 1), (400.0, 310)],
)
def test_given_a_publication_when_days_pass_then_rederivation_due_after_90_days(
    days_after: float, overdue: int | None
) -> None:
    published = 1_700_000_000.0
    now = published + days_after * 86_400.0
    assert rederivation_overdue_days(published, now) == overdue
    assert rederivation_overdue_days(published, now - 60 * 86_400.0, period_days=30) == overdue


def test_given_an_unpublished_draft_when_asked_its_publication_then_none() -> None:
    catalog = FlowCatalog()
    catalog.save_draft(small_flow())
    assert catalog.history("small").published_at is None


def test_given_card_numbers_when_checked_then_luhn_accepts_only_valid_ones() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert not luhn_ok("7992739871a")
    assert not luhn_ok("")


def _luhn_by_the_book(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = 2 * d - 9 if 2 * d > 9 else 2 * d
        total += d
    return digits.isdigit() and total % 10 == 0


@given(
    st.text(alphabet="0123456789", max_size=30) | st.text(alphabet="0123456789٤٥ 1a", max_size=8)
)
def test_given_any_digit_string_when_luhn_checked_then_same_as_by_the_book(digits: str) -> None:
    assert luhn_ok(digits) == _luhn_by_the_book(digits)


def test_given_chinese_text_when_plain_tokens_then_characters_and_pairs() -> None:
    assert plain_tokens("我要挂失") == ["我", "要", "挂", "失", "我要", "要挂", "挂失"]
    assert plain_tokens("Talk to an AGENT!") == ["talk", "to", "an", "agent"]
