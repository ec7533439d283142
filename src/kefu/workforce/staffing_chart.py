"""PNG chart of a staffing plan: required and scheduled agents per interval (Agg backend)."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from kefu.workforce.forecast_chart import cjk_font
from kefu.workforce.staffing import StaffingPlan

__all__ = ["MAX_QUEUE_LINES", "render_plan_chart"]

MAX_QUEUE_LINES = 8
"""Queues drawn one by one (the busiest); the totals always include every queue."""


def render_plan_chart(plan: StaffingPlan, path: str | Path) -> Path:
    """Draw the plan's total required and scheduled agents per interval, with the busiest
    queues' required agents underneath, into the PNG file ``path``; returns the path."""
    if not plan.rows:
        raise ValueError("nothing to draw: the plan has no rows")
    font = cjk_font()

    def text(english: str, chinese: str) -> str:
        return f"{english} {chinese}" if font else english

    required: dict[datetime, int] = defaultdict(int)
    scheduled: dict[datetime, int] = defaultdict(int)
    per_queue: dict[str, dict[datetime, int]] = defaultdict(dict)
    for row in plan.rows:
        required[row.interval_start] += row.required
        scheduled[row.interval_start] += row.scheduled
        per_queue[row.queue][row.interval_start] = row.required

    import matplotlib

    # Every text (queue names included) falls back to the CJK font when there is one.
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": family}), warnings.catch_warnings():
        # Without a CJK font, Chinese queue names draw as boxes; do not warn per glyph.
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        return _draw(plan, Path(path), text, required, scheduled, per_queue)


def _draw(
    plan: StaffingPlan,
    out: Path,
    text: Callable[[str, str], str],
    required: dict[datetime, int],
    scheduled: dict[datetime, int],
    per_queue: dict[str, dict[datetime, int]],
) -> Path:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    step = timedelta(seconds=plan.interval_seconds)

    def held(series: dict[datetime, int]) -> tuple[list[datetime], list[int]]:
        # Repeat the last value to the end of its interval so every interval shows.
        keys = sorted(series)
        return [*keys, keys[-1] + step], [*(series[k] for k in keys), series[keys[-1]]]

    fig = Figure(figsize=(11, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    top.step(
        *held(scheduled),
        where="post",
        color="tab:orange",
        label=text("Scheduled (after shrinkage)", "排班人数（含损耗）"),
    )
    top.step(
        *held(required),
        where="post",
        color="tab:blue",
        label=text("Required on the phone", "在线所需座席"),
    )
    top.set_ylabel(text("Agents", "座席"))
    top.legend(loc="upper left")
    busiest = sorted(per_queue, key=lambda q: -sum(per_queue[q].values()))[:MAX_QUEUE_LINES]
    for queue in busiest:
        bottom.step(*held(per_queue[queue]), where="post", label=queue, linewidth=1.0)
    bottom.set_ylabel(text("Required per queue", "各队列所需"))
    bottom.legend(loc="upper left", ncols=2, fontsize="small")
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    formatter = ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_formatter(formatter)
    title = text("Staffing plan", "人员配置计划")
    detail = (
        f"{'Erlang A' if plan.target.uses_abandonment else 'Erlang C'}, "
        f"{plan.interval_seconds / 60:g} min, shrinkage {plan.shrinkage:.0%}"
    )
    top.set_title(f"{title} — {detail}")
    fig.savefig(out, format="png")
    return out
