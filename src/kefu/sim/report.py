"""Write a simulation's results: JSON, CSV and a self-contained HTML report with charts.

Files written into the output folder:

- ``summary.json``: the scenario, run settings, per-replication cost and the summary
  (means with 95 % confidence intervals) overall, per queue, per group and per interval;
- ``kpis.csv``: the same figures in long form, one row per scope, queue or group,
  interval and metric (columns: scope, queue, group, interval_start_s, interval_end_s,
  metric, mean, ci_low, ci_high, n);
- ``replications.csv``: each replication's overall figures;
- ``sl_by_interval.png``, ``queue_length_by_interval.png``, ``wait_distribution.png``;
- ``report.html``: tables and the charts in one file.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import platform
import warnings
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kefu.sim.summary import Estimate, Summary

if TYPE_CHECKING:
    from kefu.sim.runner import SimulationResult

__all__ = ["write_outputs"]

_TABLE_METRICS = (
    ("offered", "Offered 进线量", "{:.1f}"),
    ("answered", "Answered 接通量", "{:.1f}"),
    ("service_level", "SL 服务水平", "{:.1%}"),
    ("asa_s", "ASA (s) 平均应答速度", "{:.1f}"),
    ("aht_s", "AHT (s) 平均处理时长", "{:.1f}"),
    ("abandon_rate", "Abandon rate 放弃率", "{:.1%}"),
    ("balk_rate", "Balk rate 见长队离开率", "{:.1%}"),
    ("max_queue_length", "Max queue 最长队列", "{:.1f}"),
    ("longest_wait_s", "Longest wait (s) 最长等待", "{:.0f}"),
    ("predicted_wait_mae_s", "Predicted-wait MAE (s) 预测等待误差", "{:.1f}"),
)


def _fmt(e: Estimate, pattern: str) -> str:
    if e.mean is None:
        return "–"
    text = pattern.format(e.mean)
    if e.half_width is not None:
        text += " ± " + pattern.format(e.half_width)
    return text


def _csv_rows(summary: Summary) -> list[list[Any]]:
    rows: list[list[Any]] = []

    def add(scope: str, queue: str, group: str, lo: Any, hi: Any, metrics: Any) -> None:
        for name, e in metrics.items():
            rows.append([scope, queue, group, lo, hi, name, e.mean, e.ci_low, e.ci_high, e.n])

    add("overall", "*", "", "", "", summary.total)
    for q, m in summary.queues.items():
        add("overall", q, "", "", "", m)
    for g, e in summary.occupancy.items():
        add("overall", "", g, "", "", {"occupancy": e})
    for iv in summary.intervals:
        add("interval", "*", "", iv.start_s, iv.end_s, iv.total)
        for q, m in iv.queues.items():
            add("interval", q, "", iv.start_s, iv.end_s, m)
        for g, e in iv.occupancy.items():
            add("interval", "", g, iv.start_s, iv.end_s, {"occupancy": e})
    return rows


def _cjk_font() -> str | None:
    """A installed font family able to draw Chinese, if any."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if any(k in font.name for k in ("CJK", "Hei", "Song", "WenQuanYi", "Kai", "Ming")):
            return str(font.name)
    return None


