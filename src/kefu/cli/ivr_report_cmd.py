"""``kefu ivr report`` (what callers did in the flows) and ``kefu ivr optimize`` (a draft
following seed 001's rules, with its expected effect from the digital twin).

The report reads the stored events (the database of ``--database-url``, else the
settings'); ``kefu ivr report FILE`` reads a JSON-lines file instead (one event a line, the
IVR events' codec; router events of the same contacts may be mixed in). Both give the same
figures for the same events.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kefu.cli.ivr_cmd import _load, ivr_app

if TYPE_CHECKING:
    from rich.console import Console

    from kefu.analytics.ivr import IvrReport
    from kefu.domain.events import Event
    from kefu.domain.ivr.events import IvrEvent

__all__: list[str] = []


def _fail(message: str) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error 错误:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _instant(text: str, name: str) -> float:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"{name}: not an ISO date or time: {text!r} (日期格式无效)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _read_events(
    path: Path, since: str | None, until: str | None
) -> tuple[list[IvrEvent], list[Event]]:
    """IVR and router events of ``path`` of the contacts whose first IVR event is in
    [``since``, ``until``)."""
    from kefu.domain.errors import ValidationError
    from kefu.domain.events import event_from_dict
    from kefu.domain.ivr.events import ivr_event_from_dict

    ivr: list[IvrEvent] = []
    routing: list[Event] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {path}: {exc} (无法读取文件)") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            try:
                event: Any = ivr_event_from_dict(data)
                bucket: list[Any] = ivr
            except ValidationError:
                event, bucket = event_from_dict(data), routing
        except (json.JSONDecodeError, ValidationError, AttributeError, TypeError) as exc:
            raise _fail(
                f"{path.name} line {number}: not an event: {exc} (第 {number} 行无效)"
            ) from None
        bucket.append(event)
    return _window(ivr, routing, since, until)


def _window(
    ivr: list[IvrEvent], routing: list[Event], since: str | None, until: str | None
) -> tuple[list[IvrEvent], list[Event]]:
    """The events of the contacts whose first IVR event is in [``since``, ``until``): a
    contact counts whole, in the window where it started."""
    low = -math.inf if since is None else _instant(since, "--since")
    high = math.inf if until is None else _instant(until, "--until")
    first: dict[str, float] = {}  # contact id → its first IVR event's instant
    for event in ivr:
        first[event.contact_id] = min(event.at, first.get(event.contact_id, event.at))
    keep = {cid for cid, at in first.items() if low <= at < high}
    return [e for e in ivr if e.contact_id in keep], [
        e for e in routing if getattr(e, "contact_id", None) in keep
    ]


def _read_database(
    database_url: str | None, since: str | None, until: str | None
) -> tuple[list[IvrEvent], list[Event]]:
    """The stored IVR events (and the routing events after their hand-offs) in the window."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage.ivr_reader import read_ivr_log
    from kefu.cli.report_cmd import _open, _settings_url
    from kefu.domain.errors import KefuError

    url, schema = (database_url, None) if database_url is not None else _settings_url()
    engine = _open(url, schema)
    try:
        ivr, routing = read_ivr_log(engine)
    except (SQLAlchemyError, KefuError) as exc:
        raise _fail(f"cannot read the IVR events: {exc} (无法读取 IVR 事件)") from None
    finally:
        engine.dispose()
    return _window(ivr, routing, since, until)


