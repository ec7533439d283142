"""``kefu simulate --sweep SWEEP.yaml``: a scenario over a grid of parameters."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kefu.cli.tables import compact_table, fit_words

__all__ = ["run_sweep_command"]

_FORMATS = {
    "service_level": "{:.1%}",
    "abandon_rate": "{:.1%}",
    "occupancy": "{:.1%}",
    "p_wait": "{:.1%}",
    "balk_rate": "{:.1%}",
    "blocking": "{:.1%}",
}


def _fail(message: str) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(
        f"[bold red]error 错误:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    return typer.Exit(2)


def run_sweep_command(
    sweep_path: Path, *, workers: int, out: Path | None, json_output: bool
) -> None:
    """Run (or resume) a sweep, print its table and write ``sweep.csv`` to ``out``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kefu.sim import ScenarioError
    from kefu.sim.sweep import load_sweep, run_sweep

    try:
        sweep = load_sweep(sweep_path)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    out_dir = out if out is not None else Path("out") / f"{sweep_path.stem}-sweep"
    err = Console(stderr=True)
    with Progress(
        TextColumn("[bold]Sweeping 参数扫描[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications 次"),
        TimeElapsedColumn(),
        console=err,
        transient=json_output,
    ) as bar:
        task = bar.add_task("sweep", total=None)
        try:
            rows = run_sweep(
                sweep,
                out_dir,
                workers=workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except ScenarioError as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:
            raise _fail(f"cannot write results to {out_dir}: {exc.strerror or exc}") from None
    csv_path = out_dir / "sweep.csv"
    if json_output:
        record = {
            "sweep": str(sweep_path),
            "replications": sweep.replications,
            "seed": sweep.seed,
            "csv": str(csv_path),
            "rows": [
                {
                    "params": dict(r.params),
                    "metrics": {k: v.to_dict() for k, v in r.metrics.items()},
                }
                for r in rows
            ],
        }
        typer.echo(json.dumps(record, ensure_ascii=False, indent=1))
        return
    table = compact_table(
        title=f"{sweep_path.name}: {len(rows)} variants 方案 × {sweep.replications} "
        "replications (mean ± 95 % CI)"
    )
    for key, _ in sweep.grid:
        table.add_column(key)
    for m in sweep.metrics:
        table.add_column(m, justify="right")
    for row in rows:
        cells = [str(v) for v in row.params.values()]
        for m in sweep.metrics:
            e = row.metrics[m]
            pattern = _FORMATS.get(m, "{:.1f}")
            if e.mean is None:
                cells.append("–")
            else:
                half = e.half_width
                cells.append(
                    pattern.format(e.mean) + ("" if half is None else " ± " + pattern.format(half))
                )
        table.add_row(*cells)
    console = Console()
    console.print(fit_words(table))
    console.print(f"table 结果表: {csv_path}", highlight=False)
