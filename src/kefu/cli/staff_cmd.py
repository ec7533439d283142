"""``kefu staff``: the staffing plan per interval and queue (Erlang), its table, warning
and output files; ``--simulate`` hands over to :mod:`kefu.cli.staff_sim`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.app import app
from kefu.cli.erlang_cmd import _ABANDON_WARN, _fail, _pct, _secs, _target
from kefu.cli.tables import compact_table, fit_words

if TYPE_CHECKING:
    from rich.console import Console

    from kefu.workforce.staffing import StaffingPlan

__all__: list[str] = []


@app.command("staff")
def staff(
    volumes: Path | None = typer.Argument(
        None,
        help="CSV: interval_start,queue,contacts,aht_s (not with --simulate). 时段来电量文件。",
        show_default=False,
    ),
    sl: float | None = typer.Option(None, help="Target service level, e.g. 0.8. 目标服务水平。"),
    threshold: float = typer.Option(20.0, help="Service-level threshold, s. 服务水平时限（秒）。"),
    asa: float | None = typer.Option(None, help="Target ASA, s. 目标平均应答时间（秒）。"),
    abandon: float | None = typer.Option(
        None, help="Abandonment cap (needs --patience). 放弃率上限（需 --patience）。"
    ),
    patience: float | None = typer.Option(
        None, help="Mean patience, s (Erlang A). 平均耐心时长（秒）。"
    ),
    max_occupancy: float | None = typer.Option(None, help="Occupancy cap. 占用率上限。"),
    shrinkage: float = typer.Option(0.3, help="Shrinkage, e.g. 0.3. 损耗率。"),
    interval: float | None = typer.Option(
        None, help="Interval length, min (default: from the data). 时段长度（分钟）。"
    ),
    groups: Path | None = typer.Option(
        None, help="CSV queue,group of queues sharing agents. 队列与座席组对应表。"
    ),
    out: Path | None = typer.Option(None, help="Directory for CSV, JSON, PNG. 输出目录。"),
    show: int = typer.Option(48, min=0, help="Rows shown in the table. 表格显示行数。"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output. 输出 JSON。"),
    simulate: Path | None = typer.Option(
        None,
        "--simulate",
        help="Scenario YAML: staff each agent group per interval by simulation (multi-skill, "
        "abandonment); targets from the queues or --sl/--abandon. 仿真排班场景文件。",
    ),
    replications: int = typer.Option(
        5, "--replications", min=1, help="--simulate: replications per plan. 每方案重复次数。"
    ),
    seed: int | None = typer.Option(None, "--seed", min=0, help="--simulate: seed. 随机种子。"),
    max_simulations: int = typer.Option(
        200, "--max-simulations", min=1, help="--simulate: search budget. 仿真次数上限。"
    ),
) -> None:
    """Staffing plan per interval and queue (Erlang, or by simulation with --simulate).
    按时段和队列计算人员配置（Erlang，或 --simulate 仿真）。"""
    from rich.console import Console

    if simulate is not None:
        if volumes is not None:
            raise _fail("give a volumes CSV or --simulate SCENARIO, not both")
        from kefu.cli.staff_sim import staff_by_simulation

        staff_by_simulation(
            simulate,
            sl=sl,
            abandon=abandon,
            replications=replications,
            seed=seed,
            max_simulations=max_simulations,
            out=out,
            as_json=as_json,
        )
        return
    if volumes is None:
        raise _fail("give a volumes CSV (or --simulate SCENARIO.yaml)")

    from kefu.workforce.staffing import build_plan
    from kefu.workforce.staffing_io import plan_to_dict, read_groups_csv, read_volumes_csv

    err = Console(stderr=True)
    try:
        if not volumes.is_file():
            raise ValueError(f"no such file: {volumes}")
        rows = read_volumes_csv(volumes)
        target = _target(sl, threshold, asa, abandon, patience, max_occupancy)
        mapping = read_groups_csv(groups) if groups is not None else None
        with err.status("Staffing 计算中…", spinner="dots"):
            plan = build_plan(
                rows,
                target,
                shrinkage=shrinkage,
                interval_seconds=None if interval is None else interval * 60.0,
                groups=mapping,
            )
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    written = _write_outputs(plan, out) if out is not None else []
    high = plan.high_abandon_rows() if sl is not None else []
    if as_json:
        payload = plan_to_dict(plan)
        payload["files"] = [str(p) for p in written]
        payload["warnings"] = [_plan_warning(plan, len(high))] if high else []
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console()
    _print_plan(console, plan, show)
    for note in plan.notes:
        console.print(f"note 说明: {note}", highlight=False)
    if high:
        console.print(f"[yellow]{_plan_warning(plan, len(high))}[/]", highlight=False)
    for path in written:
        console.print(f"wrote 已写入 {path}", highlight=False)


def _plan_warning(plan: StaffingPlan, count: int) -> str:
    worst = max(r.abandon or 0.0 for r in plan.rows)
    return (
        f"warning 警告: the service-level target is met in {count} interval(s) with more "
        f"than {_ABANDON_WARN:.0%} abandoning (worst {worst:.1%}); add --abandon. "
        f"{count} 个时段服务水平达标但放弃率超过 {_ABANDON_WARN:.0%}（最高 {worst:.1%}）；"
        "请设定 --abandon。"
    )


def _write_outputs(plan: StaffingPlan, out: Path) -> list[Path]:
    from kefu.workforce.staffing_chart import render_plan_chart
    from kefu.workforce.staffing_io import write_plan_csv, write_plan_json

    try:
        out.mkdir(parents=True, exist_ok=True)
        return [
            write_plan_csv(plan, out / "staffing_plan.csv"),
            write_plan_json(plan, out / "staffing_plan.json"),
            render_plan_chart(plan, out / "staffing_plan.png"),
        ]
    except OSError as exc:
        raise _fail(f"cannot write to {out}: {exc}") from None


def _print_plan(console: Console, plan: StaffingPlan, show: int) -> None:
    from rich.table import Table

    erlang_a = plan.target.uses_abandonment
    hours = plan.interval_seconds / 3600.0
    summary = Table(
        title=(
            f"Staffing plan 人员配置计划 — {'Erlang A' if erlang_a else 'Erlang C'}, "
            f"interval 时段 {plan.interval_seconds / 60:g} min, "
            f"shrinkage 损耗 {plan.shrinkage:.0%}"
        ),
        title_justify="left",
    )
    for name in (
        "Queue 队列",
        "Intervals 时段数",
        "Contacts 来电量",
        "Peak required 峰值所需",
        "Agent-h required 所需人时",
        "Agent-h scheduled 排班人时",
    ):
        summary.add_column(name, justify="left" if name.startswith("Queue") else "right")
    by_queue: dict[str, list[Any]] = {}
    for r in plan.rows:
        by_queue.setdefault(r.queue, []).append(r)
    for queue, rows in by_queue.items():
        summary.add_row(
            queue,
            str(len(rows)),
            f"{sum(r.contacts for r in rows):,.0f}",
            str(max(r.required for r in rows)),
            f"{sum(r.required for r in rows) * hours:,.1f}",
            f"{sum(r.scheduled for r in rows) * hours:,.1f}",
        )
    console.print(fit_words(summary))
    if show == 0:
        return
    # Short headers and no outer edge: ten columns fit an 80-column terminal.
    table = compact_table()
    headers = [
        "Interval\n时段",
        "Queue\n队列",
        "Contacts\n来电",
        "Traffic\n话务量",
        "Req.\n所需",
        "Sched.\n排班",
        "SL\n服务水平",
        "ASA s\n应答",
        "Occ.\n占用率",
    ]
    if erlang_a:
        headers.append("Abandon\n放弃率")
    for name in headers:
        table.add_column(
            name, justify="left" if name.startswith(("Interval", "Queue")) else "right"
        )
    for r in plan.rows[:show]:
        cells = [
            r.interval_start.isoformat(sep=" ", timespec="minutes"),
            r.queue,
            f"{r.contacts:,.0f}",
            f"{r.traffic:,.2f}",
            str(r.required),
            str(r.scheduled),
            _pct(r.service_level),
            _secs(r.asa),
            _pct(r.occupancy),
        ]
        if erlang_a:
            cells.append(_pct(r.abandon))
        table.add_row(*cells)
    if len(plan.rows) > show:
        table.caption = (
            f"first {show} of {len(plan.rows)} rows; the full plan is in the CSV/JSON (--out). "
            f"仅显示前 {show} 行，共 {len(plan.rows)} 行。"
        )
    console.print(fit_words(table))
