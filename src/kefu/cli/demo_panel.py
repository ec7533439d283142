"""What ``kefu demo`` prints when it is ready: every page's address, where mail goes and
comes back, the database, and the demo logins with what each serves.

Laid out for an 80-column terminal: one page per line (label column, then the address,
never split), each login on a line of its own with what it serves on the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from kefu.adapters.demo import DemoCredential

__all__ = ["DemoPlaces", "demo_panel"]

PAGES = (
    ("Wallboard 实时监控大屏", "/wallboard"),
    ("Agent desktop 座席工作台", "/desktop"),
    ("Customers 客户查询", "/customers"),
    ("Web chat 在线客服演示", "/chat/demo"),
    ("Kiosk 营业厅取号", "/branch/kiosk"),
    ("Counter 窗口叫号", "/branch/counter"),
    ("Hall display 叫号屏", "/branch/display"),
    ("API docs 接口文档", "/docs"),
)
"""The demo's pages: (label, path)."""


@dataclass(frozen=True, slots=True)
class DemoPlaces:
    """Where the running demo is: ``url`` of the web server (``http://host:port``), the
    SMTP listener (``smtp``, ``host:port``), where replies go (``outbox``), the SQLite
    file (``db``), its schema revision and whether the demo center was just made."""

    url: str
    smtp: str
    outbox: str
    db: str
    revision: str | None
    created: bool


def demo_panel(places: DemoPlaces, credentials: Sequence[DemoCredential]) -> Panel:
    """The framed announcement of a running demo."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for label, path in PAGES:
        style = "bold cyan" if path == "/wallboard" else ""
        grid.add_row(label, Text(f"{places.url}{path}", style=style))
    grid.add_row("E-mail 邮件", f"SMTP {escape(places.smtp)} (any address 任意收件人)")
    grid.add_row("Replies 回复", escape(places.outbox))
    made = ", new demo center 新建演示中心" if places.created else ""
    grid.add_row("Database 数据库", f"{escape(places.db)} (schema {places.revision}{made})")
    lines = []
    for c in credentials:
        lines.append(f"Login 登录: {c.username} / {escape(c.password)} ({c.role})")
        if c.serves:
            lines.append(f"  serves 服务: {c.serves}")
    lines.append("Agents 座席 → desktop; supervisor 主管 → wallboard, customers")
    lines.append("Ctrl-C stops 按 Ctrl-C 停止")
    return Panel(Group(grid, "", *lines), title="kefu demo 客服演示", expand=False)
