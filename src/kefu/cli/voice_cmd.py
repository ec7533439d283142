"""``kefu voice``: prompt clips for the telephone front door, and the SIP server itself."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.app import app

__all__: list[str] = []

voice_app = typer.Typer(
    help="Telephone front door: SIP/RTP server and its prompts. 电话接入：SIP/RTP 服务与提示音。",
    no_args_is_help=True,
)
app.add_typer(voice_app, name="voice")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error 错误: {message}", err=True)
    return typer.Exit(2)


@voice_app.command("prompts")
def prompts(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="clip cache (default: KEFU_SIP_PROMPTS_DIR)")
    ] = None,
    recordings: Annotated[
        Path | None,
        typer.Option(help="operator recordings <lang>/<name>.<ext> that replace clips"),
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option("--language", "-l", help="zh and/or en (default both)")
    ] = None,
    force: Annotated[bool, typer.Option(help="re-render every clip")] = False,
) -> None:
    """Synthesize the prompt clips once (espeak-ng → sox, 8 kHz µ-law). 生成提示音（一次性）。"""
    from kefu.adapters.voice.prompts import LANGUAGES, synthesize_prompts
    from kefu.cli.serve_cmd import load_settings
    from kefu.domain.errors import KefuError

    settings = load_settings()
    chosen = tuple(language or LANGUAGES)
    unknown = [lang for lang in chosen if lang not in LANGUAGES]
    if unknown:
        raise _fail(f"unknown language {unknown[0]!r}; use zh or en 未知语言，可选 zh 或 en")
    if recordings is not None and not recordings.is_dir():
        raise _fail(f"no recordings directory {recordings} 录音目录不存在")
    target = directory or settings.prompts_path
    recordings = recordings or (
        Path(settings.sip_recordings_dir) if settings.sip_recordings_dir else None
    )
    try:
        report = synthesize_prompts(
            target,
            languages=tuple(lang for lang in LANGUAGES if lang in chosen),
            recordings=recordings,
            force=force,
        )
    except KefuError as exc:
        raise _fail(exc.message) from None
    except OSError as exc:
        raise _fail(f"cannot write the clips in {target}: {exc} 无法写入提示音") from None
    typer.echo(
        f"{target}: {len(report.made)} made 新生成, {len(report.kept)} kept 沿用, "
        f"{len(report.recorded)} from recordings 采用录音"
    )


@voice_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (KEFU_SIP_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="SIP port, UDP+TCP (KEFU_SIP_PORT)")] = None,
) -> None:
    """Answer calls over SIP with the built-in demo flow until Ctrl-C. 以演示流程接听 SIP 来电。"""
    from kefu.adapters.voice.demo_flow import DemoFlow
    from kefu.adapters.voice.prompts import PromptLibrary
    from kefu.adapters.voice.routes import parse_numbers
    from kefu.adapters.voice.sip import SipFrontDoor
    from kefu.cli.serve_cmd import load_settings
    from kefu.domain.errors import KefuError

    settings = load_settings(sip_host=host, sip_port=port)
    try:
        numbers = parse_numbers(settings.sip_numbers)
    except KefuError as exc:
        raise _fail(exc.message) from None
    clips_dir = settings.prompts_path
    if not (clips_dir / settings.sip_language / "greeting.ul").is_file():
        raise _fail(f"no prompt clips in {clips_dir}; run `kefu voice prompts` 请先生成提示音")
    flow = DemoFlow(language=settings.sip_language)
    door = SipFrontDoor(
        host=settings.sip_host,
        port=5060 if settings.sip_port is None else settings.sip_port,
        sink=flow,
        clips=PromptLibrary(clips_dir),
        numbers=numbers,
        media_process=settings.sip_media_process,
        media_realtime=settings.sip_media_realtime,
        max_calls=settings.sip_max_calls,
        ring_timeout_s=settings.sip_ring_timeout_s,
    )
    flow.port = door

    async def run() -> None:
        try:
            await door.start()
        except OSError as exc:
            raise _fail(f"cannot listen on {settings.sip_host}: {exc} 无法监听") from None
        typer.echo(f"kefu voice: SIP on {settings.sip_host}:{door.port} (UDP, TCP)")
        try:
            await asyncio.Event().wait()
        finally:
            await door.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
