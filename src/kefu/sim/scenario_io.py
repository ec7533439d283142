"""Reading scenarios: YAML text or a mapping in, a validated :class:`Scenario` out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kefu.sim.scenario import Scenario, ScenarioError

__all__ = ["load_scenario", "parse_scenario", "read_yaml"]


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    where = _where(tuple(err["loc"]))
    return f"{where}: {msg}" if where else msg


def parse_scenario(
    data: Mapping[str, Any], *, base_dir: Path | None = None, source: str = "scenario"
) -> Scenario:
    """Validate a scenario given as a mapping; raises :class:`ScenarioError` naming each
    bad field."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: the top level must be a mapping of fields")
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        lines = [f"{source}: {exc.error_count()} invalid field(s):"]
        for err in exc.errors():
            lines.append(f"  {_message(err)}")
        raise ScenarioError("\n".join(lines)) from None
    scenario._base_dir = base_dir
    return scenario


def read_yaml(file: Path, what: str = "scenario") -> Any:
    """The YAML document in ``file``; :class:`ScenarioError` says where it is not valid."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read {what} {file}: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{file}: not valid YAML{where}: {exc}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file."""
    file = Path(path)
    data = read_yaml(file)
    return parse_scenario(data, base_dir=file.resolve().parent, source=str(file))