def _charts(summary: Summary, out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    if font is not None:
        plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]

    def title(en: str, zh: str) -> str:
        # Without a Chinese-capable font the glyphs would print as boxes: English only.
        return f"{en} {zh}" if font is not None else en

    paths: dict[str, Path] = {}
    hours = [iv.start_s / 3600 for iv in summary.intervals]
    width = (summary.intervals[0].end_s - summary.intervals[0].start_s) / 3600 if hours else 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fig, ax = plt.subplots(figsize=(9, 4))
        # Steps drawn "post" need the end of the last interval as a final point.
        edges_h = [*hours, summary.intervals[-1].end_s / 3600] if hours else []

        def steps(values: list[float]) -> list[float]:
            return [*values, values[-1]] if values else []

        for q in summary.queues:
            ys = [iv.queues[q]["service_level"].mean for iv in summary.intervals]
            ax.step(
                edges_h,
                steps([float("nan") if y is None else y for y in ys]),
                where="post",
                lw=1,
                label=q,
            )
        sl = [iv.total["service_level"] for iv in summary.intervals]
        mean = [float("nan") if e.mean is None else e.mean for e in sl]
        lo = [m if e.ci_low is None else e.ci_low for e, m in zip(sl, mean, strict=True)]
        hi = [m if e.ci_high is None else e.ci_high for e, m in zip(sl, mean, strict=True)]
        ax.step(edges_h, steps(mean), where="post", color="black", lw=2, label=title("all", "全部"))
        ax.fill_between(
            edges_h, steps(lo), steps(hi), step="post", color="grey", alpha=0.3, label="95 % CI"
        )
        ax.set(xlabel="hour", ylabel="SL", ylim=(0, 1.05))
        ax.set_title(title("Service level by interval", "各时段服务水平"))
        if len(summary.queues) <= 12:
            ax.legend(fontsize=7, ncol=2)
        paths["sl"] = out / "sl_by_interval.png"
        fig.tight_layout()
        fig.savefig(paths["sl"], dpi=110)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(9, 4))
        mean_len = [iv.total["mean_queue_length"].mean or 0.0 for iv in summary.intervals]
        max_len = [iv.total["max_queue_length"].mean or 0.0 for iv in summary.intervals]
        ax.bar(
            hours, max_len, width=width, align="edge", color="#f4b183", label=title("max", "最大")
        )
        ax.bar(
            hours, mean_len, width=width, align="edge", color="#5b9bd5", label=title("mean", "平均")
        )
        ax.set(xlabel="hour", ylabel="contacts waiting")
        ax.set_title(title("Queue length by interval", "各时段排队长度"))
        ax.legend(fontsize=8)
        paths["queue"] = out / "queue_length_by_interval.png"
        fig.tight_layout()
        fig.savefig(paths["queue"], dpi=110)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(9, 4))
        edges = summary.wait_bins_s
        labels = [f"{a:g}–{b:g}" for a, b in pairwise(edges)]
        labels.append(f"≥{edges[-1]:g}")
        xs = range(len(labels))
        ax.bar(xs, summary.wait_hist_answered, color="#70ad47", label=title("answered", "接通"))
        ax.bar(
            xs,
            summary.wait_hist_abandoned,
            bottom=summary.wait_hist_answered,
            color="#c00000",
            label=title("abandoned", "放弃"),
        )
        ax.set_xticks(list(xs), labels, rotation=60, fontsize=7)
        ax.set(xlabel="wait (s)", ylabel="contacts per replication")
        ax.set_title(title("Wait distribution", "等待时间分布"))
        ax.legend(fontsize=8)
        paths["wait"] = out / "wait_distribution.png"
        fig.tight_layout()
        fig.savefig(paths["wait"], dpi=110)
        plt.close(fig)
    return paths


def _html(result: SimulationResult, charts: dict[str, Path]) -> str:
    s = result.summary
    name = html.escape(result.scenario.name)
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in _TABLE_METRICS)
    body = []
    for label, metrics in [("all 全部", s.total), *s.queues.items()]:
        cells = "".join(f"<td>{_fmt(metrics[k], p)}</td>" for k, _, p in _TABLE_METRICS)
        body.append(f"<tr><th>{html.escape(label)}</th>{cells}</tr>")
    occ = "".join(
        f"<tr><th>{html.escape(g)}</th><td>{_fmt(e, '{:.1%}')}</td></tr>"
        for g, e in s.occupancy.items()
    )
    images = "".join(
        f'<p><img alt="{k}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"></p>'
        for k, p in charts.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name} — kefu simulation 仿真报告</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}img{{max-width:100%}}</style>
</head><body>
<h1>{name} — simulation report 仿真报告</h1>
<p>{html.escape(result.scenario.description)}</p>
<p>Replications 重复次数: {s.replications} · seed 随机种子: {result.seed} ·
contacts simulated 仿真联系量: {result.contacts:,} · values are means ± 95 % CI half-width
均值 ± 95% 置信区间半宽</p>
<h2>KPIs by queue 各队列指标</h2>
<table><tr><th>Queue 队列</th>{head}</tr>{"".join(body)}</table>
<h2>Occupancy by agent group 座席组占用率</h2>
<table><tr><th>Group 组</th><th>Occupancy 占用率</th></tr>{occ}</table>
<h2>Charts 图表</h2>{images}
</body></html>
"""


def write_outputs(result: SimulationResult, out_dir: str | Path) -> dict[str, Path]:
    """Write JSON, CSV, PNG charts and an HTML report into ``out_dir`` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    record = {
        "scenario": result.scenario.model_dump(mode="json"),
        "seed": result.seed,
        "python": platform.python_version(),
        "replications": [
            {
                "index": r.index,
                "contacts": r.contacts,
                "events": r.events,
                "wall_s": r.wall_s,
                "sim_end_s": r.sim_end_s,
            }
            for r in result.replications
        ],
        "summary": result.summary.to_dict(),
    }
    paths["json"] = out / "summary.json"
    paths["json"].write_text(
        json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8"
    )
    paths["csv"] = out / "kpis.csv"
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                *("scope", "queue", "group", "interval_start_s", "interval_end_s"),
                *("metric", "mean", "ci_low", "ci_high", "n"),
            ]
        )
        writer.writerows(_csv_rows(result.summary))
    paths["replications"] = out / "replications.csv"
    with paths["replications"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        names = list(result.replications[0].report.total.metrics())
        writer.writerow(["replication", "contacts", "wall_s", *names])
        for r in result.replications:
            m = r.report.total.metrics()
            writer.writerow([r.index, r.contacts, f"{r.wall_s:.3f}", *(m[k] for k in names)])
    charts = _charts(result.summary, out)
    paths.update(charts)
    paths["html"] = out / "report.html"
    paths["html"].write_text(_html(result, charts), encoding="utf-8")
    return paths
