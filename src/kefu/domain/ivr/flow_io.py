"""The dict form of flows (what YAML/JSON files and database rows hold), both ways.

Every error is an :class:`~kefu.domain.ivr.errors.InvalidFlow` naming the field as a dotted
path (``nodes.main.options[2].next``), so a bad file is fixed from the message alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kefu.domain.ivr.errors import InvalidFlow
from kefu.domain.ivr.flow import (
    ActionNode,
    CallbackNode,
    CollectNode,
    EndNode,
    Flow,
    GotoFlowNode,
    HoursNode,
    MenuNode,
    MenuOption,
    MessageNode,
    Node,
    TransferNode,
    VerifyNode,
)
from kefu.domain.ivr.matching import DEFAULT_AGENT_KEYWORDS

__all__ = ["MAX_FLOW_TEXT", "NODE_KINDS", "flow_to_dict", "parse_flow"]

MAX_FLOW_TEXT = 200_000
"""Characters of a flow's text (YAML or JSON) accepted from an editor or the API."""

_MISSING = object()


class _Fields:
    """Typed access to one mapping of the dict form, errors naming ``path.key``."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidFlow(f"{path}: expected a mapping, got {type(data).__name__}", field=path)
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = _MISSING) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise InvalidFlow(f"{self.at(key)}: missing", field=self.at(key))
        return default

    def s(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            hint = " (quote it in YAML)" if isinstance(value, bool) else ""
            raise InvalidFlow(
                f"{self.at(key)}: expected text, got {value!r}{hint}", field=self.at(key)
            )
        return str(value)

    def num(self, key: str, default: float, low: float = 0.0) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            raise InvalidFlow(
                f"{self.at(key)}: expected a number ≥ {low:g}, got {value!r}", field=self.at(key)
            )
        return float(value)

    def whole(self, key: str, default: int, low: int = 0) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidFlow(
                f"{self.at(key)}: expected a whole number ≥ {low}, got {value!r}",
                field=self.at(key),
            )
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise InvalidFlow(
                f"{self.at(key)}: expected true/false, got {value!r}", field=self.at(key)
            )
        return value

    def text(self, key: str, required: bool = True) -> dict[str, str]:
        value = self.get(key, _MISSING if required else {})
        if isinstance(value, str):
            raise InvalidFlow(
                f"{self.at(key)}: expected texts by language, e.g. {{zh: ..., en: ...}}",
                field=self.at(key),
            )
        texts = _Fields(value, self.at(key))
        return {str(lang): texts.s(lang) for lang in texts.data}

    def strs(self, key: str) -> tuple[str, ...]:
        value = self.get(key, [])
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise InvalidFlow(f"{self.at(key)}: expected a list", field=self.at(key))
        return tuple(
            _Fields({f"{key}[{i}]": v}, self.path).s(f"{key}[{i}]") for i, v in enumerate(value)
        )

    def mapping(self, key: str) -> dict[str, str]:
        value = _Fields(self.get(key, {}), self.at(key))
        return {str(k): value.s(k) for k in value.data}


def _option(data: Any, path: str) -> MenuOption:
    f = _Fields(data, path)
    return MenuOption(
        digit=f.s("digit"),
        label=f.text("label"),
        next=f.s("next"),
        keywords=f.strs("keywords"),
        language=f.s("language", None),
    )


def _menu(f: _Fields, node_id: str, is_language: bool) -> MenuNode:
    raw = f.get("options")
    if not isinstance(raw, list) or not raw:
        raise InvalidFlow(f"{f.at('options')}: expected a non-empty list", field=f.at("options"))
    options = tuple(_option(o, f"{f.at('options')}[{i}]") for i, o in enumerate(raw))
    digits = [o.digit for o in options]
    for i, o in enumerate(options):
        where = f"{f.at('options')}[{i}].digit"
        if len(o.digit) != 1 or o.digit not in "123456789*#":
            raise InvalidFlow(f"{where}: one key 1-9, * or # (0 is the agent)", field=where)
        if o.digit in digits[:i]:
            raise InvalidFlow(f"{where}: digit {o.digit} used twice", field=where)
        if is_language and not o.language:
            where = f"{f.at('options')}[{i}].language"
            raise InvalidFlow(f"{where}: a language option names its language", field=where)
    return MenuNode(
        node_id,
        f.text("prompt"),
        options,
        f.whole("retries", 2),
        f.num("timeout_s", 10.0),
        f.s("on_fail", None),
        is_language,
    )


def _collect(f: _Fields, node_id: str) -> CollectNode:
    mode = f.s("mode", "digits")
    if mode not in ("digits", "text"):
        raise InvalidFlow(f"{f.at('mode')}: digits or text, got {mode!r}", field=f.at("mode"))
    pattern = f.s("pattern", None)
    if pattern is not None:
        import re

        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidFlow(
                f"{f.at('pattern')}: bad pattern ({exc})", field=f.at("pattern")
            ) from exc
    luhn = f.flag("luhn", False)
    node = CollectNode(
        node_id,
        f.text("prompt"),
        f.s("slot"),
        f.s("next"),
        mode,
        f.whole("min_length", 1, 1),
        f.whole("max_length", 64, 1),
        luhn,
        pattern,
        f.whole("retries", 2),
        f.num("timeout_s", 15.0),
        f.s("on_fail", None),
        f.flag("sensitive", luhn),
    )
    if node.max_length < node.min_length:
        raise InvalidFlow(f"{f.at('max_length')}: below min_length", field=f.at("max_length"))
    return node


def _verify(f: _Fields, node_id: str) -> VerifyNode:
    length = f.get("secret_length", [4, 8])
    if (
        not isinstance(length, list | tuple)
        or len(length) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in length)
        or length[0] > length[1]
    ):
        where = f.at("secret_length")
        raise InvalidFlow(f"{where}: expected [min, max] lengths, got {length!r}", field=where)
    return VerifyNode(
        node_id,
        f.text("prompt"),
        f.s("method"),
        f.s("identifier_slot"),
        f.s("next"),
        f.s("retry", None),
        f.whole("retries", 2),
        f.num("timeout_s", 15.0),
        f.s("on_fail", None),
        (int(length[0]), int(length[1])),
    )


def _action(f: _Fields, node_id: str) -> ActionNode:
    return ActionNode(
        node_id,
        f.s("action"),
        f.mapping("outcomes"),
        f.s("default"),
        f.mapping("params"),
        f.num("timeout_s", 10.0),
    )


_PARSERS: dict[str, Callable[[_Fields, str], Node]] = {
    "menu": lambda f, n: _menu(f, n, False),
    "language": lambda f, n: _menu(f, n, True),
    "message": lambda f, n: MessageNode(n, f.text("text"), f.s("next")),
    "collect": _collect,
    "verify": _verify,
    "action": _action,
    "hours": lambda f, n: HoursNode(n, f.s("calendar"), f.s("open"), f.s("closed")),
    "callback": lambda f, n: CallbackNode(
        n,
        f.s("queue"),
        f.text("announce"),
        f.text("offer"),
        f.s("next"),
        f.num("threshold_s", 120.0),
        f.num("timeout_s", 10.0),
    ),
    "transfer": lambda f, n: TransferNode(n, f.s("queue"), f.text("text", required=False)),
    "goto": lambda f, n: GotoFlowNode(n, f.s("flow")),
    "end": lambda f, n: EndNode(n, f.text("text", required=False)),
}
NODE_KINDS: tuple[str, ...] = tuple(_PARSERS)


def parse_flow(data: Mapping[str, Any]) -> Flow:
    """Build a :class:`Flow` from its dict form."""
    top = _Fields(data, "")
    raw_nodes = _Fields(top.get("nodes"), "nodes")
    nodes: dict[str, Node] = {}
    for node_id in raw_nodes.data:
        f = _Fields(raw_nodes.data[node_id], f"nodes.{node_id}")
        kind = f.s("kind")
        parser = _PARSERS.get(kind)
        if parser is None:
            raise InvalidFlow(
                f"{f.at('kind')}: unknown node kind {kind!r} (known: {', '.join(NODE_KINDS)})",
                field=f.at("kind"),
            )
        nodes[str(node_id)] = parser(f, str(node_id))
    languages = top.strs("languages") or ("zh", "en")
    keywords = top.strs("agent_keywords") or DEFAULT_AGENT_KEYWORDS
    return Flow(
        top.s("flow"),
        top.s("start"),
        nodes,
        top.s("agent"),
        top.whole("version", 1, 1),
        languages,
        keywords,
        top.whole("max_visits", 50, 1),
    )


def _text(t: Mapping[str, str]) -> dict[str, str]:
    return dict(t)


def _node_to_dict(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": node.kind}
    if isinstance(node, MenuNode):
        out["prompt"] = _text(node.prompt)
        out["options"] = [
            {"digit": o.digit, "label": _text(o.label), "next": o.next}
            | ({"keywords": list(o.keywords)} if o.keywords else {})
            | ({"language": o.language} if o.language else {})
            for o in node.options
        ]
        out |= {"retries": node.retries, "timeout_s": node.timeout_s}
        if node.on_fail:
            out["on_fail"] = node.on_fail
    elif isinstance(node, MessageNode):
        out |= {"text": _text(node.text), "next": node.next}
    elif isinstance(node, CollectNode):
        out |= {
            "prompt": _text(node.prompt),
            "slot": node.slot,
            "next": node.next,
            "mode": node.mode,
            "min_length": node.min_length,
            "max_length": node.max_length,
            "luhn": node.luhn,
            "sensitive": node.sensitive,
            "retries": node.retries,
            "timeout_s": node.timeout_s,
        }
        out |= {k: v for k, v in (("pattern", node.pattern), ("on_fail", node.on_fail)) if v}
    elif isinstance(node, VerifyNode):
        out |= {
            "prompt": _text(node.prompt),
            "method": node.method,
            "identifier_slot": node.identifier_slot,
            "next": node.next,
            "retries": node.retries,
            "timeout_s": node.timeout_s,
            "secret_length": list(node.secret_length),
        }
        out |= {k: v for k, v in (("retry", node.retry), ("on_fail", node.on_fail)) if v}
    elif isinstance(node, ActionNode):
        out |= {
            "action": node.action,
            "outcomes": dict(node.outcomes),
            "default": node.default,
            "params": dict(node.params),
            "timeout_s": node.timeout_s,
        }
    elif isinstance(node, HoursNode):
        out |= {"calendar": node.calendar, "open": node.open, "closed": node.closed}
    elif isinstance(node, CallbackNode):
        out |= {
            "queue": node.queue,
            "announce": _text(node.announce),
            "offer": _text(node.offer),
            "next": node.next,
            "threshold_s": node.threshold_s,
            "timeout_s": node.timeout_s,
        }
    elif isinstance(node, TransferNode):
        out |= {"queue": node.queue, "text": _text(node.text)}
    elif isinstance(node, GotoFlowNode):
        out["flow"] = node.flow
    elif isinstance(node, EndNode):
        out["text"] = _text(node.text)
    return out


def flow_to_dict(flow: Flow) -> dict[str, Any]:
    """The dict form of ``flow`` (round-trips through :func:`parse_flow`)."""
    return {
        "flow": flow.flow_id,
        "version": flow.version,
        "start": flow.start,
        "agent": flow.agent,
        "languages": list(flow.languages),
        "agent_keywords": list(flow.agent_keywords),
        "max_visits": flow.max_visits,
        "nodes": {node_id: _node_to_dict(n) for node_id, n in flow.nodes.items()},
    }
