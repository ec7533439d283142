"""``kefu ivr report`` on the database gives the figures of the JSON-lines path for the
same events: chats through the bank flow (self-service, hand-offs, hang-ups) stored by a
platform on SQLite, reported from the database and from the events the wing logged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.adapters.storage import SqlUnitOfWorkFactory, make_engine, sqlite_url, upgrade
from kefu.bootstrap import build_platform
from kefu.cli import app
from kefu.config import Settings
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.ivr.events import ivr_event_from_dict, ivr_events_to_jsonl
from kefu.domain.model import AgentSpec, Channel, QueueSpec
from kefu.service.channels import Inbound, OutboundReply
from kefu.service.ivr import IvrHangup
from kefu.service.routing import commands as c
from kefu.testing import ManualClock, ManualScheduler


class Socket:
    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    def new_external_id(self) -> str:
        return f"out-{len(self.sent)}"

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


SCRIPTS = [
    ["hi", "2", "0"],  # before the window
    ["你好", "2", "{card}", "{pin}", "3", "3"],  # balance, then nothing more: self-service
    ["hi", "1", "{card}", "{pin}", "人工"],  # to an agent after verification
    ["hello", "2", "0"],  # an agent at once
    ["喂", "1", "{card}"],  # hangs up at the PIN
    ["hi", "2", "{card}", "{pin}", "1", "3"],  # bill explanation
]


def test_given_stored_ivr_chats_when_reported_from_db_and_file_then_same_figures(
    tmp_path: Path,
) -> None:
    url = sqlite_url(str(tmp_path / "kefu.sqlite3"))
    engine = make_engine(url)
    upgrade(engine)
    clock = ManualClock(1_800_000_000.0)
    acct = next(iter(FakeBank().accounts.values()))
    made = build_platform(
        Settings(env="test", ivr_flows="chat=bank"),
        uow_factory=SqlUnitOfWorkFactory(engine),
        clock=clock,
        scheduler=ManualScheduler(),
    )
    assert made.channels is not None and made.ivr is not None
    made.channels.set_gateway(Channel.CHAT, Socket())

    async def scenario() -> None:
        assert made.channels is not None
        async with made.app.router.lifespan_context(made.app):
            e = made.engine.execute
            await e(c.CreateSite("sh", "上海"))
            await e(c.DefineQueue(QueueSpec("chat", Channel.CHAT, aht_s=120), "sh"))
            await e(c.DefineQueue(QueueSpec("billing", Channel.CHAT, aht_s=120), "sh"))
            await e(c.DefineAgent(AgentSpec("a1", site_id="sh")))
            for n, script in enumerate(SCRIPTS):
                cookie = Identifier(IdentifierKind.CHAT_COOKIE, f"tok-{n}")
                conv = ""
                for i, text in enumerate(script):
                    clock.advance(4.0)
                    said = text.format(card=acct.card, pin=acct.pin)
                    inbound = Inbound(Channel.CHAT, (cookie,), said, clock.now(), f"m{n}-{i}")
                    conv = (await made.channels.receive(inbound)).conversation_id
                    await made.channels.idle()
                if n == 4:
                    await e(IvrHangup(conv))
                clock.advance(3600.0)  # the next customer, an hour later

    asyncio.run(scenario())
    logged = [
        ivr_event_from_dict(r.data)
        for r in made.channels.state.records
        if r.stream == "ivr" and r.kind not in ("opened", "asked")
    ]
    events_file = tmp_path / "ivr.jsonl"
    events_file.write_text(ivr_events_to_jsonl(logged), encoding="utf-8")
    runner = CliRunner()
    window = ["--since", "2027-01-15T08:30:00+00:00"]  # the first customer started before
    from_db = runner.invoke(app, ["ivr", "report", "--json", "--database-url", url, *window])
    from_file = runner.invoke(app, ["ivr", "report", "--json", str(events_file), *window])
    assert from_db.exit_code == 0, from_db.output
    assert from_file.exit_code == 0, from_file.output
    report = json.loads(from_db.output)
    assert report == json.loads(from_file.output)
    assert report["contacts"] == len(SCRIPTS) - 1
    assert (report["contained"], report["handed_off"], report["abandoned"]) == (2, 2, 1)
    engine.dispose()


def test_given_no_database_file_when_reported_then_a_clear_error(tmp_path: Path) -> None:
    missing = sqlite_url(str(tmp_path / "none.sqlite3"))
    done = CliRunner().invoke(app, ["ivr", "report", "--database-url", missing])
    assert done.exit_code == 2
    assert "找不到数据库文件" in done.output
