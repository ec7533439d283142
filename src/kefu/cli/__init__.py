"""The ``kefu`` command line (Typer + Rich).

Each sub-command lives in a module of its own and registers itself on :data:`app`;
heavy libraries are imported inside the commands so ``kefu --help`` stays fast.
"""

from __future__ import annotations

# Importing these modules registers their commands on the app.
from kefu.cli import contactmap_cmd as _contactmap_cmd  # noqa: F401
from kefu.cli import customers_cmd as _customers_cmd  # noqa: F401
from kefu.cli import db_cmd as _db_cmd  # noqa: F401
from kefu.cli import demo_cmd as _demo_cmd  # noqa: F401
from kefu.cli import erlang_cmd as _erlang_cmd  # noqa: F401

# ``kefu --help`` lists commands in the order they register: staff beside erlang.
from kefu.cli import staff_cmd as _staff_cmd  # noqa: F401  # isort: skip
from kefu.cli import forecast_cmd as _forecast_cmd  # noqa: F401
from kefu.cli import ivr_cmd as _ivr_cmd  # noqa: F401
from kefu.cli import ivr_report_cmd as _ivr_report_cmd  # noqa: F401
from kefu.cli import report_cmd as _report_cmd  # noqa: F401
from kefu.cli import report_rebuild_cmd as _report_rebuild_cmd  # noqa: F401
from kefu.cli import schedule_cmd as _schedule_cmd  # noqa: F401
from kefu.cli import serve_cmd as _serve_cmd  # noqa: F401
from kefu.cli import sim_cmd as _sim_cmd  # noqa: F401
from kefu.cli import users_cmd as _users_cmd  # noqa: F401
from kefu.cli import voice_cmd as _voice_cmd  # noqa: F401
from kefu.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``kefu`` console script."""
    app()
