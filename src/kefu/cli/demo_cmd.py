"""``kefu demo``: the main job until the server exists."""

from __future__ import annotations

import typer

from kefu.cli.app import app

__all__: list[str] = []


@app.command("demo")
def demo(
    hours: float = typer.Option(2.0, min=0.1, max=24.0, help="Simulated hours. 模拟时长（小时）。"),
    speed: float = typer.Option(
        900.0, min=1.0, help="Simulated seconds per real second. 加速倍数。"
    ),
    seed: int = typer.Option(7, help="Random seed. 随机种子。"),
) -> None:
    """Run an accelerated text-mode demo of the router and exit. 运行加速的路由文本演示。"""
    from kefu.cli.text_demo import run_text_demo

    summary = run_text_demo(hours=hours, speed=speed, seed=seed)
    typer.echo(
        f"\noffered 进线 {summary.offered}, answered 接通 {summary.answered}, "
        f"abandoned 放弃 {summary.abandoned}, completed 完成 {summary.completed}"
    )
