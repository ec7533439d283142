"""The IVR menu optimizer's proposal (pure): seed 001's rules applied to measured traffic.

From a flow and an :class:`~kefu.analytics.ivr.IvrReport` of its traffic, :func:`propose`
returns a new flow version (a draft) and the list of changes with the evidence:

1. *Flatten* menus deeper than ``max_depth`` levels (seed 001: 4): a deep menu's options
   take the place of the parent option that led to it, when the parent keeps ≤ 9 options.
2. *Merge* low-volume service options (share of the menu's choices below ``min_share``,
   two or more of them, in a menu of 4 or more options; options into another menu are
   kept) into one "other services" option that leads to an agent: seed 001's 78 %
   of the service content by self-service, the rest to agents.
3. *Order* options by volume, with seed 001's exception: the services ranked 3rd and 4th
   go before the 1st and 2nd, whose callers persist anyway — unless the data say the top
   two's callers do abandon (their abandonment after choosing exceeds the others' by more
   than ``margin``); either way the figures are reported. Digits are renumbered 1, 2, …
   in the new order ("0" stays the agent); options to an agent stay last. Prompts that
   name digits need a human look.

Volumes are the measured choices: callers who gave up before hearing their option are not
counted, which underrates options listed late. Re-measure after a period on the new order
(the re-derivation every 3–4 months does that).

:func:`rederivation_due` tells admins when the published flow is older than the
re-derivation period (seed 001: every 3–4 months; default 90 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kefu.analytics.ivr import IvrReport
from kefu.domain.ivr.catalog import REDERIVATION_DAYS
from kefu.domain.ivr.flow import Flow, MenuNode, MenuOption, Node
from kefu.domain.ivr.lint import menu_levels

__all__ = [
    "REDERIVATION_DAYS",
    "Change",
    "OrderEvidence",
    "Proposal",
    "propose",
    "rederivation_due",
]

_MAX_OPTIONS = 9
_MERGE_FROM = 4  # smaller menus gain nothing from merging
_OTHER_LABEL = {"zh": "其他服务（人工）", "en": "Other services (agent)"}
_OTHER_KEYWORDS = ("其他", "other")


@dataclass(frozen=True, slots=True)
class Change:
    """One edit of the proposal at ``node_id``: ``kind`` (flatten, merge, order), in English
    and Chinese."""

    kind: str
    node_id: str
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class OrderEvidence:
    """For menu ``node_id``: the service options ranked by volume (``next`` node, choices, share of
    those callers who abandoned after choosing); the abandonment of the top two and of the
    others; whether seed 001's exception could apply (4 or more options chosen), whether it
    was applied and the resulting order."""

    node_id: str
    ranked: tuple[tuple[str, int, float], ...]
    top_abandon: float
    rest_abandon: float
    applicable: bool
    exception_applied: bool
    order: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    """The proposed draft ``flow`` (next version number), its ``changes`` and the ``evidence``
    behind each menu's order."""

    flow: Flow
    changes: tuple[Change, ...]
    evidence: tuple[OrderEvidence, ...]


def rederivation_due(
    published_at: datetime, now: datetime, period_days: int = REDERIVATION_DAYS
) -> int | None:
    """Days the published flow is past its re-derivation date (``None``: not due yet)."""
    late = now - (published_at + timedelta(days=period_days))
    return late.days if late >= timedelta(0) else None


def propose(
    flow: Flow,
    report: IvrReport,
    *,
    max_depth: int = 4,
    min_share: float = 0.03,
    margin: float = 0.05,
) -> Proposal:
    """The draft flow that follows seed 001's rules on the measured traffic (module doc)."""
    counts: dict[tuple[str, str], int] = {}
    gone: dict[tuple[str, str], int] = {}
    for o in report.options:
        key = (o.node_id, o.next)
        counts[key] = counts.get(key, 0) + o.count
        gone[key] = gone.get(key, 0) + o.abandoned_after
    nodes: dict[str, Node] = dict(flow.nodes)
    changes: list[Change] = []
    _flatten(flow, nodes, counts, gone, max_depth, changes)
    _merge(flow, nodes, counts, gone, min_share, changes)
    evidence = _order(flow.agent, nodes, counts, gone, margin, changes)
    new = Flow(
        flow.flow_id,
        flow.start,
        _reachable(flow, nodes),
        flow.agent,
        flow.version + 1,
        flow.languages,
        flow.agent_keywords,
        flow.max_visits,
    )
    return Proposal(new, tuple(changes), tuple(evidence))


def _with_nodes(flow: Flow, nodes: Mapping[str, Node]) -> Flow:
    return Flow(flow.flow_id, flow.start, dict(nodes), flow.agent, flow.version, flow.languages)


def _reachable(flow: Flow, nodes: dict[str, Node]) -> dict[str, Node]:
    """The nodes still reachable from the start or the agent node (edits orphan some)."""
    seen = {flow.start, flow.agent}
    todo = list(seen)
    while todo:
        for t in nodes[todo.pop()].targets():
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return {k: v for k, v in nodes.items() if k in seen}


