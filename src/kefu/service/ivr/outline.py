"""A flow's outline for pages that show it whole (the visual IVR, the kiosk): the language
choice, the identity form, every menu with its options nested under the option leading to
them, the answers (node, text) that reach each option, and the flow's questions."""

from __future__ import annotations

from typing import Any

from kefu.domain.ivr.flow import (
    CollectNode,
    Flow,
    MenuNode,
    MessageNode,
    Node,
    TransferNode,
    VerifyNode,
)

__all__ = ["flow_outline"]


def _option(flow: Flow, node: MenuNode, path: list[dict[str, str]], seen: set[str]) -> list[Any]:
    out = []
    for option in node.options:
        step = [*path, {"node": node.node_id, "text": option.digit}]
        target = flow.nodes.get(option.next)
        children: list[Any] = []
        # A menu reached straight from an option is shown inside it (a sub-menu).
        if isinstance(target, MenuNode) and not target.is_language and target.node_id not in seen:
            seen.add(target.node_id)
            children = _option(flow, target, step, seen)
        queue = _queue_after(flow, option.next)
        out.append(
            {"label": dict(option.label), "steps": step, "children": children, "queue": queue}
        )
    return out


def _queue_after(flow: Flow, node_id: str) -> str | None:
    """The queue an option transfers to, past the messages on the way (None: elsewhere)."""
    for _ in range(len(flow.nodes)):
        node = flow.nodes.get(node_id)
        if isinstance(node, TransferNode):
            return node.queue
        if not isinstance(node, MessageNode):
            return None
        node_id = node.next
    return None


def _in_walk_order(flow: Flow) -> list[Node]:
    """The flow's nodes in the order a walk from its start reaches them (breadth first)."""
    order, queue, seen = [], [flow.start], {flow.start}
    while queue:
        node = flow.nodes[queue.pop(0)]
        order.append(node)
        for target in node.targets():
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return order


def flow_outline(flow: Flow) -> dict[str, Any]:
    """What the page shows of ``flow``: its language choice (digit per language), the
    identity form (the collect node its verify node checks, and the verify node), and the
    menus as a tree of options, each with the steps (node, answer) that reach it."""
    nodes = flow.nodes.values()
    languages = {}
    for node in nodes:
        if isinstance(node, MenuNode) and node.is_language:
            languages = {o.language: {"node": node.node_id, "text": o.digit} for o in node.options}
    verify = next((n for n in nodes if isinstance(n, VerifyNode)), None)
    identity = None
    if verify is not None:
        collect = next(
            (n for n in nodes if isinstance(n, CollectNode) and n.slot == verify.identifier_slot),
            None,
        )
        if collect is not None:
            identity = {
                "collect": collect.node_id,
                "collect_prompt": dict(collect.prompt),
                "max_length": collect.max_length,
                "verify": verify.node_id,
                "verify_prompt": dict(verify.prompt),
                "secret_max": verify.secret_length[1],
            }
    menus = [n for n in _in_walk_order(flow) if isinstance(n, MenuNode) and not n.is_language]
    seen: set[str] = set()
    tree = []
    for menu in menus:  # each menu once: as a section, or inside the option leading to it
        if menu.node_id in seen:
            continue
        seen.add(menu.node_id)
        section = {"node": menu.node_id, "prompt": dict(menu.prompt), "options": []}
        tree.append(section)
        section["options"] = _option(flow, menu, [], seen)
    moves = {
        m.node_id: {o.next: o.digit for o in m.options} for m in menus
    }  # how the page walks from the menu it is at to the one an option belongs to
    # The questions themselves: the page answers them with its controls, and shows only
    # what the flow tells (balances, confirmations) in its results.
    questions = sorted(
        {
            text
            for node in nodes
            if isinstance(node, MenuNode | CollectNode | VerifyNode)
            for text in node.prompt.values()
        }
    )
    return {
        "flow": flow.flow_id,
        "questions": questions,
        "version": flow.version,
        "languages": languages,
        "identity": identity,
        "menus": tree,
        "moves": moves,
    }
