"""Composition root: wires the domain to live or simulated infrastructure."""

from __future__ import annotations

__all__: list[str] = []
