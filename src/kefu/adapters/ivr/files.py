"""Reading flows from YAML or JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kefu.domain.ivr.errors import InvalidFlow
from kefu.domain.ivr.flow import Flow
from kefu.domain.ivr.flow_io import MAX_FLOW_TEXT, parse_flow

__all__ = ["load_flow", "parse_flow_text", "read_flow_data"]


def read_flow_data(path: Path) -> Any:
    """The parsed content of a ``.yaml``/``.yml``/``.json`` file; bad syntax → InvalidFlow."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFlow(f"cannot read {path}: {exc}", field="file") from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidFlow(
                f"{path.name}: bad JSON at line {exc.lineno}: {exc.msg}", field="file"
            ) from exc
    import yaml

    # libyaml's safe loader when PyYAML has it: the same documents ten times faster, and
    # every platform reads its flows when built (a test run builds platform after platform).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidFlow(f"{path.name}: bad YAML{where}: {problem}", field="file") from exc


def load_flow(path: Path) -> Flow:
    """The flow in ``path`` (YAML or JSON)."""
    data = read_flow_data(path)
    if not isinstance(data, dict):
        raise InvalidFlow(f"{path.name}: expected a mapping at the top", field="file")
    return parse_flow(data)


def parse_flow_text(text: str) -> dict[str, Any]:
    """The mapping a flow's text (YAML, or JSON as a subset of it) holds, as typed in an
    editor or sent to the API; empty or longer than :data:`MAX_FLOW_TEXT` characters, bad
    syntax, too deep or not a mapping → :class:`InvalidFlow` on the field ``source``."""
    if not text.strip() or len(text) > MAX_FLOW_TEXT:
        raise InvalidFlow(
            "the draft is empty or too long",
            text_key="error.flow_text_size",
            field="source",
            limit=MAX_FLOW_TEXT,
        )
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or "bad syntax"
        raise InvalidFlow(
            f"bad YAML at line {line}: {problem}",
            text_key="error.flow_yaml",
            field="source",
            line=line,
            problem=problem,
        ) from exc
    except RecursionError as exc:
        raise InvalidFlow(
            "the YAML nests too deep", text_key="error.flow_too_deep", field="source"
        ) from exc
    if not isinstance(data, dict):
        raise InvalidFlow(
            "a flow is a mapping at the top", text_key="error.flow_not_mapping", field="source"
        )
    return data
