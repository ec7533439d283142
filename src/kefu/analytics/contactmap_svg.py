"""The contact map as one self-contained SVG image (no script, no font or style from
elsewhere): the page shows it inline and offers it as a download.

Columns, left to right: channels, IVR nodes, queues, agents, departments, other routing
domains, outcomes (a node's column is the kind before the colon in its name; the IVR,
department and domain columns are there when the map has such nodes). In each column the
busiest nodes come first, at most ``per_column`` (the rest are folded into one ``… +N``
node). Each edge is a band from its source to its
target as wide as its share of the busiest edge; an edge going back to an earlier or the same
column (a transfer from an agent back to a queue, or queue to queue) is drawn dashed in the
warning colour, since that is where loops live. Sizes are pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from kefu.analytics.contactmap import ContactMap

__all__ = ["COLUMNS", "contact_map_svg"]

COLUMNS = ("channel", "ivr", "queue", "agent", "department", "domain", "outcome")
"""The kinds of nodes, in column order."""
_NODE_W, _NODE_H, _GAP, _COL_GAP, _TOP = 150, 26, 8, 120, 40
_OTHER = "…"


def _kind(node: str) -> str:
    return node.split(":", 1)[0]


def _label(node: str) -> str:
    return node.split(":", 1)[1] if ":" in node else node


def contact_map_svg(
    cmap: ContactMap,
    *,
    titles: Mapping[str, str] | None = None,
    per_column: int = 12,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The SVG text of ``cmap``; ``titles`` names the columns (by kind, e.g. in the reader's
    language), ``labels`` maps node names to what is written on them (default: the part
    after the colon)."""
    volume = dict(cmap.nodes)
    named = labels or {}
    kinds = [k for k in COLUMNS if any(_kind(n) == k for n in volume)]
    shown: dict[str, str] = {}
    columns: list[list[tuple[str, int]]] = []
    for kind in kinds:
        nodes = sorted(((k, v) for k, v in volume.items() if _kind(k) == kind), key=_busiest)
        kept, rest = nodes[:per_column], nodes[per_column:]
        column = list(kept)
        for name, _v in kept:
            shown[name] = name
        if rest:
            other = f"{kind}:{_OTHER}"
            column.append((other, sum(v for _name, v in rest)))
            for name, _v in rest:
                shown[name] = other
        columns.append(column)
    where: dict[str, tuple[float, float, int]] = {}
    for col, column in enumerate(columns):
        x = 10 + col * (_NODE_W + _COL_GAP)
        for row, (node, _v) in enumerate(column):
            where[node] = (x, _TOP + row * (_NODE_H + _GAP), col)
    bands: dict[tuple[str, str], int] = {}
    for e in cmap.edges:
        s, t = shown.get(e.source), shown.get(e.target)
        if s is not None and t is not None:
            bands[(s, t)] = bands.get((s, t), 0) + e.volume
    rows = max((len(c) for c in columns), default=0)
    width = 20 + max(len(columns), 1) * (_NODE_W + _COL_GAP) - _COL_GAP
    height = _TOP + rows * (_NODE_H + _GAP) + 20
    top = max(bands.values(), default=1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12" '
        'role="img" class="contact-map-svg">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for col, kind in enumerate(kinds):
        x = 10 + col * (_NODE_W + _COL_GAP)
        title = (titles or {}).get(kind, kind)
        out.append(f'<text x="{x}" y="22" font-weight="600" fill="#1f2328">{escape(title)}</text>')
    for (s, t), count in sorted(bands.items(), key=lambda kv: kv[1]):
        sx, sy, scol = where[s]
        tx, ty, tcol = where[t]
        w = max(1.0, 14.0 * count / top)
        back = tcol <= scol
        x1, y1 = sx + _NODE_W, sy + _NODE_H / 2
        x2, y2 = tx, ty + _NODE_H / 2
        if back:  # around the top of the columns, back to the target's left side
            lift = min(y1, y2) - 30
            c1, c2 = (x1 + 60, lift), (x2 - 60, lift)
        else:
            mid = (x1 + x2) / 2
            c1, c2 = (mid, y1), (mid, y2)
        path = (
            f"M{x1:.0f},{y1:.0f} C{c1[0]:.0f},{c1[1]:.0f} {c2[0]:.0f},{c2[1]:.0f} {x2:.0f},{y2:.0f}"
        )
        style = 'stroke="#cf222e" stroke-dasharray="6 4"' if back else 'stroke="#0969da"'
        out.append(
            f'<path d="{path}" fill="none" {style} stroke-opacity="0.45" stroke-width="{w:.1f}" '
            f'data-source="{escape(s)}" data-target="{escape(t)}" data-volume="{count}">'
            f"<title>{escape(named.get(s) or _label(s))} → {escape(named.get(t) or _label(t))}:"
            f" {count}</title></path>"
        )
    for column in columns:
        for node, n in column:
            nx, ny, _col = where[node]
            text = named.get(node) or _label(node)
            if node.endswith(":" + _OTHER):
                text = f"{_OTHER} +{sum(1 for v in shown.values() if v == node)}"
            if len(text) > 16:
                text = text[:15] + "…"
            out.append(
                f'<g class="node" data-node="{escape(node)}" data-volume="{n}">'
                f'<rect x="{nx}" y="{ny}" width="{_NODE_W}" height="{_NODE_H}" rx="4" '
                'fill="#f6f8fa" stroke="#8c959f"/>'
                f'<text x="{nx + 6}" y="{ny + 17}" fill="#1f2328">{escape(text)}</text>'
                f'<text x="{nx + _NODE_W - 6}" y="{ny + 17}" text-anchor="end" '
                f'fill="#656d76">{n}</text></g>'
            )
    out.append("</svg>")
    return "\n".join(out)


def _busiest(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])