def _pct(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{100 * x:.1f} %"


def _print_report(console: Console, r: IvrReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(
        f"contacts 来电 {r.contacts} · contained 自助完成 {r.contained} · to agents 转人工 "
        f"{r.handed_off} · abandoned 放弃 {r.abandoned} · unfinished 未完成 {r.unfinished}",
        highlight=False,
    )
    console.print(
        f"coverage 自助覆盖率 {_pct(r.coverage)} (target 目标 {_pct(r.coverage_target)}) · "
        f"repeats within 7 days 7 天内重复来电 {r.repeats_within_window}/"
        f"{r.contained_with_customer} · loops 回流 {r.loops}",
        highlight=False,
    )
    options = Table(title="options 选项话务量")
    for col in ("menu 菜单", "key 键", "to 去向", "calls 次数", "share 占比", "gave up 放弃"):
        options.add_column(col)
    for o in r.options:
        options.add_row(
            escape(o.node_id),
            o.digit,
            escape(o.next),
            str(o.count),
            _pct(o.share),
            str(o.abandoned_after),
        )
    console.print(options)
    depth = Table(title="abandonment by menu depth 各层放弃率")
    for col in ("level 层", "reached 到达", "gave up 放弃", "rate 比率", "cum. 累计", "seed 001"):
        depth.add_column(col)
    for d in r.depth:
        depth.add_row(
            str(d.depth),
            str(d.reached),
            str(d.abandoned),
            _pct(d.abandon_rate),
            _pct(d.cumulative),
            _pct(d.seed001),
        )
    console.print(depth)
    times = Table(title="time to service 到达服务用时")
    for col in ("service 服务", "contacts 次数", "mean 平均 s", "median 中位 s"):
        times.add_column(col)
    for s in r.service_times:
        times.add_row(escape(s.service), str(s.count), f"{s.mean_s:.1f}", f"{s.median_s:.1f}")
    console.print(times)
    reasons = (
        ", ".join(f"{k} {v} ({_pct(v / r.contacts)})" for k, v in r.to_agents_by_reason.items())
        or "–"
    )
    console.print(f"to agents by reason 转人工原因: {escape(reasons)}", highlight=False)


@ivr_app.command("report")
def report_cmd(
    events_file: Path | None = typer.Argument(
        None, help="JSON-lines file of IVR events (default: the database). IVR 事件文件。"
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL (default: KEFU_DATABASE_URL or the SQLite file). 数据库地址",
    ),
    since: str | None = typer.Option(None, "--since", help="From (ISO, UTC). 起始时间。"),
    until: str | None = typer.Option(None, "--until", help="Until (ISO, UTC). 截止时间。"),
    json_output: bool = typer.Option(False, "--json", help="Print JSON. 输出 JSON"),
) -> None:
    """What callers did in the IVR: traffic per node and option, coverage against seed
    001's 78 %, hand-offs by reason, abandonment by menu depth against seed 001's curve,
    time to each service, repeats within 7 days, loops.

    IVR 报表：各节点与选项话务量、自助覆盖率（目标 78 %）、转人工原因、各层放弃率、
    到达服务用时、7 天内重复来电、回流。"""
    from rich.console import Console

    from kefu.analytics.ivr import ivr_report

    if events_file is not None and database_url is not None:
        raise _fail("give an events file or --database-url, not both (二者只能选其一)")
    if events_file is not None:
        ivr, routing = _read_events(events_file, since, until)
    else:
        ivr, routing = _read_database(database_url, since, until)
    report = ivr_report(ivr, routing)
    if json_output:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_report(Console(), report)


@ivr_app.command("optimize")
def optimize_cmd(
    flow_file: Path = typer.Argument(..., help="Current flow (YAML or JSON). 当前流程。"),
    traffic: Path = typer.Option(..., "--traffic", help="JSON-lines IVR events. 话务事件。"),
    out: Path = typer.Option(..., "--out", help="Where to write the draft (YAML). 草稿输出。"),
    calls_per_hour: float | None = typer.Option(
        None, "--calls-per-hour", min=0.001, help="Default: measured. 每小时来电量。"
    ),
    agents: int = typer.Option(5, "--agents", min=1, help="Agents. 坐席数。"),
    handle_s: float = typer.Option(240.0, "--handle-s", min=1.0, help="Mean talk (s). 通话时长"),
    replications: int = typer.Option(10, "--replications", min=2, max=200, help="重复次数。"),
    seed: int = typer.Option(1, "--seed", min=0, help="Random seed. 随机种子。"),
    max_depth: int = typer.Option(4, "--max-depth", min=1, help="Menu levels allowed. 层级上限"),
    min_share: float = typer.Option(0.03, "--min-share", min=0.0, max=1.0, help="合并阈值。"),
    published_at: str | None = typer.Option(
        None, "--published-at", help="When the current flow was published (ISO). 发布时间。"
    ),
    period_days: int = typer.Option(90, "--period-days", min=1, help="Re-derive every. 周期。"),
    patience_s: float = typer.Option(
        900.0, "--patience-s", min=1.0, help="Callers' mean patience in the IVR (s). 耐心。"
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON. 输出 JSON"),
) -> None:
    """Propose a new version of FLOW from its traffic (seed 001's rules: order by volume with
    the 3rd and 4th first unless the top callers abandon, flatten deep menus, merge small
    options), write it as a draft and print its expected effect from the digital twin:
    current vs proposed on the same callers, differences with 95 % confidence intervals.

    按种子 001 的规则根据话务数据生成新版本草稿，并用数字孪生比较当前与新流程的效果
    （同一批来电，差值附 95 % 置信区间）。"""
    import yaml

    from kefu.analytics.ivr import ivr_report
    from kefu.analytics.ivr_optimize import propose, rederivation_due
    from kefu.domain.ivr import flow_to_dict
    from kefu.sim.ivr_callers import CallerModel
    from kefu.sim.ivr_twin import AgentFloor, compare_flows, intents_from_report

    flow = _load(flow_file, json_output)
    ivr, routing = _read_events(traffic, None, None)
    report = ivr_report(ivr, routing)
    try:
        intents = intents_from_report(flow, report)
    except ValueError as exc:
        raise _fail(f"{exc} (话务数据中没有此流程的菜单选择)") from None
    if calls_per_hour is None:
        starts = [e.at for e in ivr if type(e).__name__ == "FlowStarted"]
        span_h = (max(starts) - min(starts)) / 3600.0 if starts else 0.0
        calls_per_hour = len(starts) / span_h if span_h > 0 else 60.0
    proposal = propose(flow, report, max_depth=max_depth, min_share=min_share)
    header = (
        f"# Draft proposed by kefu ivr optimize from {traffic.name}; review before publishing.\n"
    )
    body = yaml.safe_dump(flow_to_dict(proposal.flow), allow_unicode=True, sort_keys=False)
    try:
        out.write_text(header + body, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc} (无法写入草稿)") from None
    comparison = compare_flows(
        flow,
        proposal.flow,
        CallerModel(intents=intents, patience_mean_s=patience_s),
        calls_per_hour=calls_per_hour,
        floor=AgentFloor(agents=agents, handle_mean_s=handle_s),
        replications=replications,
        seed=seed,
    )
    late = None
    if published_at is not None:
        published = datetime.fromtimestamp(_instant(published_at, "--published-at"), UTC)
        late = rederivation_due(published, datetime.now(UTC), period_days)
    if json_output:
        payload = {
            "draft": str(out),
            "version": proposal.flow.version,
            "changes": [
                {"kind": c.kind, "node": c.node_id, "en": c.en, "zh": c.zh}
                for c in proposal.changes
            ],
            "evidence": [
                {
                    "menu": e.node_id,
                    "ranked": [list(r) for r in e.ranked],
                    "top_abandon": e.top_abandon,
                    "rest_abandon": e.rest_abandon,
                    "applicable": e.applicable,
                    "exception_applied": e.exception_applied,
                    "order": list(e.order),
                }
                for e in proposal.evidence
            ],
            "effect": comparison.to_dict(),
            "rederivation_overdue_days": late,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=_nan_none))
        return
    _print_proposal(proposal, comparison, out, late, period_days)


def _nan_none(_value: object) -> None:
    """What ``json.dumps`` writes for a value it cannot encode (a NaN mean): null."""
    return None


def _print_proposal(
    proposal: Any, comparison: Any, out: Path, late: int | None, period: int
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if late is not None:
        console.print(
            f"[yellow]reminder 提醒:[/] the published flow is {late} day(s) past its "
            f"{period}-day re-derivation date (已超过 {period} 天的重新推导周期 {late} 天)",
            highlight=False,
        )
    for c in proposal.changes:
        console.print(f"• [bold]{c.kind}[/] {escape(c.en)}\n  {escape(c.zh)}", highlight=False)
    for e in proposal.evidence:
        if not e.applicable:
            console.print(
                f"{escape(e.node_id)}: fewer than 4 options chosen, ordered by volume "
                "(少于 4 个选项，按话务量排序)",
                highlight=False,
            )
            continue
        rule = "applied 采用" if e.exception_applied else "not applied 未采用"
        console.print(
            f"{escape(e.node_id)}: seed 001 exception {rule}; callers of the top two gave up "
            f"after choosing {_pct(e.top_abandon)}, the others {_pct(e.rest_abandon)} "
            f"(前两位放弃 {_pct(e.top_abandon)}，其余 {_pct(e.rest_abandon)})",
            highlight=False,
        )
    table = Table(title=f"expected effect 预期效果 ({comparison.replications} runs, 95 % CI)")
    for col in ("figure 指标", "current 当前", "proposed 建议", "change 变化 [95 % CI]"):
        table.add_column(col)
    for name, value in comparison.difference.items():
        table.add_row(
            name,
            _num(comparison.current[name].mean),
            _num(comparison.proposed[name].mean),
            f"{_num(value.mean)} [{_num(value.ci_low)}, {_num(value.ci_high)}]",
        )
    console.print(table)
    console.print(f"draft written 草稿已写入: {escape(str(out))}", highlight=False)


def _num(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.3g}"
