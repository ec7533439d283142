"""Message catalogs: one gettext ``.po`` file per language under
``locale/<lang>/LC_MESSAGES/kefu.po``, read with Babel at first use and compiled in memory
(no build step). Message ids are stable keys (``chat.open``, ``vocab.tier.2``); the
English catalog is the source of the keys.

A message's text may hold ``{name}`` placeholders (filled by :meth:`Catalog.text`).
Plural messages carry one form per gettext plural form of their language; the JSON export
names them by CLDR plural category (``one``, ``other``, …) so a page picks the form with
``Intl.PluralRules`` and needs no code from the catalog.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kefu.i18n.errors import UnknownLanguage

__all__ = ["DOMAIN", "LOCALE_DIR", "SOURCE_LANGUAGE", "Catalog", "Catalogs", "placeholders"]

DOMAIN = "kefu"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
# Short codes the pages and the customer-language guess use, mapped to catalog names.
ALIASES = {
    "zh": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh_tw": "zh_Hant",
    "zh_hk": "zh_Hant",
    "zh_mo": "zh_Hant",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Sample counts that meet every CLDR plural category of the languages kefu ships.
_SAMPLES = (*range(0, 200), 1000, 10000, 100000, 1000000)


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` placeholders of one message text."""
    return frozenset(_PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Catalog:
    """One language's messages. ``messages`` maps a key to its text, or to its plural
    forms in gettext order; ``plural_expr`` is the gettext plural expression."""

    language: str
    messages: dict[str, str | tuple[str, ...]]
    num_plurals: int
    plural_expr: str
    version: str
    _gnu: gettext.GNUTranslations = field(repr=False, compare=False)

    @property
    def bcp47(self) -> str:
        """The language tag browsers use (``zh-Hans``)."""
        return self.language.replace("_", "-")

    def text(self, key: str, **values: object) -> str:
        """The message ``key`` with its placeholders filled; the key itself when missing
        (a test keeps every key in every catalog)."""
        return _fill(self._gnu.gettext(key), values)

    def plural(self, key: str, n: int, **values: object) -> str:
        """The plural message ``key`` in the form for ``n`` (``n`` fills ``{n}`` too)."""
        return _fill(self._gnu.ngettext(key, key, n), {"n": n, **values})

    def plural_index(self, n: int) -> int:
        """The gettext form index for the count ``n``."""
        return int(gettext.c2py(self.plural_expr)(n))

    def categories(self) -> dict[str, int]:
        """CLDR plural category → gettext form index, from sample counts."""
        rule = Locale.parse(self.language).plural_form
        found: dict[str, int] = {}
        for n in _SAMPLES:
            found.setdefault(rule(n), self.plural_index(n))
        return found

    def export(self) -> dict[str, Any]:
        """The JSON form the pages load: plural messages as ``{category: text}``."""
        categories = self.categories()
        messages: dict[str, str | dict[str, str]] = {}
        for key, value in self.messages.items():
            if isinstance(value, tuple):
                messages[key] = {cat: value[i] for cat, i in categories.items() if i < len(value)}
            else:
                messages[key] = value
        return {
            "language": self.language,
            "bcp47": self.bcp47,
            "version": self.version,
            "messages": messages,
        }


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _fill(text: str, values: dict[str, object]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def _load(language: str, path: Path) -> Catalog:
    raw = path.read_bytes()
    with io.BytesIO(raw) as source:
        po: PoCatalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    messages: dict[str, str | tuple[str, ...]] = {}
    for message in po:
        if not message.id:
            continue  # the header
        if isinstance(message.id, tuple | list):
            messages[str(message.id[0])] = tuple(str(s) for s in message.string or ())
        else:
            messages[str(message.id)] = str(message.string)
    return Catalog(
        language=language,
        messages=messages,
        num_plurals=po.num_plurals,
        plural_expr=po.plural_expr,
        version=hashlib.sha256(raw).hexdigest()[:12],
        _gnu=gettext.GNUTranslations(compiled),
    )


class Catalogs:
    """Every catalog found under ``root`` (one directory per language): adding a language
    is adding its directory."""

    def __init__(self, root: Path = LOCALE_DIR) -> None:
        self.root = root
        self._catalogs: dict[str, Catalog] = {}
        for path in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = path.parent.parent.name
            self._catalogs[language] = _load(language, path)
        if SOURCE_LANGUAGE not in self._catalogs:
            raise UnknownLanguage(f"no {SOURCE_LANGUAGE} catalog under {root.name}")
        digest = hashlib.sha256()
        for catalog in self._catalogs.values():
            digest.update(catalog.version.encode())
        self.version = digest.hexdigest()[:12]
        """Hash of every catalog: pages add it to the JSON URL so a changed catalog is
        fetched anew."""

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._catalogs)

    def resolve(self, code: str) -> str | None:
        """The catalog for a language code (``en``, ``zh``, ``zh-CN``, ``zh_Hant``…), or
        ``None``."""
        wanted = code.strip().replace("-", "_")
        by_lower = {name.lower(): name for name in self._catalogs}
        if wanted.lower() in by_lower:
            return by_lower[wanted.lower()]
        alias = ALIASES.get(wanted.lower())
        if alias is not None and alias in self._catalogs:
            return alias
        try:
            locale = Locale.parse(wanted)
        except (ValueError, UnknownLocaleError):
            return None
        for name in self._catalogs:
            if name.split("_")[0] == locale.language:
                return name
        return None

    def get(self, code: str) -> Catalog:
        """The catalog for ``code``; :class:`UnknownLanguage` when there is none."""
        name = self.resolve(code)
        if name is None:
            raise UnknownLanguage(f"no catalog for language {code[:40]!r}", language=code[:40])
        return self._catalogs[name]

    def negotiate(self, asked: str | None, accept_language: str | None = None) -> Catalog:
        """The catalog for an explicit choice (``?lang=``), else the first acceptable
        language of an ``Accept-Language`` header, else English."""
        for code in [asked or "", *_accepted(accept_language or "")]:
            name = self.resolve(code) if code else None
            if name is not None:
                return self._catalogs[name]
        return self._catalogs[SOURCE_LANGUAGE]

    def missing(self) -> dict[str, list[str]]:
        """Language → keys of the English catalog it lacks or leaves empty (``{}`` when
        every catalog is complete)."""
        source = self._catalogs[SOURCE_LANGUAGE].messages
        found: dict[str, list[str]] = {}
        for name, catalog in self._catalogs.items():
            lacking = [key for key in source if not all(_forms(catalog.messages.get(key, "")))]
            if lacking:
                found[name] = lacking
        return found

    def json(self, code: str) -> bytes:
        """The catalog for ``code`` as the pages load it (UTF-8 JSON)."""
        return json.dumps(self.get(code).export(), ensure_ascii=False).encode()


def _accepted(header: str) -> list[str]:
    weighted: list[tuple[float, str]] = []
    for part in header.split(",")[:20]:
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code and code != "*":
            weighted.append((quality, code))
    return [code for _, code in sorted(weighted, key=lambda w: -w[0])]
