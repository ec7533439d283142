"""``kefu schedule --site``: the workforce page's plan from the command line.

Reads a site's queues' history from the stored log (the report source, as ``kefu report``
does), its agents (those serving every chosen queue) and their work rules, and runs
:func:`kefu.workforce.plan.make_plan`, the very chain the ``/workforce`` page runs. It
prints the named shifts in the site's time zone; publishing is the server's (the page or
``POST /api/v1/workforce/schedules``), never this command's, so it never writes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from kefu.workforce.plan import PlanRequest

__all__ = ["plan_from_store"]


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error 错误:[/] {message}", highlight=False)
    return typer.Exit(code)


def plan_from_store(
    url: str,
    schema: str | None,
    site: str,
    queues: list[str],
    first: dt.date | None,
    last: dt.date | None,
    request: PlanRequest,
    json_output: bool,
) -> None:
    """Plan ``site``'s ``queues`` from the history ``first``..``last`` (default: the 28
    days before today in the site's time zone) and print it."""
    from kefu.adapters.storage import SqlUnitOfWorkFactory
    from kefu.adapters.storage.report_reader import definitions, site_zones
    from kefu.adapters.storage.report_source import SqlReportSource
    from kefu.adapters.storage.workforce_history import arrival_history
    from kefu.cli.report_cmd import _open
    from kefu.domain import events as ev
    from kefu.domain.errors import KefuError
    from kefu.service.workforce import WorkforceBook
    from kefu.workforce.plan import make_plan, pool_agents, shift_instants
    from kefu.workforce.roster import RosterAgent

    engine = _open(url, schema)
    try:
        zones = site_zones(engine)
        if site not in zones:
            raise _fail(f"unknown site {site!r} 未知站点 (known 已有: {', '.join(sorted(zones))})")
        defined = definitions(engine, 0.0)
        specs = {e.spec.queue_id: e.spec for e in defined if isinstance(e, ev.QueueDefined)}
        known = sorted(q for q, s in specs.items() if s.site_id == site)
        chosen = queues or known
        unknown = sorted(set(chosen) - set(known))
        if unknown or not chosen:
            raise _fail(
                f"not queues of site {site!r} 不是该站点的队列: {', '.join(unknown) or '-'} "
                f"(known 已有: {', '.join(known)})"
            )
        agents = [
            e.spec for e in defined if isinstance(e, ev.AgentDefined) and e.spec.site_id == site
        ]
        book = WorkforceBook(lambda *_: None)
        with SqlUnitOfWorkFactory(engine)() as uow:
            book.load(book.fetch(uow))
        pool = [
            RosterAgent(a.agent_id, book.rules_for(a.agent_id))
            for a in sorted(
                pool_agents(agents, [specs[q] for q in chosen]), key=lambda a: a.agent_id
            )
        ]
        zone = zones[site]
        today = dt.datetime.now(ZoneInfo(zone)).date()
        last = last or today - dt.timedelta(days=1)
        first = first or last - dt.timedelta(days=27)
        try:
            history = arrival_history(
                SqlReportSource(engine), chosen, first, last, request.interval_minutes, zone
            )
            plan = make_plan(history.contacts, history.aht_s, pool, request)
        except KefuError as exc:
            raise _fail(exc.message) from None
    finally:
        engine.dispose()
    shifts: list[dict[str, Any]] = []
    for s in plan.roster.shifts:
        start, end, breaks = shift_instants(s, plan.first_day, zone)
        shifts.append(
            {
                "agent_id": s.agent_id,
                "shift": s.shift,
                "start": dt.datetime.fromtimestamp(start, dt.UTC).isoformat(),
                "end": dt.datetime.fromtimestamp(end, dt.UTC).isoformat(),
                "local_start": _local(start, zone),
                "local_end": _local(end, zone),
                "breaks": [[_local(a, zone), _local(b, zone)] for a, b in breaks],
                "paid_hours": s.paid_hours,
            }
        )
    unfilled = [
        {"day": u.day, "start_s": u.start_s, "missing": u.missing} for u in plan.roster.unfilled
    ]
    if json_output:
        document = {
            "site": site,
            "queues": chosen,
            "timezone": zone,
            "first_day": plan.first_day.isoformat(),
            "aht_s": history.aht_s,
            "missing_days": [d.isoformat() for d in history.missing_days],
            "notes": list(plan.notes),
            "required": plan.required,
            "shifts": shifts,
            "unfilled": unfilled,
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    _print(site, zone, plan.notes, shifts, sum(u["missing"] for u in unfilled))


def _local(at: float, zone: str) -> str:
    return dt.datetime.fromtimestamp(at, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _print(
    site: str, zone: str, notes: tuple[str, ...], shifts: list[dict[str, Any]], missing: int
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for note in notes:
        console.print(note, highlight=False)
    table = Table(title=f"Shifts by agent 座席班次 · {site} ({zone})")
    for name in ("Agent 座席", "Start 开始", "End 结束", "Breaks 休息", "Paid h 带薪工时"):
        table.add_column(name)
    for s in shifts:
        breaks = ", ".join(f"{a[11:]}-{b[11:]}" for a, b in s["breaks"])
        table.add_row(
            s["agent_id"], s["local_start"], s["local_end"][11:], breaks, f"{s['paid_hours']:.1f}"
        )
    console.print(table)
    if missing:
        console.print(f"Places without an agent 无人填补的班次: {missing}", highlight=False)
