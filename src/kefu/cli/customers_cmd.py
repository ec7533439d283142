"""``kefu customers``: ``import-products`` imports the customers' products from CSV into the
configured database (``KEFU_DB_PATH`` or ``KEFU_DATABASE_URL``, migrated), through the same
command and handler as the API: every row is checked first (each bad row reported with its
line number, exit code 2) and the products are stored in one transaction, all or none.
``predict-backtest`` reads the stored log and reports the accuracy of the likely-reason
rules and classifier on the center's own dispositions (it writes nothing).

Run it while the server is stopped (or against a copy): a running server keeps its
customers in memory and would not see the import until it restarts.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import Progress

from kefu.cli.app import app

if TYPE_CHECKING:
    from kefu.domain.customers import Product

__all__: list[str] = []

customers_app = typer.Typer(help="Customer records. 客户档案。", no_args_is_help=True)
app.add_typer(customers_app, name="customers")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _read(path: Path) -> tuple[tuple[Product, ...], tuple[int, ...]]:
    from kefu.domain.customers.product_import import parse_products

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"Cannot read 无法读取 {path}: {exc}") from None
    lines = text.splitlines(keepends=True)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("checking rows 校验中", total=max(1, len(lines)))
        found = parse_products(
            io.StringIO(text, newline=""), lambda line: progress.update(task, completed=line)
        )
    rows, numbers, problems = found.products, found.lines, found.problems
    if problems:
        for line, why in problems:
            typer.echo(f"{path}:{line}: {why}", err=True)
        raise _fail(f"{len(problems)} bad rows, nothing imported 有错误行，未导入任何数据")
    if not rows:
        raise _fail("No products in the file 文件中没有产品")
    return rows, numbers


async def _store(
    url: str, schema: str | None, rows: tuple[Product, ...], lines: tuple[int, ...]
) -> int:
    from kefu.adapters.clock import SystemClock
    from kefu.adapters.storage import SqlUnitOfWorkFactory, ensure_current, make_engine
    from kefu.bootstrap import channel_wing, routing_engine
    from kefu.domain.errors import KefuError
    from kefu.service import RoutingEngine
    from kefu.service.channels import ChannelState, RecordProducts

    database = make_engine(url, schema=schema)
    try:
        ensure_current(database)
        engine = routing_engine(SqlUnitOfWorkFactory(database), SystemClock())
        channels = channel_wing(engine)
        await engine.start()
        try:

            def check(_engine: RoutingEngine, state: ChannelState) -> list[str]:
                out = []
                for product, line in zip(rows, lines, strict=True):
                    ref = product.customer_id
                    try:
                        if ":" not in ref:
                            state.directory.resolve(ref)
                        owner = state.directory.profiles.owner_of(product.number)
                        if (
                            owner is not None
                            and ":" not in ref
                            and owner != state.directory.resolve(ref)
                        ):
                            out.append(
                                f"{line}: product {product.masked} belongs to another customer"
                            )
                    except KefuError as exc:
                        out.append(f"{line}: {exc.message}")
                return out

            problems = await channels.read(check)
            if problems:
                for problem in problems:
                    typer.echo(problem, err=True)
                raise _fail(f"{len(problems)} bad rows, nothing imported 有错误行，未导入任何数据")
            try:
                changed: int = await engine.execute(RecordProducts(rows, "cli"))
            except KefuError as exc:
                raise _fail(f"Refused, nothing imported 被拒绝，未导入: {exc.message}") from None
        finally:
            await engine.stop()
    finally:
        database.dispose()
    return changed


@customers_app.command("import-products")
def import_products(
    file: Path = typer.Argument(..., help="CSV: customer,number,kind[,opened,status,balance]"),
    db_path: str | None = typer.Option(None, help="SQLite file; default: the configured one."),
) -> None:
    """Import products from CSV, all or none. 从 CSV 导入客户产品（全部或全不）。"""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage import SchemaOutOfDate
    from kefu.config import Settings

    rows, lines = _read(file)
    try:
        settings = Settings(db_path=db_path) if db_path else Settings()
    except ValidationError as exc:
        raise _fail(f"Invalid settings 配置无效:\n{exc}") from None
    try:
        changed = asyncio.run(
            _store(settings.sqlalchemy_url, settings.database_schema, rows, lines)
        )
    except SchemaOutOfDate as exc:
        raise _fail(f"kefu customers: {exc}", 1) from None
    except SQLAlchemyError as exc:
        raise _fail(f"Database error 数据库错误: {exc}", 1) from None
    typer.echo(f"{len(rows)} rows read, {changed} products new or changed")
    typer.echo(f"已读取 {len(rows)} 行，新增或变更产品 {changed} 个")


def _backtest(url: str, schema: str | None, limit: int | None) -> dict[str, Any]:
    """Read the stored log (nothing is written) and backtest the likely-reason model."""
    from kefu.adapters.storage import SqlUnitOfWorkFactory, ensure_current, make_engine
    from kefu.adapters.storage.event_reader import read_events
    from kefu.domain.calendar import BusinessCalendar
    from kefu.domain.routing import Router
    from kefu.service.cases import DEFAULT_POLICY, DEFAULT_TYPES, CaseStore, NeedPredictor
    from kefu.service.channels import ChannelState

    database = make_engine(url, schema=schema)
    try:
        ensure_current(database)
        router = Router.replay(read_events(database, types=None))
        with SqlUnitOfWorkFactory(database)() as uow:
            records = list(uow.channels.read())
    finally:
        database.dispose()
    state = ChannelState()
    state.load(records)
    calendar = BusinessCalendar.weekdays("Asia/Shanghai", "09:00-18:00")
    store = CaseStore(lambda *_: None, DEFAULT_TYPES, DEFAULT_POLICY, lambda _site: calendar)
    store.load([r for r in records if r.stream == "case"])
    need = NeedPredictor(state, store, max_examples=limit or 10**9)
    report = need.fit(router)
    return {**report.to_json(), "rules": [r.describe() for r in need.rules]}


@customers_app.command("predict-backtest")
def predict_backtest(
    db_path: str | None = typer.Option(None, help="SQLite file; default: the configured one."),
    limit: int | None = typer.Option(
        None, min=1, help="Only the latest N contacts with a disposition. 仅最近 N 个。"
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Backtest the likely reason of the next contact: the rules against the classifier
    trained on the stored dispositions (reads only). 回测来电原因预测：规则与分类器。"""
    from pydantic import ValidationError
    from rich.table import Table
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.storage import SchemaOutOfDate
    from kefu.config import Settings

    try:
        settings = Settings(db_path=db_path) if db_path else Settings()
    except ValidationError as exc:
        raise _fail(f"Invalid settings 配置无效:\n{exc}") from None
    try:
        found = _backtest(settings.sqlalchemy_url, settings.database_schema, limit)
    except SchemaOutOfDate as exc:
        raise _fail(f"kefu customers: {exc}", 1) from None
    except SQLAlchemyError as exc:
        raise _fail(f"Database error 数据库错误: {exc}", 1) from None
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = Table(title="Likely reason backtest 来电原因预测回测")
    table.add_column("model 模型")
    table.add_column("accuracy 准确率", justify="right")
    for name in ("rules", "classifier", "hybrid"):
        value = found[f"{name}_accuracy"]
        table.add_row(name, "–" if value is None else f"{value:.1%}")
    Console().print(table)
    typer.echo(
        f"trained on {found['trained']}, tested on {found['tested']} contacts; rules fire on "
        f"{'–' if found['rules_coverage'] is None else format(found['rules_coverage'], '.0%')}"
        f"; kept: {found['mode']} 采用：{found['mode']}"
    )
