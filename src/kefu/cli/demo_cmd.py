"""``kefu demo``: the main job until the server exists."""

from __future__ import annotations

from kefu.cli.app import app

__all__: list[str] = []


@app.command("demo")
def demo() -> None:
    """Run the demo. 运行演示。"""
    raise SystemExit("the demo is not written yet")
