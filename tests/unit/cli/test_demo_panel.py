"""What ``kefu demo`` prints, read on an 80-column terminal: every page's address whole on
one line (a split address cannot be clicked or copied), each login on a line of its own
(the browser tests read them back), what each agent serves, the counter page for the
counter's clerk."""

from __future__ import annotations

import re

from rich.console import Console

from kefu.adapters.demo import DemoCredential
from kefu.cli.demo_panel import PAGES, DemoPlaces, demo_panel

URL = "http://127.0.0.1:65535"
PLACES = DemoPlaces(
    URL, "127.0.0.1:2525", "/srv/演示/kefu-demo.outbox/", "kefu-demo.sqlite3", "0006", True
)
LOGINS = [
    DemoCredential("admin", "admin, demo only 仅供演示", "FnIh4yD8bxm2"),
    DemoCredential("supervisor", "supervisor, demo only 仅供演示", "OL76NbyA-CDY"),
    DemoCredential(
        "wang.lei", "agent, demo only 仅供演示", "J2L-DycKUR-2", "chat 在线 · e-mail 邮件"
    ),
    DemoCredential(
        "liu.fang",
        "agent, demo only 仅供演示",
        "g7CpY7xgtx_k",
        "chat 在线 · e-mail 邮件 · counter 3 3号窗口",
    ),
]


def printed(width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(demo_panel(PLACES, LOGINS))
    return console.export_text()


def test_given_80_columns_when_the_demo_is_ready_then_every_address_and_login_is_whole() -> None:
    text = printed(80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    for _, path in PAGES:
        assert any(f"{URL}{path}" in line for line in lines), path
    assert any("SMTP 127.0.0.1:2525" in line for line in lines)
    assert any("/srv/演示/kefu-demo.outbox/" in line for line in lines)
    found = re.findall(r"Login 登录: (\S+) / (\S+) \((\w+)", text)
    assert [(u, p, r) for u, p, r in found] == [
        (c.username, c.password, c.role.split(",")[0]) for c in LOGINS
    ]
    serves = [line for line in lines if "serves 服务:" in line]
    assert len(serves) == 2 and all("chat 在线 · e-mail 邮件" in line for line in serves)
    assert "counter 3 3号窗口" in serves[1]
