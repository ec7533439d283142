"""Words and checks the interpreter needs: tokens, keyword matching, Luhn, placeholders.

Keywords match on *tokens*, not substrings, so that "人工" does not match inside "人工智能"
when a real segmenter is used. The domain only defines the :class:`Tokenizer` protocol and a
plain fallback (:func:`plain_tokens`: lower-cased latin words and digits, and every CJK
character and pair of adjacent CJK characters); a dictionary segmenter lives in the adapters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

__all__ = [
    "DEFAULT_AGENT_KEYWORDS",
    "PlainTokenizer",
    "Tokenizer",
    "fill",
    "keyword_tokens",
    "luhn_ok",
    "plain_tokens",
]

#: Words that reach an agent from every waiting node (besides the digit 0).
DEFAULT_AGENT_KEYWORDS: tuple[str, ...] = (
    "人工",
    "转人工",
    "客服",
    "坐席",
    "座席",
    "agent",
    "operator",
    "human",
    "representative",
)

_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SLOT = re.compile(r"\{([A-Za-z0-9_.]+)\}")
# A digit d doubled, as the Luhn checksum counts it: 2d, less 9 when that has two digits.
_DOUBLED = str.maketrans("0123456789", "0246813579")


class Tokenizer(Protocol):
    """Splits a customer's words into tokens (lower-cased; order kept)."""

    def tokens(self, text: str) -> Sequence[str]: ...


def plain_tokens(text: str) -> list[str]:
    """Latin words and digit runs lower-cased; CJK runs as characters and adjacent pairs."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _CJK.match(word):
            out.extend(word)
            out.extend(word[i : i + 2] for i in range(len(word) - 1))
        else:
            out.append(word)
    return out


class PlainTokenizer:
    """The fallback :class:`Tokenizer` (no dictionary): see :func:`plain_tokens`."""

    def tokens(self, text: str) -> Sequence[str]:
        return plain_tokens(text)


def keyword_tokens(keywords: Iterable[str], tokenizer: Tokenizer) -> tuple[frozenset[str], ...]:
    """Each keyword as the set of tokens an input must contain to match it."""
    out = []
    for k in keywords:
        toks = frozenset(t for t in tokenizer.tokens(k) if t.strip())
        if toks:
            out.append(toks)
    return tuple(out)


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn (mod 10) checksum."""
    if not digits.isdigit():
        return False
    if digits.isascii():
        # Every second digit from the right doubled (its digit sum: _DOUBLED), the others
        # as they are; summed as bytes, 48 ("0") too many per digit.
        plain, doubled = digits[-1::-2], digits[-2::-2].translate(_DOUBLED)
        return (sum(plain.encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders by ``values[name]``; unknown names stay as written."""
    if "{" not in template:
        return template
    parts = _TEMPLATES.get(template)
    if parts is None:
        if len(_TEMPLATES) >= _TEMPLATES_MAX:
            _TEMPLATES.clear()  # texts built from customer data must not grow the memo forever
        # Split once: literal, name, literal, name, ..., literal.
        parts = _TEMPLATES[template] = tuple(_SLOT.split(template))
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        name = parts[i]
        value = values.get(name)
        out.append("{" + name + "}" if value is None else value)
        out.append(parts[i + 1])
    return "".join(out)


# Flow texts split at their placeholders, by text (a memo: flows have few distinct texts).
_TEMPLATES: dict[str, tuple[str, ...]] = {}
_TEMPLATES_MAX = 4096
