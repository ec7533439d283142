"""``kefu demo``: the platform as an operator runs it, with traffic, on a SQLite file.

Migrates the file, seeds a demo center, serves the API and the live wallboard on
127.0.0.1:8000 and runs synthetic customers and simulated agents in the same process.
E-mail works end to end: an SMTP listener takes mail for the e-mail queue and replies go
to a local relay that keeps them in an outbox folder next to the database (unless
``KEFU_SMTP_PORT`` / ``KEFU_RELAY_HOST`` configure real ones).
``--text`` keeps the accelerated text-mode router demo.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kefu.cli.app import app

if TYPE_CHECKING:
    from kefu.adapters.demo import DemoCredential

__all__: list[str] = []


@app.command("demo")
def demo(
    text: bool = typer.Option(
        False, "--text", help="Text-mode router demo instead of the server. 文本模式演示。"
    ),
    db: str = typer.Option("kefu-demo.sqlite3", "--db", help="SQLite file. 数据库文件。"),
    host: str = typer.Option("127.0.0.1", help="Address to bind. 监听地址。"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port. 端口。"),
    smtp_port: int = typer.Option(
        2525,
        min=1,
        max=65535,
        help="SMTP port for mail to the demo (a free one when taken). 收信端口。",
    ),
    duration: float | None = typer.Option(
        None, min=1.0, help="Stop after this many seconds. 运行秒数后退出。"
    ),
    rate: float = typer.Option(1.0, min=0.01, max=1000.0, help="Traffic multiplier. 来电量倍数。"),
    seed: int | None = typer.Option(None, help="Random seed. 随机种子。"),
    sip_port: int | None = typer.Option(
        None,
        "--sip-port",
        min=0,
        max=65535,
        help="SIP port, UDP+TCP (default 5060; 0 or taken: a free one). 电话端口。",
    ),
    no_sip: bool = typer.Option(False, "--no-sip", help="Do not answer SIP calls. 不接听电话。"),
    hours: float = typer.Option(
        2.0, min=0.1, max=24.0, help="--text: simulated hours. 模拟时长（小时）。"
    ),
    speed: float = typer.Option(
        900.0, min=1.0, help="--text: simulated seconds per real second. 加速倍数。"
    ),
) -> None:
    """Run kefu with a demo center and live traffic; open the wallboard. 运行带模拟话务的演示。"""
    if text:
        _text_demo(hours=hours, speed=speed, seed=7 if seed is None else seed)
        return
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.adapters.demo import DemoRun
    from kefu.adapters.demo.mail_sink import MailSink, free_port, port_is_free
    from kefu.adapters.storage import current_revision, make_engine, sqlite_url, upgrade
    from kefu.adapters.storage.instance import DEMO_SECRET_KEY, stored_secret
    from kefu.cli.demo_panel import DemoPlaces, demo_panel
    from kefu.cli.serve_cmd import load_settings, make_server, open_platform
    from kefu.domain.model import Channel

    console = Console()
    settings = load_settings(host=host, port=port, db_path=db).model_copy(
        update={"database_url": None, "database_schema": None}
    )
    with console.status(f"Migrating 迁移数据库 {db} …"):
        database = make_engine(sqlite_url(db))
        try:
            upgrade(database)
            revision = current_revision(database)
            # A key of this file's own, unless the operator gave one: nothing signed by
            # one demo (chat cookies, CSRF tokens) is accepted by another.
            if not settings.secret_key_set:
                key = stored_secret(database, DEMO_SECRET_KEY)
                settings = settings.model_copy(update={"secret_key": key})
        except SQLAlchemyError as exc:
            console.print(f"[red]Cannot prepare 无法准备数据库 {db}: {exc}[/red]")
            raise typer.Exit(1) from None
        finally:
            database.dispose()
    url = f"http://{host}:{port}"
    sink = None
    mail: dict[str, object] = {}
    if settings.smtp_port is None:
        free = port_is_free(settings.smtp_host, smtp_port)
        mail["smtp_port"] = smtp_port if free else free_port(settings.smtp_host)
    if not settings.relay_host:
        sink = MailSink(Path(db).with_suffix(".outbox"))
        sink.start()
        mail.update(relay_host=sink.host, relay_port=sink.port, relay_starttls=False)
    settings = settings.model_copy(update=mail)
    if settings.survey_link_base is None:  # survey messages carry the public page's link
        settings = settings.model_copy(update={"survey_link_base": f"{url}/survey"})
    if not settings.ivr_flows:  # the demo bank's flows: chat, SMS, the kiosk ('chat=': off)
        settings = settings.model_copy(update={"ivr_flows": "chat=bank,sms=bank,branch=hall"})
    voice = None
    if not no_sip:  # calls to the demo's number run the bank's flow (kefu.cli.demo_voice)
        from kefu.cli.demo_voice import DemoVoice, demo_voice_settings

        settings = demo_voice_settings(settings, db, sip_port)
        voice = DemoVoice(settings, console.print)
    outbox = (
        f"{sink.outbox}/" if sink is not None else f"{settings.relay_host}:{settings.relay_port}"
    )

    def announce(created: bool, credentials: list[DemoCredential]) -> None:
        smtp = f"{settings.smtp_host}:{settings.smtp_port}"
        places = DemoPlaces(url, smtp, outbox, db, revision, created)
        console.print(demo_panel(places, credentials))

    run = DemoRun(rate=rate, seed=seed, duration_s=duration, announce=announce)
    platform = open_platform(
        settings,
        on_startup=(run.start, *(() if voice is None else (voice.start,))),
        on_shutdown=(*(() if voice is None else (voice.stop,)), run.stop),
    )
    if voice is not None:
        voice.platform = platform
    run.engine = platform.engine
    if platform.channel_site is not None:
        run.taken = platform.channel_site.desktops.humans.taken
        run.branch = platform.channel_site.branch
    if platform.ivr is not None:
        run.channels = platform.channels
        run.chat_flow = platform.ivr.flow_for(Channel.CHAT)
    server = make_server(platform.app, settings, log_level="warning")

    def request_exit() -> None:
        server.should_exit = True

    run.request_exit = request_exit
    try:
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once shut down
            server.run()
    finally:
        if sink is not None:
            sink.stop()
    if not server.started:
        console.print(f"[red]kefu could not listen on {host}:{port} 端口不可用[/red]")
        raise typer.Exit(1)
    if run.summary is not None:
        s = run.summary
        console.print(
            f"offered 进线 {s.offered}, answered 接通 {s.answered}, abandoned 放弃 {s.abandoned}, "
            f"completed 完成 {s.completed}, waiting 排队 {s.waiting}"
        )


def _text_demo(*, hours: float, speed: float, seed: int) -> None:
    from kefu.cli.text_demo import run_text_demo

    summary = run_text_demo(hours=hours, speed=speed, seed=seed)
    typer.echo(
        f"\noffered 进线 {summary.offered}, answered 接通 {summary.answered}, "
        f"abandoned 放弃 {summary.abandoned}, completed 完成 {summary.completed}"
    )
