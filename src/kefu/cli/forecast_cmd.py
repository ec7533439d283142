"""Commands of this module register on the root app."""

from __future__ import annotations

from kefu.cli.app import app  # noqa: F401

__all__: list[str] = []
