"""User-facing text in every language: gettext catalogs (``locale/<lang>/LC_MESSAGES/
kefu.po``) read with Babel, used by the server and exported as JSON for the pages.
See ``docs/i18n.md``."""

from __future__ import annotations

from functools import cache

from kefu.i18n.catalog import LOCALE_DIR, SOURCE_LANGUAGE, Catalog, Catalogs, placeholders
from kefu.i18n.errors import UnknownLanguage

__all__ = [
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "Catalog",
    "Catalogs",
    "UnknownLanguage",
    "catalogs",
    "placeholders",
]


@cache
def catalogs() -> Catalogs:
    """The shipped catalogs, read once per process."""
    return Catalogs()
