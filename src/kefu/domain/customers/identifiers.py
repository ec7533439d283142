"""Customer identifiers and their normalization (see :mod:`kefu.domain.customers`).

* e-mail: trimmed and lower-cased;
* phone: E.164, ``+`` and digits with the country code (default 86), full-width digits and
  separators accepted, ``00`` counted as ``+``;
* chat cookie: trimmed, case kept; account number: NFKC, spaces and dashes dropped, upper-cased;
* social: ``platform:handle``, platform lower-cased, handle without a leading ``@``, case-folded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from kefu.domain.customers.errors import InvalidIdentifier

__all__ = ["DEFAULT_COUNTRY_CODE", "Identifier", "IdentifierKind", "normalize_identifier"]

DEFAULT_COUNTRY_CODE = "86"


class IdentifierKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT_COOKIE = "chat_cookie"
    SOCIAL = "social"
    ACCOUNT = "account"


_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_SOCIAL_PLATFORM = re.compile(r"[a-z0-9_.\-]+")


def _phone(raw: str, country_code: str) -> str:
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith(country_code) and len(text) >= 12:
        digits = text
    else:
        digits = country_code + (text[1:] if text.startswith("0") else text)
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        raise InvalidIdentifier(f"not a phone number: {raw!r}", kind="phone", value=raw)
    if not 8 <= len(digits) <= 15:
        raise InvalidIdentifier(
            f"a phone number has 8–15 digits with its country code: {raw!r}",
            kind="phone",
            value=raw,
        )
    return "+" + digits


def _email(raw: str) -> str:
    text = raw.strip().lower()
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or len(text) > 254
        or any(c.isspace() or c in "<>,;" for c in text)
    ):
        raise InvalidIdentifier(f"not an e-mail address: {raw!r}", kind="email", value=raw)
    return text


def _social(raw: str) -> str:
    platform, colon, handle = unicodedata.normalize("NFKC", raw).strip().partition(":")
    platform, handle = platform.strip().lower(), handle.strip().lstrip("@").casefold()
    if not colon or not _SOCIAL_PLATFORM.fullmatch(platform) or not handle:
        raise InvalidIdentifier(
            f"a social handle is 'platform:handle' (e.g. 'weibo:@张三'): {raw!r}",
            kind="social",
            value=raw,
        )
    if any(c.isspace() for c in handle):
        raise InvalidIdentifier(f"a social handle has no spaces: {raw!r}", kind="social")
    return f"{platform}:{handle}"


def _account(raw: str) -> str:
    text = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw)).upper()
    if not text or len(text) > 64 or not text.isalnum():
        raise InvalidIdentifier(f"not an account number: {raw!r}", kind="account", value=raw)
    return text


def _cookie(raw: str) -> str:
    text = raw.strip()
    if not text or len(text) > 256 or any(c.isspace() for c in text):
        raise InvalidIdentifier(
            "a chat cookie is 1–256 characters without spaces", kind="chat_cookie", value=raw
        )
    return text


def normalize_identifier(
    kind: IdentifierKind | str, raw: str, *, country_code: str = DEFAULT_COUNTRY_CODE
) -> str:
    """The normal form of ``raw`` as an identifier of ``kind`` (see the module doc)."""
    try:
        kind = IdentifierKind(kind)
    except ValueError as exc:
        known = ", ".join(k.value for k in IdentifierKind)
        raise InvalidIdentifier(f"unknown identifier kind {kind!r} (known: {known})") from exc
    if not isinstance(raw, str):
        raise InvalidIdentifier(f"an identifier value must be a string, got {raw!r}")
    if kind is IdentifierKind.PHONE:
        return _phone(raw, country_code)
    if kind is IdentifierKind.EMAIL:
        return _email(raw)
    if kind is IdentifierKind.SOCIAL:
        return _social(raw)
    if kind is IdentifierKind.ACCOUNT:
        return _account(raw)
    return _cookie(raw)


@dataclass(frozen=True, slots=True, order=True)
class Identifier:
    """A normalized identifier; building one normalizes ``value`` (default country code 86:
    use :meth:`parse` for another)."""

    kind: IdentifierKind
    value: str

    def __post_init__(self) -> None:
        value = normalize_identifier(self.kind, self.value)
        object.__setattr__(self, "kind", IdentifierKind(self.kind))
        object.__setattr__(self, "value", value)

    @classmethod
    def parse(cls, kind: IdentifierKind | str, raw: str, *, country_code: str) -> Identifier:
        return cls(IdentifierKind(kind), normalize_identifier(kind, raw, country_code=country_code))

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.value}"
