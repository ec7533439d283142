"""The root Typer application every ``kefu`` sub-command registers on."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(
    name="kefu",
    help=(
        "kefu (客服) — omnichannel contact-center platform: routing, workforce "
        "management and a simulator that runs the same routing code.\n\n"
        "kefu 客服平台：智能路由（ACD）、人力排班（WFM）与数字孪生仿真。"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.command("version")
def version() -> None:
    """Print kefu's version. 显示版本。"""
    from kefu import __version__

    typer.echo(__version__)
