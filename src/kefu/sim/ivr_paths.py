"""How simulated IVR callers find their way: which option leads to their intent, calendars
for hours nodes nobody gave, valid card numbers. Used by :mod:`kefu.sim.ivr_callers`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from kefu.domain.ivr import messages as m
from kefu.domain.ivr.flow import EndNode, Flow, HoursNode, MenuNode

__all__ = ["AlwaysOpen", "OptionChooser", "luhn_fill", "with_calendars"]


class AlwaysOpen:
    """The calendar of an hours node nobody gave a calendar for: always open."""

    def is_open(self, now: float) -> bool:
        return True


def with_calendars(flow: Flow, ctx: m.IvrContext) -> m.IvrContext:
    """``ctx`` with an always-open calendar for every hours node it has no calendar for."""
    missing = {
        n.calendar
        for n in flow.nodes.values()
        if isinstance(n, HoursNode) and n.calendar not in ctx.calendars
    }
    if not missing:
        return ctx
    calendars: dict[str, m.Calendar] = {**ctx.calendars, **{c: AlwaysOpen() for c in missing}}
    return m.IvrContext(ctx.tokenizer, calendars)


def _distances(flow: Flow, target: str) -> dict[str, int]:
    """Steps (edges) from each node to ``target``, breadth-first on the reversed edges."""
    reverse: dict[str, list[str]] = {n: [] for n in flow.nodes}
    for node_id, node in flow.nodes.items():
        for t in node.targets():
            reverse[t].append(node_id)
    if target not in flow.nodes:
        return {}
    dist = {target: 0}
    todo = deque([target])
    while todo:
        n = todo.popleft()
        for p in reverse[n]:
            if p not in dist:
                dist[p] = dist[n] + 1
                todo.append(p)
    return dist


@dataclass(slots=True)
class OptionChooser:
    """Which option a caller with a given intent presses at each menu (memoized)."""

    flow: Flow
    memo: dict[str, dict[str, int]] = field(default_factory=dict)

    def dist(self, target: str) -> dict[str, int]:
        d = self.memo.get(target)
        if d is None:
            d = self.memo[target] = _distances(self.flow, target)
        return d

    def choose(self, menu: MenuNode, target: str) -> int | None:
        """Index of the option leading closest to ``target`` (None: none leads there)."""
        d = self.dist(target)
        best: tuple[int, int] | None = None
        for i, o in enumerate(menu.options):
            k = d.get(o.next)
            if k is not None and (best is None or k < best[0]):
                best = (k, i)
        return None if best is None else best[1]

    def ending(self, menu: MenuNode) -> int | None:
        ends = [n for n, node in self.flow.nodes.items() if isinstance(node, EndNode)]
        best: tuple[int, int] | None = None
        for end in ends:
            i = self.choose(menu, end)
            if i is not None:
                k = self.dist(end)[menu.options[i].next]
                if best is None or k < best[0]:
                    best = (k, i)
        return None if best is None else best[1]


def luhn_fill(digits: str) -> str:
    """``digits`` with its last digit replaced by the Luhn check digit."""
    body = digits[:-1]
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)
