"""Reading flows from YAML or JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kefu.domain.ivr.errors import InvalidFlow
from kefu.domain.ivr.flow import Flow
from kefu.domain.ivr.flow_io import parse_flow

__all__ = ["load_flow", "read_flow_data"]


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

    try:
        return yaml.safe_load(text)
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
