"""What kefu writes to a customer, in one language: the catalog's text (``kefu.i18n``) in
the customer's language, which is the language recorded on their profile, else the one of
their newest message (Chinese when it has Chinese characters, English when it has Latin
letters), else the site's default (:attr:`ChannelOptions.language`).

Catalog names are used throughout (``zh_Hans``, ``en``); a profile records ``zh``/``en``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kefu.domain.customers import Conversation, Direction, UnknownCustomer
from kefu.i18n import catalogs
from kefu.service.channels.state import ChannelState

__all__ = [
    "DEFAULT_LANGUAGE",
    "customer_language",
    "customer_plural",
    "customer_text",
    "language_of_messages",
    "language_of_text",
    "recorded_language",
]

DEFAULT_LANGUAGE = "zh_Hans"
"""The site's default when nothing tells the customer's language."""
_PROFILE = {"zh": "zh_Hans", "en": "en"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of_text(text: str) -> str | None:
    """``zh_Hans`` for a text with Chinese characters, ``en`` for one with Latin letters,
    else ``None``."""
    if _CJK.search(text):
        return "zh_Hans"
    return "en" if _LATIN.search(text) else None


def language_of_messages(convs: Iterable[Conversation]) -> str | None:
    """The language of the customer's newest inbound message that tells one (``convs``
    newest activity first); ``None`` without one."""
    for conv in convs:
        for message in reversed(conv.messages):
            if message.direction is Direction.INBOUND:
                language = language_of_text(message.text)
                if language is not None:
                    return language
    return None


def recorded_language(state: ChannelState, customer_id: str) -> str | None:
    """The language on the customer's profile as a catalog name; ``None`` when unset."""
    return _PROFILE.get(state.directory.profiles.details(customer_id).language)


def customer_language(
    state: ChannelState, customer_id: str | None, default: str = DEFAULT_LANGUAGE
) -> str:
    """The language to write to ``customer_id`` in (module doc); ``default`` for an
    unknown customer."""
    if customer_id is None:
        return default
    try:
        live = state.directory.resolve(customer_id)
    except UnknownCustomer:
        return default
    return (
        recorded_language(state, live)
        or language_of_messages(state.book.for_customer(live))
        or default
    )


def customer_text(language: str, key: str, **values: object) -> str:
    """The catalog message ``key`` in ``language`` with its placeholders filled."""
    return catalogs().get(language).text(key, **values)


def customer_plural(language: str, key: str, n: int, **values: object) -> str:
    """The plural catalog message ``key`` in ``language`` in its form for ``n``."""
    return catalogs().get(language).plural(key, n, **values)