def _flatten(
    flow: Flow,
    nodes: dict[str, Node],
    counts: dict[tuple[str, str], int],
    gone: dict[tuple[str, str], int],
    max_depth: int,
    changes: list[Change],
) -> None:
    """Splice menus deeper than ``max_depth`` into their parent while there is room."""
    for _ in range(len(nodes)):
        levels = menu_levels(_with_nodes(flow, nodes))
        deep = sorted(
            (n for n, lv in levels.items() if isinstance(nodes[n], MenuNode) and lv > max_depth),
            key=lambda n: -levels[n],
        )
        done = False
        for child_id in deep:
            child = nodes[child_id]
            assert isinstance(child, MenuNode)
            for parent_id, parent in list(nodes.items()):
                if not isinstance(parent, MenuNode) or parent.is_language or parent_id == child_id:
                    continue
                hit = [i for i, o in enumerate(parent.options) if o.next == child_id]
                if not hit or len(parent.options) - 1 + len(child.options) > _MAX_OPTIONS:
                    continue
                i = hit[0]
                lifted = tuple(o for o in child.options if o.next != parent_id)
                options = parent.options[:i] + lifted + parent.options[i + 1 :]
                nodes[parent_id] = replace(parent, options=_renumber(options))
                for o in lifted:
                    key = (child_id, o.next)
                    if key in counts:
                        counts[(parent_id, o.next)] = counts.pop(key)
                        gone[(parent_id, o.next)] = gone.pop(key, 0)
                counts.pop((parent_id, child_id), None)
                changes.append(
                    Change(
                        "flatten",
                        parent_id,
                        f"menu {child_id!r} (level {levels[child_id]}) lifted into {parent_id!r}",
                        f"菜单 {child_id!r}（第 {levels[child_id]} 层）并入 {parent_id!r}",
                    )
                )
                done = True
                break
            if done:
                break
        if not done:
            return


def _merge(
    flow: Flow,
    nodes: dict[str, Node],
    counts: dict[tuple[str, str], int],
    gone: dict[tuple[str, str], int],
    min_share: float,
    changes: list[Change],
) -> None:
    """Replace two or more low-volume options of a menu by one option to an agent."""
    for node_id, node in list(nodes.items()):
        if not isinstance(node, MenuNode) or node.is_language:
            continue
        total = sum(counts.get((node_id, o.next), 0) for o in node.options)
        if total == 0:
            continue
        if len(node.options) < _MERGE_FROM:
            continue
        low = [  # services only: a way back or into another menu is not merged away
            o
            for o in node.options
            if o.next != flow.agent
            and not isinstance(nodes.get(o.next), MenuNode)
            and counts.get((node_id, o.next), 0) < min_share * total
        ]
        if len(low) < 2 or len(low) == len(node.options):
            continue
        keep = tuple(o for o in node.options if o not in low)
        other = MenuOption("9", dict(_OTHER_LABEL), flow.agent, _OTHER_KEYWORDS)
        nodes[node_id] = replace(node, options=_renumber((*keep, other)))
        counts[(node_id, flow.agent)] = counts.get((node_id, flow.agent), 0) + sum(
            counts.pop((node_id, o.next), 0) for o in low
        )
        gone[(node_id, flow.agent)] = gone.get((node_id, flow.agent), 0) + sum(
            gone.pop((node_id, o.next), 0) for o in low
        )
        names = ", ".join(o.next for o in low)
        changes.append(
            Change(
                "merge",
                node_id,
                f"low-volume options ({names}) merged into one option to an agent",
                f"低话务量选项（{names}）合并为一个转人工选项",
            )
        )


def _order(
    agent: str,
    nodes: dict[str, Node],
    counts: Mapping[tuple[str, str], int],
    gone: Mapping[tuple[str, str], int],
    margin: float,
    changes: list[Change],
) -> list[OrderEvidence]:
    """Order every measured menu by volume, with seed 001's exception where the data allow."""
    evidence: list[OrderEvidence] = []
    for node_id, node in list(nodes.items()):
        if not isinstance(node, MenuNode) or node.is_language:
            continue
        n = {o.next: counts.get((node_id, o.next), 0) for o in node.options}
        if sum(n.values()) == 0:
            continue
        # Services by volume (stable: ties keep their order); ways to an agent stay last.
        ranked = sorted((o for o in node.options if o.next != agent), key=lambda o: -n[o.next])
        to_agent = [o for o in node.options if o.next == agent]

        def rate(opts: list[MenuOption], n: Mapping[str, int] = n, nid: str = node_id) -> float:
            chose = sum(n[o.next] for o in opts)
            return sum(gone.get((nid, o.next), 0) for o in opts) / chose if chose else 0.0

        top_rate, rest_rate = rate(ranked[:2]), rate(ranked[2:])
        applicable = len(ranked) >= 4 and n[ranked[3].next] > 0
        apply = applicable and top_rate <= rest_rate + margin
        order = (ranked[2:4] + ranked[:2] + ranked[4:] if apply else ranked) + to_agent
        evidence.append(
            OrderEvidence(
                node_id,
                tuple(
                    (
                        o.next,
                        n[o.next],
                        gone.get((node_id, o.next), 0) / n[o.next] if n[o.next] else 0.0,
                    )
                    for o in ranked
                ),
                top_rate,
                rest_rate,
                applicable,
                apply,
                tuple(o.next for o in order),
            )
        )
        if tuple(order) != node.options or any(o.digit != str(i) for i, o in enumerate(order, 1)):
            nodes[node_id] = replace(node, options=_renumber(tuple(order)))
            rule_en = "3rd and 4th first (seed 001)" if apply else "by volume"
            rule_zh = "第三、四位在前（种子 001）" if apply else "按话务量"
            changes.append(
                Change(
                    "order",
                    node_id,
                    f"options ordered {rule_en}: {', '.join(o.next for o in order)}",
                    f"选项排序{rule_zh}：{', '.join(o.next for o in order)}",
                )
            )
    return evidence


def _renumber(options: tuple[MenuOption, ...]) -> tuple[MenuOption, ...]:
    """Digits 1, 2, … in the given order (``0`` stays the agent's)."""
    return tuple(replace(o, digit=str(i)) for i, o in enumerate(options, 1))
