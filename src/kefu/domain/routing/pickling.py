"""Pickling the router's records alike in the pure-Python and the compiled build.

Snapshots pickle the router. A class compiled by mypyc (see ``setup.py``) is only made by
calling its ``__init__``, and the default pickling of a class with ``__slots__`` skips it;
so a record is pickled as its constructor's arguments plus its fields, which both builds
restore, and either build reads the other's snapshots.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PickledRecord"]

MYPYC_ATTRS = "__mypyc_attrs__"  # where a compiled class lists its fields


def _field_names(cls: type) -> tuple[str, ...]:
    """The instance fields of a record class: its ``__slots__``, or for a class compiled
    by mypyc (which keeps no ``__slots__``) the ``__mypyc_attrs__`` it lists them in."""
    names: tuple[str, ...] = getattr(cls, "__slots__", None) or getattr(cls, MYPYC_ATTRS)
    return names


class PickledRecord:
    """A record pickled as its constructor's arguments plus its fields, restored alike by
    the pure-Python and the compiled build: a class compiled by mypyc is only made by
    calling its ``__init__``, which the default pickling skips."""

    __slots__ = ()

    def _init_args(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {name: getattr(self, name) for name in _field_names(type(self))}
        return (type(self), self._init_args(), fields)

    def __setstate__(self, state: Any) -> None:
        if type(state) is tuple:  # pickled by default, before records had __reduce__
            state = state[1]
        for name, value in state.items():
            setattr(self, name, value)
