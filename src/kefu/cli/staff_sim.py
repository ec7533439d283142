"""``kefu staff --simulate SCENARIO.yaml``: staffing per group and interval found by running
the twin, printed beside the Erlang-per-queue plan it started from."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer

from kefu.cli.tables import compact_table, fit_words

__all__ = ["staff_by_simulation"]


def _fail(message: str) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(
        f"[bold red]error 错误:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    return typer.Exit(2)


def staff_by_simulation(
    scenario_path: Path,
    *,
    sl: float | None,
    abandon: float | None,
    replications: int,
    seed: int | None,
    max_simulations: int,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run the search and print or write the plan (CSV ``staffing_sim.csv`` in ``out``)."""
    from rich.console import Console

    from kefu.sim import ScenarioError, load_scenario
    from kefu.sim.staffing import StaffingResult, search_staffing

    for name, value in (("--sl", sl), ("--abandon", abandon)):
        if value is not None and not 0.0 < value < 1.0:
            raise _fail(f"{name} must be a fraction between 0 and 1, not {value}")
    err = Console(stderr=True)
    try:
        scenario = load_scenario(scenario_path)
        with err.status("Staffing by simulation 仿真排班…", spinner="dots") as status:

            def progress(phase: str, runs: int) -> None:
                status.update(f"{phase}: {runs} simulations 次仿真 × {replications}")

            result: StaffingResult = search_staffing(
                scenario,
                replications=replications,
                seed=seed,
                sl_target=sl,
                abandon_max=abandon,
                max_simulations=max_simulations,
                progress=progress,
            )
    except (ScenarioError, ValueError) as exc:
        raise _fail(str(exc)) from None

    written: list[Path] = []
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            path = out / "staffing_sim.csv"
            with path.open("w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["interval_start_s", "group", "agents", "erlang_agents"])
                for k in range(len(next(iter(result.plan.values()), ()))):
                    for g in result.groups:
                        w.writerow(
                            [k * result.interval_s, g, result.plan[g][k], result.erlang[g][k]]
                        )
            written.append(path)
        except OSError as exc:
            raise _fail(f"cannot write to {out}: {exc.strerror or exc}") from None

    missed = [c for c in result.cells if not c.meets]
    if as_json:
        payload = {
            "interval_s": result.interval_s,
            "plan": {g: list(v) for g, v in result.plan.items()},
            "erlang": {g: list(v) for g, v in result.erlang.items()},
            "agent_hours": result.plan_hours,
            "erlang_agent_hours": result.erlang_hours,
            "meets_all": result.meets_all,
            "erlang_misses": sum(not c.meets for c in result.erlang_cells),
            "simulations": result.simulations,
            "replications": replications,
            "wall_s": result.wall_s,
            "cells": [
                {
                    "queue": c.queue,
                    "interval": c.interval,
                    "offered": c.offered,
                    "service_level": c.service_level,
                    "abandon_rate": c.abandon_rate,
                    "meets": c.meets,
                }
                for c in result.cells
            ],
            "files": [str(p) for p in written],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    console = Console()
    table = compact_table(title=f"{scenario.name}: agents per interval 每时段座席数 (Erlang → sim)")
    table.add_column("Interval\n时段", justify="right")
    for g in result.groups:
        table.add_column(g, justify="right")
    for k in range(len(next(iter(result.plan.values()), ()))):
        start = k * result.interval_s
        label = f"{int(start // 3600):02d}:{int(start % 3600 // 60):02d}"
        table.add_row(
            label, *(f"{result.erlang[g][k]} → {result.plan[g][k]}" for g in result.groups)
        )
    console.print(fit_words(table))
    erlang_misses = sum(not c.meets for c in result.erlang_cells)
    console.print(
        f"Agent-hours 座席工时: simulation 仿真 {result.plan_hours:.1f}, "
        f"Erlang per queue 按队列 Erlang {result.erlang_hours:.1f} "
        f"({erlang_misses} queue-intervals below target with Erlang 个队列时段未达标); "
        f"{result.simulations} simulations × {replications} replications in {result.wall_s:.1f} s",
        highlight=False,
    )
    if missed:
        console.print(
            f"[yellow]warning 警告: {len(missed)} queue-interval(s) still below target after "
            f"{result.simulations} simulations 仍未达标 (raise --max-simulations).[/]",
            highlight=False,
        )
    for path in written:
        console.print(f"wrote 已写入 {path}", highlight=False)
