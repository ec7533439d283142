"""``kefu ivr``: check IVR flow files (``lint``) and print them as a tree (``show``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    from rich.tree import Tree

    from kefu.domain.ivr.flow import Flow

__all__: list[str] = []

ivr_app = typer.Typer(
    help="IVR flows: lint, show, report and optimize. IVR 流程：检查、展示、报表与优化。",
    no_args_is_help=True,
)
app.add_typer(ivr_app, name="ivr")


def _load(path: Path, json_output: bool) -> Flow:
    """The flow in ``path``; an unreadable or invalid file exits with code 2 and the reason."""
    from kefu.adapters.ivr.files import load_flow
    from kefu.domain.ivr.errors import InvalidFlow

    try:
        return load_flow(path)
    except InvalidFlow as exc:
        if json_output:
            typer.echo(json.dumps({"ok": False, "error": exc.to_dict()}, ensure_ascii=False))
        else:
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True).print(
                f"[bold red]invalid flow 流程无效:[/] {escape(exc.message)}",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(2) from None


@ivr_app.command("lint")
def lint_cmd(
    flow_file: Path = typer.Argument(..., help="Flow file (YAML or JSON). 流程文件。"),
    max_depth: int = typer.Option(
        4, "--max-depth", min=1, help="Deepest menu level allowed (seed 001: 4). 菜单层级上限。"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON. 输出 JSON"),
) -> None:
    """Check a flow: unreachable nodes, dead ends, loops, translations, menu size and depth,
    routes to an agent. Exit 1 when there are errors, 2 when the file cannot be read.

    检查流程：不可达节点、死路、无出口循环、缺失翻译、菜单选项数与层级、转人工路径。
    有错误时退出码为 1，文件无法读取时为 2。"""
    from kefu.domain.ivr.lint import lint

    flow = _load(flow_file, json_output)
    issues = lint(flow, max_depth=max_depth)
    errors = sum(i.severity == "error" for i in issues)
    if json_output:
        payload: dict[str, Any] = {
            "ok": errors == 0,
            "flow": flow.flow_id,
            "version": flow.version,
            "errors": errors,
            "warnings": len(issues) - errors,
            "issues": [i.to_dict() for i in issues],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_issues(flow, issues, errors)
    if errors:
        raise typer.Exit(1)


def _print_issues(flow: Flow, issues: list[Any], errors: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if issues:
        table = Table(title=f"{flow.flow_id} v{flow.version}")
        for column in ("", "code 代码", "field 字段", "message 说明"):
            table.add_column(column)
        for i in issues:
            mark = "[red]✗[/]" if i.severity == "error" else "[yellow]![/]"
            table.add_row(mark, i.code, escape(i.field), escape(f"{i.message}\n{i.message_zh}"))
        console.print(table)
    warnings = len(issues) - errors
    colour = "red" if errors else "green"
    console.print(
        f"[{colour}]{flow.flow_id}: {errors} error(s) 错误, {warnings} warning(s) 警告[/]",
        highlight=False,
    )


@ivr_app.command("show")
def show_cmd(
    flow_file: Path = typer.Argument(..., help="Flow file (YAML or JSON). 流程文件。"),
    lang: str = typer.Option(
        "", "--lang", help="Language of the texts (default: the flow's first). 显示语言。"
    ),
) -> None:
    """Print the flow as a tree from its start (a node already shown appears as ↩).
    以树形显示流程。"""
    from rich.console import Console
    from rich.tree import Tree

    flow = _load(flow_file, False)
    language = lang or flow.languages[0]
    if language not in flow.languages:
        Console(stderr=True).print(f"[bold red]error 错误:[/] unknown language {language!r}")
        raise typer.Exit(2)
    root = Tree(f"[bold]{flow.flow_id}[/] v{flow.version} ({', '.join(flow.languages)})")
    _grow(flow, flow.start, root, language, set())
    Console().print(root)


def _grow(flow: Flow, node_id: str, parent: Tree, lang: str, shown: set[str]) -> None:
    from rich.markup import escape

    from kefu.domain.ivr.flow import MenuNode

    node = flow.nodes[node_id]
    if node_id in shown:
        parent.add(f"↩ {escape(node_id)}")
        return
    shown.add(node_id)
    text = ""
    for name in ("prompt", "text", "announce"):
        value = getattr(node, name, None)
        if value:
            text = f" — {escape(value.get(lang, ''))}"
            break
    branch = parent.add(f"[cyan]{escape(node_id)}[/] [dim]{node.kind}[/]{text}")
    if isinstance(node, MenuNode):
        for o in node.options:
            label = branch.add(f"[bold]{o.digit}[/] {escape(o.label.get(lang, ''))}")
            _grow(flow, o.next, label, lang, shown)
        return
    for target in dict.fromkeys(node.targets()):
        _grow(flow, target, branch, lang, shown)
