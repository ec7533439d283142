"""``kefu erlang``: queue metrics and required agents (Erlang C, or A with a patience).

Its option and number helpers serve ``kefu staff`` (:mod:`kefu.cli.staff_cmd`) too.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.app import app
from kefu.cli.tables import compact_table, fit_words

if TYPE_CHECKING:
    from rich.console import Console

    from kefu.workforce.required import StaffingTarget

__all__: list[str] = []

_ABANDON_WARN = 0.05


def _fail(message: str) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(
        f"[bold red]error 错误:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    return typer.Exit(2)


def _json_num(value: float | int | None, digits: int = 12) -> float | int | None:
    if isinstance(value, int) or value is None:
        return value
    return float(f"{value:.{digits}g}") if math.isfinite(value) else None


def _pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.2%}"


def _secs(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:,.2f}"


def _target(
    sl: float | None,
    threshold: float,
    asa: float | None,
    abandon: float | None,
    patience: float | None,
    occupancy: float | None,
) -> StaffingTarget:
    from kefu.workforce.required import StaffingTarget

    return StaffingTarget(sl, threshold, asa, abandon, patience, occupancy)


def _sweep_agents(traffic: float, erlang_a: bool, around: int | None, rows: int) -> list[int]:
    """Agent counts for a sweep table: stable ones only under Erlang C."""
    step = max(1, math.ceil(math.sqrt(traffic) / 3.0))
    lowest = 1 if erlang_a else math.floor(traffic) + 1
    if around is not None:
        start = around - step * (rows // 2)
    elif erlang_a:
        start = math.floor(0.8 * traffic)
    else:
        start = lowest
    start = max(lowest, start)
    return [start + i * step for i in range(rows)]


def _metrics(
    rate: float, aht: float, patience: float | None, agents: list[int], threshold: float
) -> list[dict[str, Any]]:
    """One row of metrics per agent count (Erlang A with a finite patience, else C)."""
    import numpy as np

    from kefu.workforce import erlang as e

    n = np.array(agents, dtype=float)
    a = rate * aht
    names = ("p_wait", "service_level", "asa_s", "occupancy", "p_abandon", "mean_wait_s")
    if patience is not None and math.isfinite(patience):
        m = e.erlang_a_array(rate, aht, patience, n, threshold)
        cols = [m.p_wait, m.service_level, m.asa, m.occupancy, m.p_abandon, m.mean_wait]
    else:
        asa = e.average_speed_of_answer_array(a, n, aht)
        occupancy = np.minimum(1.0, a / n)
        cols = [e.erlang_c_array(a, n), e.service_level_array(a, n, aht, threshold), asa,
                occupancy, np.full(n.shape, np.nan), asa]  # fmt: skip
    return [
        {"agents": k}
        | {name: _none_if_nan(float(col[i])) for name, col in zip(names, cols, strict=True)}
        for i, k in enumerate(agents)
    ]


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


@app.command("erlang")
def erlang(
    rate: float = typer.Option(..., help="Arrivals per second. 每秒到达量。"),
    aht: float = typer.Option(..., help="Mean handle time, s. 平均处理时长（秒）。"),
    agents: int | None = typer.Option(
        None, help="Agents; omit for a sweep table. 座席数；省略则列出多个座席数。"
    ),
    patience: float | None = typer.Option(
        None, help="Mean patience, s (Erlang A). 平均耐心时长（秒，Erlang A）。"
    ),
    threshold: float = typer.Option(20.0, help="Service-level threshold, s. 服务水平时限（秒）。"),
    target_sl: float | None = typer.Option(
        None, help="Target service level, e.g. 0.8. 目标服务水平。"
    ),
    target_asa: float | None = typer.Option(None, help="Target ASA, s. 目标平均应答时间（秒）。"),
    max_abandon: float | None = typer.Option(
        None, help="Abandonment cap, e.g. 0.05 (needs --patience). 放弃率上限。"
    ),
    max_occupancy: float | None = typer.Option(None, help="Occupancy cap, e.g. 0.85. 占用率上限。"),
    rows: int = typer.Option(12, min=1, max=200, help="Rows of the sweep. 扫描行数。"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output. 输出 JSON。"),
) -> None:
    """Erlang C/A metrics and required agents. Erlang C/A 指标与所需座席数。"""
    from dataclasses import asdict

    from rich.console import Console

    from kefu.workforce.erlang import required_agents

    wants = any(v is not None for v in (target_sl, target_asa, max_abandon, max_occupancy))
    erlang_a = patience is not None and math.isfinite(patience)
    try:
        if not (math.isfinite(rate) and rate >= 0.0):
            raise ValueError(f"--rate must be a finite number >= 0, got {rate}")
        required = None
        if wants:
            target = _target(target_sl, threshold, target_asa, max_abandon, patience, max_occupancy)
            required = required_agents(rate, aht, **asdict(target))
        counts = (
            [agents] if agents is not None else _sweep_agents(rate * aht, erlang_a, required, rows)
        )
        results = _metrics(
            rate, aht, patience, sorted({*counts, *([required] if required else [])}), threshold
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    shown = results if agents is None else [r for r in results if r["agents"] == agents]
    required_row = next((r for r in results if r["agents"] == required), None)
    abandon = (required_row or {}).get("p_abandon") or 0.0
    warn = _abandon_text(abandon) if target_sl is not None and abandon > _ABANDON_WARN else None
    if as_json:
        payload = {
            "model": "erlang_a" if erlang_a else "erlang_c",
            "arrival_rate_per_s": rate,
            "aht_s": aht,
            "patience_s": patience,
            "threshold_s": threshold,
            "traffic_erlangs": rate * aht,
            "required_agents": required,
            "results": [{k: _json_num(v) for k, v in r.items()} for r in shown],
            "warnings": [warn] if warn else [],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console()
    _print_metrics(console, shown, erlang_a, rate * aht, threshold, required)
    if required is not None:
        console.print(f"Required agents 所需座席: [bold]{required}[/]", highlight=False)
    if warn:
        console.print(f"[yellow]{warn}[/]", highlight=False)


def _abandon_text(abandon: float) -> str:
    return (
        f"warning 警告: the service-level target is met with {abandon:.1%} of contacts "
        f"abandoning (over {_ABANDON_WARN:.0%}); add an abandonment cap (--max-abandon). "
        f"服务水平达标但放弃率为 {abandon:.1%}，超过 {_ABANDON_WARN:.0%}；请设定放弃率上限。"
    )


def _print_metrics(
    console: Console,
    results: list[dict[str, Any]],
    erlang_a: bool,
    traffic: float,
    threshold: float,
    required: int | None,
) -> None:

    model = "Erlang A" if erlang_a else "Erlang C"
    table = compact_table(
        title=f"{model}: traffic 话务量 {traffic:,.2f} Erl, threshold 时限 {threshold:g} s"
    )
    headers = [
        "Agents 座席",
        "P(wait) 等待概率",
        f"SL {threshold:g}s 服务水平",
        "ASA s 平均应答",
        "Occupancy 占用率",
    ]
    if erlang_a:
        headers += ["Abandon 放弃率", "Mean wait s 平均等待"]
    for name in headers:
        table.add_column(name, justify="right")
    for r in results:
        cells = [
            str(r["agents"]),
            _pct(r["p_wait"]),
            _pct(r["service_level"]),
            _secs(r["asa_s"]),
            _pct(r["occupancy"]),
        ]
        if erlang_a:
            cells += [_pct(r["p_abandon"]), _secs(r["mean_wait_s"])]
        style = "bold green" if r["agents"] == required else None
        table.add_row(*cells, style=style)
    console.print(fit_words(table))
