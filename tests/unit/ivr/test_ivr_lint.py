"""The linter on bad flows, and ``kefu ivr lint`` / ``kefu ivr show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from ivr_helpers import BANK_YAML, small_flow_dict, t
from typer.testing import CliRunner

from kefu.cli import app
from kefu.domain.ivr.flow_io import parse_flow
from kefu.domain.ivr.lint import lint


def codes(data: dict[str, Any], **kw: int) -> set[tuple[str, str | None]]:
    return {(i.code, i.node_id) for i in lint(parse_flow(data), **kw)}


def menu(name: str, *targets: str) -> dict[str, Any]:
    return {
        "kind": "menu",
        "prompt": t(name, name),
        "options": [
            {"digit": str(i + 1), "label": t(x, x), "keywords": [x], "next": x}
            for i, x in enumerate(targets)
        ],
    }


def test_given_clean_small_flow_when_linted_then_no_issue() -> None:
    assert lint(parse_flow(small_flow_dict())) == []


def test_given_orphan_node_when_linted_then_unreachable() -> None:
    data = small_flow_dict()
    data["nodes"]["orphan"] = {"kind": "end", "text": t("孤", "orphan")}
    assert codes(data) == {("unreachable", "orphan")}


def test_given_menus_pointing_at_each_other_when_linted_then_loop_without_exit() -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["options"].append(
        {"digit": "3", "label": t("更多", "More"), "keywords": ["更多"], "next": "a"}
    )
    data["nodes"]["a"] = menu("a", "b")
    data["nodes"]["b"] = menu("b", "a")
    found = codes(data)
    assert ("loop_without_exit", "a") in found and ("loop_without_exit", "b") in found
    assert not any(code == "unreachable" for code, _ in found)


def test_given_message_leading_into_closed_loop_when_linted_then_dead_end() -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["options"][1]["next"] = "note"
    data["nodes"]["note"] = {"kind": "message", "text": t("注意", "Note"), "next": "a"}
    data["nodes"]["a"] = menu("a", "b")
    data["nodes"]["b"] = menu("b", "a")
    assert ("dead_end", "note") in codes(data)


def test_given_action_that_only_ends_when_linted_then_no_agent_route() -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["options"][1]["next"] = "act"
    data["nodes"]["act"] = {"kind": "action", "action": "block", "outcomes": {}, "default": "done"}
    assert codes(data) == {("no_agent_route", "act")}


def test_given_missing_english_and_ten_options_when_linted_then_both_reported() -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["prompt"] = {"zh": "请选择"}
    data["nodes"]["main"]["options"] = [
        {"digit": d, "label": t(d, d), "keywords": [f"k{d}"], "next": "done"} for d in "123456789*"
    ]
    issues = lint(parse_flow(data))
    fields = {(i.code, i.field) for i in issues}
    assert ("missing_translation", "nodes.main.prompt.en") in fields
    assert ("too_many_options", "nodes.main.options") in fields
    assert all(i.message and i.message_zh for i in issues)


def test_given_five_menu_levels_when_linted_then_too_deep_unless_limit_raised() -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["options"][1]["next"] = "l2"
    for level, nxt in ((2, "l3"), (3, "l4"), (4, "l5"), (5, "done")):
        data["nodes"][f"l{level}"] = menu(f"l{level}", nxt)
    data["nodes"]["l5"]["options"][0]["keywords"] = ["五"]
    assert codes(data) == {("too_deep", "l5")}
    assert codes(data, max_depth=5) == set()


def test_given_keyword_on_two_options_when_linted_then_warning() -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["options"][1]["keywords"] = ["挂失", "余额"]
    issues = lint(parse_flow(data))
    assert [(i.code, i.severity) for i in issues] == [("keyword_clash", "warning")]


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_given_cli_when_bank_flow_then_exit_0_and_json_ok() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["ivr", "lint", str(BANK_YAML), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True
    shown = runner.invoke(app, ["ivr", "show", str(BANK_YAML), "--lang", "en"])
    assert shown.exit_code == 0 and "Bill explanation" in shown.output


def test_given_cli_when_flow_has_errors_then_exit_1_with_codes(tmp_path: Path) -> None:
    data = small_flow_dict()
    data["nodes"]["orphan"] = {"kind": "end", "text": {"zh": "孤"}}
    path = _write(tmp_path, data)
    runner = CliRunner()
    result = runner.invoke(app, ["ivr", "lint", str(path), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert {i["code"] for i in payload["issues"]} == {"unreachable", "missing_translation"}
    table = runner.invoke(app, ["ivr", "lint", str(path)])
    assert table.exit_code == 1 and "unreachable" in table.output and "错误" in table.output


def test_given_cli_when_unknown_kind_or_bad_yaml_then_exit_2_naming_field(tmp_path: Path) -> None:
    data = small_flow_dict()
    data["nodes"]["main"]["kind"] = "menuu"
    runner = CliRunner()
    result = runner.invoke(app, ["ivr", "lint", str(_write(tmp_path, data))])
    assert result.exit_code == 2
    assert "nodes.main.kind" in result.output and "unknown node kind" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("flow: [\n", encoding="utf-8")
    result = runner.invoke(app, ["ivr", "lint", str(bad), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["error_id"] == "invalid_flow"
