"""``kefu simulate``: run a scenario on the real router and report KPIs with CIs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kefu.cli.app import app
from kefu.cli.tables import compact_table, fit_words
from kefu.domain import routing

__all__ = ["simulate"]


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error 错误:[/] {message}", highlight=False)
    return typer.Exit(code)


@app.command("simulate")
def simulate(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML (see examples/). 场景文件", show_default=False
    ),
    replications: int | None = typer.Option(
        None, "--replications", "-r", min=1, help="Replications (default: the scenario's). 重复次数"
    ),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes. 并行进程数"),
    seed: int | None = typer.Option(
        None, "--seed", min=0, help="Random seed (default: the scenario's). 随机种子"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default out/<scenario>-sim). 输出目录"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON. 输出 JSON"),
    sweep: Path | None = typer.Option(
        None,
        "--sweep",
        help="Sweep YAML: a scenario over a grid of parameters, with CIs; resumes. 参数扫描文件",
    ),
) -> None:
    """Simulate a scenario with the real routing code. 用真实路由代码进行仿真（数字孪生）。"""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from kefu.sim import ScenarioError, load_scenario, run
    from kefu.sim.report import write_outputs

    if sweep is not None:
        if scenario is not None:
            raise _fail("give a scenario or --sweep SWEEP.yaml, not both")
        from kefu.cli.sim_sweep import run_sweep_command

        run_sweep_command(sweep, workers=workers, out=out, json_output=json_output)
        return
    if scenario is None:
        raise _fail("give a scenario YAML (or --sweep SWEEP.yaml)")

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-sim"
    n = replications if replications is not None else sc.replications
    err = Console(stderr=True)
    with Progress(
        TextColumn("[bold]Simulating 仿真中[/]"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=json_output,
    ) as bar:
        task = bar.add_task("sim", total=1.0)
        try:
            result = run(
                sc,
                seed=seed,
                replications=n,
                workers=workers,
                progress=lambda share: bar.update(task, completed=share),
            )
        except ScenarioError as exc:
            raise _fail(str(exc)) from None
    try:
        paths = write_outputs(result, out_dir)
    except OSError as exc:
        raise _fail(f"cannot write results to {out_dir}: {exc.strerror or exc}") from None

    summary = result.summary
    if json_output:
        record = {
            "scenario": sc.name,
            "seed": result.seed,
            "replications": summary.replications,
            "contacts": result.contacts,
            "wall_s": result.wall_s,
            "router_build": "compiled" if routing.COMPILED else "pure",
            "files": {k: str(p) for k, p in paths.items()},
            "total": {k: v.to_dict() for k, v in summary.total.items()},
            "queues": {
                q: {k: v.to_dict() for k, v in m.items()} for q, m in summary.queues.items()
            },
            "occupancy": {g: v.to_dict() for g, v in summary.occupancy.items()},
            "blocking": {q: v.to_dict() for q, v in result.blocking.items()},
        }
        typer.echo(json.dumps(record, ensure_ascii=False, indent=1))
        return

    console = Console()
    table = compact_table(
        title=f"{sc.name} — {summary.replications} replications 次重复 (mean ± 95 % CI)"
    )
    columns = [
        ("offered", "Offered\n进线量", "{:.0f}"),
        ("service_level", "SL\n服务水平", "{:.1%}"),
        ("asa_s", "ASA s\n平均应答", "{:.1f}"),
        ("aht_s", "AHT s\n处理时长", "{:.0f}"),
        ("abandon_rate", "Abandon\n放弃率", "{:.1%}"),
        ("balk_rate", "Balk\n见队离开", "{:.1%}"),
        ("predicted_wait_mae_s", "Pred. MAE s\n预测误差", "{:.1f}"),
    ]
    table.add_column("Queue\n队列")
    for _, label, _ in columns:
        table.add_column(label, justify="right")

    def cell(e: object, pattern: str) -> str:
        from kefu.sim import Estimate

        assert isinstance(e, Estimate)
        if e.mean is None:
            return "–"
        half = e.half_width
        return pattern.format(e.mean) + ("" if half is None else " ± " + pattern.format(half))

    for name, metrics in [("all 全部", summary.total), *summary.queues.items()]:
        table.add_row(name, *(cell(metrics[k], p) for k, _, p in columns))
    console.print(fit_words(table))
    for group, e in summary.occupancy.items():
        console.print(f"Occupancy 占用率 {group}: {cell(e, '{:.1%}')}")
    short = summary.total["short_abandons"].mean
    if short:
        limits = sorted({q.short_abandon_s for q in sc.queues})
        console.print(
            f"Note 说明: {short:,.1f} short abandons per replication (hung up within "
            f"{'/'.join(f'{v:g}' for v in limits)} s) are left out of SL and the abandon rate "
            "短时放弃不计入服务水平与放弃率 (short_abandon_s: 0 counts them).",
            highlight=False,
        )
    for queue, e in result.blocking.items():
        console.print(f"Blocked (all lines busy) 占线: {queue}: {cell(e, '{:.1%}')}")
    console.print(
        f"{result.contacts:,} contacts 联系 in {result.wall_s:.2f} s "
        f"({result.contacts / max(result.wall_s, 1e-9):,.0f}/s, {_build_label()}); "
        f"report 报告: {paths['html']}"
    )


def _build_label() -> str:
    """Which router ran: the compiled build (``make compiled``) or the pure-Python one."""
    if routing.COMPILED:
        return "compiled router 编译版路由"
    return "pure-Python router 纯 Python 路由"
