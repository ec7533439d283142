"""Server-rendered SVG charts of the report pages (no script, no CDN).

:func:`stacked_bars` draws one bar per bucket, its parts stacked (answered, abandoned,
the rest of what was offered); :func:`level_bars` one bar per label for a ratio 0–1 with
a target line (service level met per queue).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["Bar", "level_bars", "stacked_bars"]

WIDTH = 720
HEIGHT = 220
PAD_LEFT = 40
PAD_BOTTOM = 36
PAD_TOP = 10
COLOURS = ("#2f7d32", "#c62828", "#9e9e9e")
"""Answered, abandoned, the rest."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its ``label`` and its stacked ``parts`` (counts, bottom first)."""

    label: str
    parts: tuple[float, ...]


def _frame(title: str, body: list[str], top: float) -> Markup:
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    axis = [
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + plot_h}" '
        'stroke="#555"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH}" y2="{PAD_TOP + plot_h}" '
        'stroke="#555"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 10}" text-anchor="end" font-size="10">'
        f"{escape(_number(top))}</text>",
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + plot_h}" text-anchor="end" '
        'font-size="10">0</text>',
    ]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
        + "".join(axis + body)
        + "</svg>"
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"


LABEL_W = 100
"""The width a bar's label takes (user units): labels are drawn no closer than this."""


def _label_step(n: int, slot: float) -> int:
    """Label every how many bars so that the labels do not overlap."""
    return max(1, -(-n // 12), math.ceil(LABEL_W / max(slot, 1e-9)))


def stacked_bars(title: str, bars: Sequence[Bar], legend: Sequence[str]) -> Markup:
    """Bars of stacked counts with their labels under every few bars and a legend."""
    top = max((sum(b.parts) for b in bars), default=0.0) or 1.0
    plot_w = WIDTH - PAD_LEFT - 10
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(len(bars), 1)
    width = max(slot * 0.8, 1.0)
    step = _label_step(len(bars), slot)
    body: list[str] = []
    for i, bar in enumerate(bars):
        x = PAD_LEFT + 2 + i * slot
        y = float(PAD_TOP + plot_h)
        for j, part in enumerate(bar.parts):
            h = plot_h * part / top
            if h <= 0:
                continue
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(bar.label)}: '
                f"{escape(legend[j] if j < len(legend) else '')} {part:g}</title></rect>"
            )
        if i % step == 0:
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" font-size="10">'
                f"{escape(bar.label)}</text>"
            )
    for j, name in enumerate(legend):
        x = PAD_LEFT + 10 + j * 120
        body.append(
            f'<rect x="{x}" y="{HEIGHT - 12}" width="10" height="10" '
            f'fill="{COLOURS[j % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 3}" font-size="11">{escape(name)}</text>'
        )
    return _frame(title, body, top)


def level_bars(title: str, levels: Sequence[tuple[str, float | None]], target: float) -> Markup:
    """One bar per label for a ratio between 0 and 1 (none drawn for ``None``), green at
    or above ``target`` and red below, with the target as a dashed line."""
    plot_w = WIDTH - PAD_LEFT - 10
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(len(levels), 1)
    width = max(slot * 0.8, 1.0)
    step = _label_step(len(levels), slot)
    body: list[str] = []
    for i, (label, value) in enumerate(levels):
        x = PAD_LEFT + 2 + i * slot
        if value is not None:
            h = plot_h * min(max(value, 0.0), 1.0)
            colour = COLOURS[0] if value >= target else COLOURS[1]
            body.append(
                f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{width:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: '
                f"{100 * value:.1f} %</title></rect>"
            )
        if i % step == 0:
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" font-size="10">'
                f"{escape(label)}</text>"
            )
    y = PAD_TOP + plot_h * (1 - target)
    body.append(
        f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" stroke="#1565c0" '
        'stroke-dasharray="4 3"/>'
    )
    return _frame(title, body, 1.0)
