"""Errors of the message catalogs."""

from __future__ import annotations

from kefu.domain.errors import NotFound

__all__ = ["UnknownLanguage"]


class UnknownLanguage(NotFound):
    """No catalog for the language asked (a 404 through the API's error table)."""

    error_id = "unknown_language"
