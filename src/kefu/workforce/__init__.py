"""Workforce management: Erlang formulas and staffing, forecasting, scheduling.

Import the sub-modules for the full API; the names below are the common entry points.
Each block lists one module's exports, so modules are added by appending a block.
"""

from __future__ import annotations

# Erlang B/C/A and required agents (kefu.workforce.erlang).
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

__all__ = [
    # kefu.workforce.erlang
    "ErlangA",
    "StaffingTarget",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "required_agents",
    "service_level",
]
