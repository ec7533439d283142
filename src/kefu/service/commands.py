"""The base of every command: what callers ask the engine to do (one frozen
dataclass each, handled by one handler inside one transaction). The commands of each
wing live in its ``commands`` module."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Command"]


@dataclass(frozen=True, slots=True)
class Command:
    """Base of all commands."""
