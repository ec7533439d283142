"""Workforce management: Erlang formulas and staffing, forecasting, scheduling.

The names below are the common entry points; the sub-modules hold the full API. They are
imported on first use (PEP 562), so importing one sub-module does not pay for numpy and
scipy through the others. To export a name, add it to ``_EXPORTS`` (name → module) and to
the ``TYPE_CHECKING`` imports; no sub-module may share an exported name, or
``from kefu.workforce import name`` would return the module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kefu.workforce.erlang import (
        ErlangA,
        StaffingTarget,
        average_speed_of_answer,
        erlang_a,
        erlang_b,
        erlang_c,
        required_agents,
        service_level,
    )

_EXPORTS: dict[str, str] = {
    # Erlang B/C/A and required agents.
    "ErlangA": "kefu.workforce.erlang",
    "StaffingTarget": "kefu.workforce.erlang",
    "average_speed_of_answer": "kefu.workforce.erlang",
    "erlang_a": "kefu.workforce.erlang",
    "erlang_b": "kefu.workforce.erlang",
    "erlang_c": "kefu.workforce.erlang",
    "required_agents": "kefu.workforce.erlang",
    "service_level": "kefu.workforce.erlang",
}

__all__ = [
    "ErlangA",
    "StaffingTarget",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "required_agents",
    "service_level",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value
