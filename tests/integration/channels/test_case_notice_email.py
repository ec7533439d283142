"""A case notice by e-mail over real SMTP: a customer who wrote by e-mail gets the opening
of their case from kefu's e-mail gateway, through a relay (an aiosmtpd server keeping what it
receives), in English, threaded on their message."""

from __future__ import annotations

import asyncio
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP

from kefu.adapters.channels.email_send import EmailSender, SmtpRelayConfig
from kefu.adapters.channels.server import EmailGateway
from kefu.bootstrap import case_wing, channel_wing, routing_engine
from kefu.domain.customers import Identifier, IdentifierKind
from kefu.domain.model import Channel, QueueSpec
from kefu.domain.routing import RouterConfig
from kefu.service.cases import OpenCase
from kefu.service.channels import Inbound
from kefu.service.routing import commands as c
from kefu.testing import InMemoryUnitOfWorkFactory, ManualClock, ManualScheduler


class Relay:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def test_given_an_email_customer_when_their_case_opens_then_the_relay_gets_the_notice() -> None:
    async def main() -> None:
        relay = Relay()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(relay, hostname="relay.test", enable_SMTPUTF8=True), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        config = SmtpRelayConfig("127.0.0.1", port, "support@kefu.example", timeout_s=5)
        clock = ManualClock(1_780_000_000.0)
        engine = routing_engine(
            InMemoryUnitOfWorkFactory(), clock, scheduler=ManualScheduler(), config=RouterConfig()
        )
        gateway = EmailGateway(EmailSender(config, clock=clock), config)
        channels = channel_wing(engine, gateways={Channel.EMAIL: gateway})
        case_wing(channels)
        await engine.start()
        await channels.start()
        try:
            await engine.execute(c.CreateSite("sh", "上海"))
            await engine.execute(c.DefineQueue(QueueSpec("email", Channel.EMAIL), "sh"))
            sender = (Identifier(IdentifierKind.EMAIL, "amy@example.com"),)
            got = await channels.receive(
                Inbound(Channel.EMAIL, sender, "Where is my refund?", clock.now(),
                        "<m1@example.com>", subject="Refund", topic="email")
            )  # fmt: skip
            case = await engine.execute(
                OpenCase("inquiry", "refund", by="a1", contact_id=str(got.contact_id))
            )
            await channels.idle()
            for _ in range(50):
                if any(b"case #" in raw for _to, raw in relay.received):
                    break
                await asyncio.sleep(0.05)
        finally:
            await channels.stop()
            await engine.stop()
            server.close()
        notices = [(to, raw) for to, raw in relay.received if b"case #" in raw]
        assert len(notices) == 1
        to, raw = notices[0]
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert to == ["amy@example.com"]
        assert f"We have registered your request as case #{case.case_id}." in text
        assert "<m1@example.com>" in str(message["In-Reply-To"] or message["References"])

    asyncio.run(main())
