"""The visual IVR (``/ivr/<flow>``): a flow as a mobile-friendly page, for customers who
cannot stand long menus (seed 001): every menu and option at once, the verification as one
form, self-service answers in the page, and the hand-off to the chat widget.

The page is a view of the flow's graph (:func:`flow_outline`, server-rendered) driven by
the same conversation the chat runs: its script talks the chat socket's protocol
(:mod:`kefu.web.chat`) with the flow as the pre-chat topic, and answers each question the
flow asks with what the customer clicked or typed in the page. When an agent takes over,
the chat widget opens on the same conversation (the same browser cookie).
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kefu.domain.ivr.errors import FlowNotPublished, UnknownFlowVersion
from kefu.domain.ivr.flow import CollectNode, Flow, MenuNode, Node, VerifyNode
from kefu.web.chat import CHAT_COOKIE, ChatHub

__all__ = ["IvrPages", "flow_outline"]


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
        out.append({"label": dict(option.label), "steps": step, "children": children})
    return out


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


class IvrPages:
    """``GET /ivr/{flow_id}``: the published version of a flow, as a page."""

    def __init__(self, chat: ChatHub) -> None:
        self.chat = chat
        self.router = APIRouter(include_in_schema=False)
        self.router.add_api_route("/ivr/{flow_id}", self.page, methods=["GET"])

    async def page(self, request: Request, flow_id: str) -> HTMLResponse:
        ivr = self.chat.ivr
        try:
            if ivr is None:
                raise FlowNotPublished("no IVR", flow_id=flow_id)
            flow = ivr.catalog.published(flow_id)
        except (FlowNotPublished, UnknownFlowVersion):
            shown = html.escape(flow_id[:64])
            body = f"<!doctype html><title>404</title><p>No flow “{shown}” 无此自助流程</p>"
            return HTMLResponse(body, status_code=404)
        outline = flow_outline(flow)
        token = request.cookies.get(CHAT_COOKIE)
        fresh = self.chat.token_id(token) is None
        response = self.chat.templates.TemplateResponse(
            request, "ivr.html", {"outline": outline, "flow_id": flow.flow_id}
        )
        if fresh:
            response.set_cookie(
                CHAT_COOKIE,
                self.chat.issue_token(),
                max_age=180 * 86400,
                httponly=True,
                samesite="lax",
                secure=self.chat.settings.secure_cookies,
            )
        return response
