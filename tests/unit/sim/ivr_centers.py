"""Synthetic flows for the IVR analytics, callers and optimizer tests."""

from __future__ import annotations

from collections.abc import Sequence

from kefu.domain.ivr import Flow, parse_flow

#: The synthetic center's traffic: s1 is the most asked-for service, s4 the least.
VOLUMES = {"s1": 0.45, "s2": 0.30, "s3": 0.15, "s4": 0.10}


def chain(levels: int) -> Flow:
    """``levels`` nested menus, option 1 going one level deeper, the last one to ``done``."""
    nodes: dict[str, object] = {}
    for k in range(1, levels + 1):
        nxt = f"m{k + 1}" if k < levels else "done"
        nodes[f"m{k}"] = {
            "kind": "menu",
            "prompt": {"zh": "请选择", "en": "Choose"},
            "options": [
                {"digit": "1", "label": {"zh": "继续", "en": "Go on"}, "next": nxt},
                {"digit": "2", "label": {"zh": "人工", "en": "Agent"}, "next": "agent"},
            ],
        }
    nodes["done"] = {"kind": "end", "text": {"zh": "好", "en": "OK"}}
    nodes["agent"] = {"kind": "transfer", "queue": "q"}
    return parse_flow({"flow": "chain", "start": "m1", "agent": "agent", "nodes": nodes})


def center(order: Sequence[str]) -> Flow:
    """One menu listing the services in ``order``; each is a self-service action."""
    nodes: dict[str, object] = {
        "main": {
            "kind": "menu",
            "prompt": {"zh": "请选择服务", "en": "Choose a service"},
            "options": [
                {
                    "digit": str(i),
                    "label": {"zh": f"服务{s}的说明文字", "en": f"Service {s} label"},
                    "next": s,
                }
                for i, s in enumerate(order, 1)
            ],
        }
    }
    for s in order:
        nodes[s] = {
            "kind": "action",
            "action": s,
            "outcomes": {"ok": "bye"},
            "default": "agent",
            "timeout_s": 120,
        }
    nodes["bye"] = {"kind": "end", "text": {"zh": "再见", "en": "Bye"}}
    nodes["agent"] = {"kind": "transfer", "queue": "q"}
    return parse_flow({"flow": "center", "start": "main", "agent": "agent", "nodes": nodes})
