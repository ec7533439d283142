"""Lazy public names of a wing package (PEP 562).

A wing's ``__init__`` names its public API but imports a module only when one of its names
is first read: the engine's core imports a few low modules of the wings (their ports, the
access rules), and an eager ``__init__`` would import the wing's facade, and with it the
engine, while the engine itself is still loading.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``: ``homes`` maps each public name to the
    module (relative to the package, e.g. ``".state"``) that defines it. A name read once is
    kept in the package, so later reads are plain attribute reads."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
