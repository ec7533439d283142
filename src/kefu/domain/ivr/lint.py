"""The flow linter: design problems a flow can load with but should not ship with.

Errors: unreachable nodes, dead ends (no way to finish), loops without exit, missing
translations, menus with more than 9 options, menus deeper than ``max_depth`` menu levels
(seed 001: beyond 4 levels about half of the callers abandon), nodes with no route to an
agent, language options in no flow language, verify nodes whose identifier is never
collected. Warnings: options without keywords, keywords on two options of one menu, texts in
languages the flow does not declare.

"Route to an agent": every node that waits for the customer has one ("0 / 人工 / agent"); any
other node has one when it leads to a transfer or to a node that waits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from kefu.domain.ivr.flow import (
    WAITING_KINDS,
    ActionNode,
    CallbackNode,
    CollectNode,
    EndNode,
    Flow,
    GotoFlowNode,
    MenuNode,
    MessageNode,
    Node,
    TransferNode,
    VerifyNode,
)

__all__ = ["DEFAULT_MAX_DEPTH", "MAX_OPTIONS", "LintIssue", "lint", "menu_levels"]

#: Seed 001's threshold: menus beyond 4 levels lose about half of the callers.
DEFAULT_MAX_DEPTH = 4
#: One key per option on a phone keypad (0 is the agent).
MAX_OPTIONS = 9


@dataclass(frozen=True, slots=True)
class LintIssue:
    """One finding: a stable ``code``, ``severity`` (``error`` or ``warning``), the node (or
    ``None`` for the whole flow), the dotted ``field`` and the message in English and Chinese."""

    code: str
    severity: str
    node_id: str | None
    field: str
    message: str
    message_zh: str

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "node": self.node_id,
            "field": self.field,
            "message": self.message,
            "message_zh": self.message_zh,
        }


def lint(flow: Flow, max_depth: int = DEFAULT_MAX_DEPTH) -> list[LintIssue]:
    """Every issue of ``flow``, errors first, then in node order."""
    issues = [
        *_reachability(flow),
        *_endings(flow),
        *_agent_routes(flow),
        *_depth(flow, max_depth),
        *_menus(flow),
        *_translations(flow),
        *_slots(flow),
    ]
    order = {node_id: i for i, node_id in enumerate(flow.nodes)}
    return sorted(issues, key=lambda i: (i.severity != "error", order.get(i.node_id or "", -1)))


def _err(code: str, node: str | None, field: str, en: str, zh: str) -> LintIssue:
    return LintIssue(code, "error", node, field, en, zh)


def _warn(code: str, node: str | None, field: str, en: str, zh: str) -> LintIssue:
    return LintIssue(code, "warning", node, field, en, zh)


def _edges(flow: Flow, escape: bool) -> dict[str, tuple[str, ...]]:
    """Successors of every node; ``escape`` adds the agent edge of the waiting nodes."""
    out = {}
    for node_id, node in flow.nodes.items():
        succ = node.targets()
        if escape and node.kind in WAITING_KINDS:
            succ = (*succ, flow.agent)
        out[node_id] = succ
    return out


def _reach(edges: Mapping[str, tuple[str, ...]], roots: set[str]) -> set[str]:
    seen = set(roots)
    todo = list(roots)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _reverse(edges: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    rev: dict[str, list[str]] = {n: [] for n in edges}
    for src, succ in edges.items():
        for dst in succ:
            rev[dst].append(src)
    return {n: tuple(v) for n, v in rev.items()}


def _reachability(flow: Flow) -> Iterator[LintIssue]:
    reached = _reach(_edges(flow, escape=True), {flow.start})
    for node_id in flow.nodes:
        if node_id not in reached:
            yield _err(
                "unreachable",
                node_id,
                f"nodes.{node_id}",
                f"node {node_id!r} cannot be reached from the start",
                f"节点 {node_id!r} 从入口无法到达",
            )


def _endings(flow: Flow) -> Iterator[LintIssue]:
    """Nodes from which no path (without the agent escape) finishes the flow."""
    edges = _edges(flow, escape=False)
    terminal = {n for n, node in flow.nodes.items() if not node.targets()}
    finishing = _reach(_reverse(edges), terminal)
    for node_id in flow.nodes:
        if node_id in finishing:
            continue
        if node_id in _reach(edges, set(edges[node_id])):
            yield _err(
                "loop_without_exit",
                node_id,
                f"nodes.{node_id}",
                f"node {node_id!r} is in a loop with no way out but the agent escape",
                f"节点 {node_id!r} 处于无出口的循环中（只能转人工离开）",
            )
        else:
            yield _err(
                "dead_end",
                node_id,
                f"nodes.{node_id}",
                f"from node {node_id!r} no path ends the flow",
                f"节点 {node_id!r} 之后没有任何路径能结束流程",
            )


def _agent_routes(flow: Flow) -> Iterator[LintIssue]:
    edges = _edges(flow, escape=False)
    helped = {
        n
        for n, node in flow.nodes.items()
        if node.kind in WAITING_KINDS or isinstance(node, TransferNode | GotoFlowNode)
    }
    with_route = _reach(_reverse(edges), helped)
    for node_id, node in flow.nodes.items():
        if node_id not in with_route and not isinstance(node, EndNode):
            yield _err(
                "no_agent_route",
                node_id,
                f"nodes.{node_id}",
                f"from node {node_id!r} the customer can never reach an agent",
                f"节点 {node_id!r} 之后客户无法转到人工",
            )


def menu_levels(flow: Flow) -> dict[str, int]:
    """For every reachable node, the fewest menus a caller passes to get there (a menu
    counts itself)."""
    edges = _edges(flow, escape=False)

    def cost(n: str) -> int:
        return 1 if isinstance(flow.nodes[n], MenuNode) else 0

    best = {flow.start: cost(flow.start)}
    todo: deque[str] = deque([flow.start])
    while todo:  # 0-1 breadth-first search: entering a menu costs one level
        node_id = todo.popleft()
        for nxt in edges[node_id]:
            level = best[node_id] + cost(nxt)
            if level < best.get(nxt, 1 << 30):
                best[nxt] = level
                (todo.append if cost(nxt) else todo.appendleft)(nxt)
    return best


def _depth(flow: Flow, max_depth: int) -> Iterator[LintIssue]:
    for node_id, level in menu_levels(flow).items():
        if isinstance(flow.nodes[node_id], MenuNode) and level > max_depth:
            yield _err(
                "too_deep",
                node_id,
                f"nodes.{node_id}",
                f"menu {node_id!r} is {level} menu levels deep (limit {max_depth}; "
                "seed 001: beyond 4 levels 52 % of callers abandon)",
                f"菜单 {node_id!r} 位于第 {level} 层（上限 {max_depth}；"
                "超过 4 层约 52% 的来电者放弃）",
            )


def _menus(flow: Flow) -> Iterator[LintIssue]:
    for node_id, node in flow.nodes.items():
        if not isinstance(node, MenuNode):
            continue
        where = f"nodes.{node_id}.options"
        if len(node.options) > MAX_OPTIONS:
            yield _err(
                "too_many_options",
                node_id,
                where,
                f"menu {node_id!r} has {len(node.options)} options (at most {MAX_OPTIONS})",
                f"菜单 {node_id!r} 有 {len(node.options)} 个选项（最多 {MAX_OPTIONS} 个）",
            )
        owner: dict[str, str] = {}
        for i, o in enumerate(node.options):
            if o.language is not None and o.language not in flow.languages:
                yield _err(
                    "unknown_language",
                    node_id,
                    f"{where}[{i}].language",
                    f"option {o.digit} switches to {o.language!r}, not a flow language",
                    f"选项 {o.digit} 切换到的语言 {o.language!r} 不在流程语言中",
                )
            if not o.keywords:
                yield _warn(
                    "no_keywords",
                    node_id,
                    f"{where}[{i}].keywords",
                    f"option {o.digit} has no keywords: typed or spoken words cannot choose it",
                    f"选项 {o.digit} 没有关键词：文字或语音无法选择它",
                )
            for k in o.keywords:
                key = k.strip().lower()
                if key in owner and owner[key] != o.digit:
                    yield _warn(
                        "keyword_clash",
                        node_id,
                        f"{where}[{i}].keywords",
                        f"keyword {k!r} is on options {owner[key]} and {o.digit}",
                        f"关键词 {k!r} 同时属于选项 {owner[key]} 和 {o.digit}",
                    )
                owner.setdefault(key, o.digit)


def _texts(node: Node) -> Iterator[tuple[str, Mapping[str, str]]]:
    if isinstance(node, MenuNode):
        yield "prompt", node.prompt
        for i, o in enumerate(node.options):
            yield f"options[{i}].label", o.label
    elif isinstance(node, CollectNode | VerifyNode):
        yield "prompt", node.prompt
    elif isinstance(node, MessageNode):
        yield "text", node.text
    elif isinstance(node, CallbackNode):
        yield "announce", node.announce
        yield "offer", node.offer
    elif isinstance(node, TransferNode | EndNode) and node.text:
        yield "text", node.text


def _translations(flow: Flow) -> Iterator[LintIssue]:
    for node_id, node in flow.nodes.items():
        for name, text in _texts(node):
            where = f"nodes.{node_id}.{name}"
            for lang in flow.languages:
                if not str(text.get(lang, "")).strip():
                    yield _err(
                        "missing_translation",
                        node_id,
                        f"{where}.{lang}",
                        f"{where} has no {lang!r} text",
                        f"{where} 缺少 {lang!r} 文本",
                    )
            for lang in text:
                if lang not in flow.languages:
                    yield _warn(
                        "unknown_language",
                        node_id,
                        f"{where}.{lang}",
                        f"{where} has a {lang!r} text but the flow does not offer {lang!r}",
                        f"{where} 含有流程未提供的语言 {lang!r}",
                    )


def _slots(flow: Flow) -> Iterator[LintIssue]:
    collected = {n.slot for n in flow.nodes.values() if isinstance(n, CollectNode)}
    for node_id, node in flow.nodes.items():
        if isinstance(node, VerifyNode) and node.identifier_slot not in collected:
            yield _err(
                "unknown_slot",
                node_id,
                f"nodes.{node_id}.identifier_slot",
                f"no collect node fills slot {node.identifier_slot!r}",
                f"没有采集节点填写槽位 {node.identifier_slot!r}",
            )
        if isinstance(node, ActionNode) and not node.action:
            yield _err(
                "no_action",
                node_id,
                f"nodes.{node_id}.action",
                "the action has no name",
                "自助服务动作缺少名称",
            )
