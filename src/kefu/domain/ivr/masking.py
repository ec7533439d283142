"""How card and account numbers appear where they are kept: masked to their last four.

A collect node marked ``sensitive`` (the default for a Luhn-checked one: a card number)
stores its value in the events, the replayed state and the conversation as
:func:`mask_value` gives it; the full value stays in the state's ``private`` slots, in
memory only, for the self-service actions and the identity check of the same contact.
A card number typed anywhere else in a flow is masked too (:func:`scrub_cards`).
"""

from __future__ import annotations

import re

from kefu.domain.ivr.matching import luhn_ok

__all__ = ["MASK", "mask_value", "scrub_cards"]

MASK = "••••"
_SHOWN = 4
# A run of digits, maybe grouped by spaces or dashes, long enough to be a card number.
_DIGIT_RUN = re.compile(r"\d[\d -]{11,}\d")


def mask_value(value: str) -> str:
    """``value`` as ``•••• 1234`` (its last four characters, spaces and dashes dropped);
    four dots alone when it is no longer than four characters (nothing of it is shown)."""
    kept = value.replace(" ", "").replace("-", "")
    if len(kept) <= _SHOWN:
        return MASK
    return f"{MASK} {kept[-_SHOWN:]}"


def scrub_cards(text: str) -> str:
    """``text`` with every card number in it (13 to 19 digits passing Luhn, maybe grouped
    by spaces or dashes) masked: what a customer typed where no card was asked for."""
    if len(text) < 13:
        return text

    def one(found: re.Match[str]) -> str:
        digits = "".join(ch for ch in found.group() if ch.isdigit())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return mask_value(digits)
        return found.group()

    return _DIGIT_RUN.sub(one, text)
