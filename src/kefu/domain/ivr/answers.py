"""How the interpreter understands answers and what it hands over.

Keywords match on tokens (see :mod:`kefu.domain.ivr.matching`): a keyword matches when all
of its tokens are among the answer's. The keyword token sets of a menu are computed once per
context (they depend on the tokenizer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kefu.domain.ivr.flow import CollectNode, Flow, MenuNode, MenuOption
from kefu.domain.ivr.masking import mask_value
from kefu.domain.ivr.matching import keyword_tokens, luhn_ok
from kefu.domain.ivr.messages import IvrContext
from kefu.domain.ivr.state import Working

__all__ = [
    "collected_value",
    "handoff_attributes",
    "has_keyword",
    "match_option",
    "sensitive_shown",
    "wants_agent",
]

T = TypeVar("T")
Sets = tuple[frozenset[str], ...]


def _cached(ctx: IvrContext, owner: object, build: Callable[[], T]) -> T:
    """``build()`` once per ``owner`` (a menu, the flow, a word list) and context."""
    hit = ctx.cache.get(id(owner))
    if not isinstance(hit, tuple) or hit[0] is not owner:
        hit = (owner, build())
        ctx.cache[id(owner)] = hit
    value: T = hit[1]
    return value


def wants_agent(flow: Flow, text: str, ctx: IvrContext) -> bool:
    """True for "0" and for words with one of the flow's agent keywords ("人工", "agent")."""
    if text == "0":
        return True
    if not text or text.isdigit():
        return False
    tok = ctx.tokenizer
    sets: Sets = _cached(ctx, flow, lambda: keyword_tokens(flow.agent_keywords, tok))
    found = set(tok.tokens(text))
    return any(s <= found for s in sets)


def sensitive_shown(flow: Flow, text: str, ctx: IvrContext, to_agent: bool | None = None) -> str:
    """How an answer to a sensitive question (a card number) is kept: masked to its last
    four, except words with no digit that ask for an agent ("人工"), which are no card
    number and say why the customer left the step. ``to_agent``: already decided."""
    if to_agent is None:
        to_agent = wants_agent(flow, text, ctx)
    if to_agent and not any(ch.isdigit() for ch in text):
        return text
    return mask_value(text)


def has_keyword(words: tuple[str, ...], text: str, ctx: IvrContext) -> bool:
    """True when ``text`` contains one of ``words`` (``words`` must be a long-lived tuple)."""
    tok = ctx.tokenizer
    sets: Sets = _cached(ctx, words, lambda: keyword_tokens(words, tok))
    found = set(tok.tokens(text))
    return any(s <= found for s in sets)


def match_option(node: MenuNode, text: str, ctx: IvrContext) -> tuple[MenuOption, str] | None:
    """The option chosen by digit, else the one whose keywords match best (the score of an
    option is the token count of its longest matching keyword; a tie is no match);
    with how it was chosen (``digit`` or ``keyword``)."""
    option = node.by_digit.get(text)
    if option is not None:
        return option, "digit"
    if not text or text.isdigit():
        return None
    tok = ctx.tokenizer
    table: list[tuple[MenuOption, Sets]] = _cached(
        ctx, node, lambda: [(o, keyword_tokens(o.keywords, tok)) for o in node.options]
    )
    found = set(tok.tokens(text))
    best: MenuOption | None = None
    best_score, tie = 0, False
    for opt, sets in table:
        score = max((len(s) for s in sets if s <= found), default=0)
        if score > best_score:
            best, best_score, tie = opt, score, False
        elif score and score == best_score:
            tie = True
    return None if best is None or tie else (best, "keyword")


def collected_value(node: CollectNode, text: str) -> str | None:
    """The value ``text`` gives for ``node`` (digits: spaces and dashes dropped), or ``None``
    when it fails the node's checks (length, Luhn, pattern)."""
    value = text
    if node.mode == "digits":
        value = text.replace(" ", "").replace("-", "")
        if not value.isdigit():
            return None
    if not node.min_length <= len(value) <= node.max_length:
        return None
    if node.luhn and not luhn_ok(value):
        return None
    if node.compiled is not None and node.compiled.fullmatch(value) is None:
        return None
    return value


def handoff_attributes(w: Working, reason: str) -> dict[str, str]:
    """What the IVR learned, for the agent: flow, path, reason, verification, self-service
    attempts and outcomes, the predicted wait and every collected value (``ivr.slot.*``)."""
    out = {
        "ivr.flow": f"{w.flow_id}@{w.version}",
        "ivr.language": w.language,
        "ivr.path": ">".join(w.path),
        "ivr.reason": reason,
    }
    if w.verified is not None:
        out["ivr.verified.method"] = w.verified.method
        out["ivr.verified.identifier"] = w.verified.identifier
        out["ivr.verified.at"] = repr(w.verified.at)
        if w.verified.customer_id is not None:
            out["ivr.verified.customer_id"] = w.verified.customer_id
    if w.attempts:
        out["ivr.self_service"] = ";".join(f"{a}={o}" for a, o in w.attempts)
    if w.estimated_wait_s is not None:
        out["ivr.estimated_wait_s"] = f"{w.estimated_wait_s:.0f}"
    for key, value in w.slots.items():
        out[f"ivr.slot.{key}"] = value
    return out
