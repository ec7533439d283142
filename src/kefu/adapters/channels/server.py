"""The channels inside the server: the SMTP listener on a thread of its own, the webhook
handler, reply gateways for e-mail (SMTP relay), SMS and social media (signed HTTP), and the
webhooks' seen-message keys in the database.

Adapters hand inbound messages to :class:`ServiceSink`, which runs
:meth:`kefu.service.channels.ChannelService.receive` on the server's event loop and waits
for it: a message is acknowledged to the sender (SMTP ``250``, HTTP ``200``) only once it is
stored, and a refusal stores nothing. So the sink is called from other threads only — the
listener's loop, or the worker thread a webhook request is handled in.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from kefu.adapters.channels.attachments import AttachmentStore
from kefu.adapters.channels.email import EmailInboundConfig, EmailListener
from kefu.adapters.channels.email_send import EmailSender, SmtpRelayConfig
from kefu.adapters.channels.webhook import WebhookConfig, WebhookHandler, WebhookResult
from kefu.adapters.channels.webhook_models import OutboundSms, OutboundSocialReply
from kefu.adapters.channels.webhook_send import WebhookSender, WebhookSenderConfig
from kefu.config import Settings
from kefu.service.channels import ChannelService, Inbound, OutboundReply
from kefu.service.ports import UnitOfWorkFactory

__all__ = [
    "ChannelServer",
    "EmailGateway",
    "ListenerThread",
    "ServiceSink",
    "SmsGateway",
    "SocialGateway",
    "StoredSeenMessages",
    "channel_server",
]

log = logging.getLogger(__name__)
SEEN_RETENTION_S = 7 * 86400.0


class ServiceSink:
    """An :class:`~kefu.adapters.channels.ports.InboundSink` storing through the channel
    service on ``loop``; raises (the adapter refuses, the sender retries) when the service
    refuses or does not answer within ``timeout_s`` seconds."""

    def __init__(
        self, channels: ChannelService, loop: asyncio.AbstractEventLoop, timeout_s: float = 15.0
    ) -> None:
        self.channels = channels
        self.loop = loop
        self.timeout_s = timeout_s

    def on_message(self, message: Inbound) -> None:
        if self.loop.is_running() and _on_loop(self.loop):
            raise RuntimeError("ServiceSink.on_message must be called from another thread")
        future = asyncio.run_coroutine_threadsafe(self.channels.receive(message), self.loop)
        future.result(self.timeout_s)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class StoredSeenMessages:
    """:class:`~kefu.adapters.channels.ports.SeenMessages` in the database (one short
    transaction per claim); keys older than ``retention_s`` seconds are forgotten."""

    def __init__(self, uow_factory: UnitOfWorkFactory, retention_s: float = SEEN_RETENTION_S):
        self.uow_factory = uow_factory
        self.retention_s = retention_s
        self._claims = 0

    def claim(self, key: str, now: float) -> bool:
        with self.uow_factory() as uow:
            if not uow.channels.claim_seen(key, now):
                return False
            self._claims += 1
            if self._claims % 500 == 1:
                uow.channels.purge_seen(now - self.retention_s)
            uow.commit()
            return True

    def release(self, key: str) -> None:
        with self.uow_factory() as uow:
            uow.channels.release_seen(key)
            uow.commit()


class EmailGateway:
    """Replies by e-mail through the relay, threaded on the conversation."""

    def __init__(self, sender: EmailSender, config: SmtpRelayConfig) -> None:
        self.sender = sender
        self.config = config

    def new_external_id(self) -> str:
        return make_msgid(domain=self.config.domain)

    async def send(self, reply: OutboundReply) -> None:
        message = self.sender.compose(
            to=reply.route.address,
            subject=reply.route.subject,
            text=reply.text,
            thread=reply.thread,
            to_name=reply.route.name,
        )
        del message["Message-ID"]
        message["Message-ID"] = reply.external_id
        await self.sender.send(message)


class SmsGateway:
    """Replies (and notices) by SMS through the provider's signed webhook."""

    def __init__(self, sender: WebhookSender) -> None:
        self.sender = sender

    def new_external_id(self) -> str:
        return f"kefu-sms-{uuid.uuid4().hex}"

    async def send(self, reply: OutboundReply) -> None:
        payload = OutboundSms(message_id=reply.external_id, to=reply.route.address, text=reply.text)
        await self.sender.send(payload)


class SocialGateway:
    """Replies on the platform: publicly under the customer's post, or as a direct message."""

    def __init__(self, sender: WebhookSender) -> None:
        self.sender = sender

    def new_external_id(self) -> str:
        return f"kefu-social-{uuid.uuid4().hex}"

    async def send(self, reply: OutboundReply) -> None:
        platform, _, handle = reply.route.address.partition(":")
        route = reply.route
        payload = OutboundSocialReply(
            message_id=reply.external_id,
            platform=platform,
            text=reply.text,
            in_reply_to=(reply.thread[-1] if reply.thread else route.post_id) or None,
            to_handle=None if route.public else handle,
            public=route.public,
        )
        await self.sender.send(payload)


class ListenerThread:
    """The SMTP listener on an event loop of its own thread (the sink blocks it while a
    message is stored, never the server's loop)."""

    def __init__(
        self, config: EmailInboundConfig, sink: ServiceSink, store: AttachmentStore
    ) -> None:
        self.config = config
        self.sink = sink
        self.store = store
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: EmailListener | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            listener = EmailListener(self.config, self.sink, self.store)
            try:
                loop.run_until_complete(listener.start())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            self._listener = listener
            self.port = listener.port
            ready.set()
            loop.run_forever()
            loop.run_until_complete(listener.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="kefu-smtp", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise RuntimeError("the SMTP listener did not start")
        if failure:
            raise failure[0]

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._thread = None


@dataclass
class ChannelServer:
    """The channel adapters of one server: started and stopped with the app."""

    channels: ChannelService
    uow_factory: UnitOfWorkFactory
    store: AttachmentStore
    inbound: EmailInboundConfig | None = None
    relay: SmtpRelayConfig | None = None
    webhook: WebhookConfig | None = None
    sms: WebhookSenderConfig | None = None
    social: WebhookSenderConfig | None = None
    listener: ListenerThread | None = None
    handler: WebhookHandler | None = None
    keys: Callable[[], tuple[bytes, ...]] | None = None
    """The webhook secrets created by admins (with the configured ones), read per request."""

    def __post_init__(self) -> None:
        from kefu.domain.model import Channel

        if self.relay is not None:
            gateway = EmailGateway(EmailSender(self.relay), self.relay)
            self.channels.set_gateway(Channel.EMAIL, gateway)
        if self.sms is not None:
            sms = SmsGateway(WebhookSender(self.sms))
            self.channels.set_gateway(Channel.SMS, sms)
            self.channels.set_gateway(Channel.BRANCH, sms)
        if self.social is not None:
            self.channels.set_gateway(Channel.SOCIAL, SocialGateway(WebhookSender(self.social)))

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        sink = ServiceSink(self.channels, loop)
        if self.webhook is not None or self.keys is not None:
            seen = StoredSeenMessages(self.uow_factory)
            self.handler = WebhookHandler(self.webhook, sink, seen, self.keys)
        if self.inbound is not None:
            self.listener = ListenerThread(self.inbound, sink, self.store)
            await asyncio.to_thread(self.listener.start)
            log.info("SMTP listener on %s:%s", self.inbound.host, self.listener.port)

    async def stop(self) -> None:
        if self.listener is not None:
            await asyncio.to_thread(self.listener.stop)

    async def handle_webhook(
        self, headers: Mapping[str, str], body: bytes, now: float
    ) -> WebhookResult | None:
        """Handle one webhook request in a worker thread (None when webhooks are off)."""
        handler = self.handler
        if handler is None:
            return None
        return await asyncio.to_thread(handler, headers, body, now)


def describe(server: ChannelServer) -> dict[str, Any]:
    """What is switched on (for logs and the health of channels)."""
    return {
        "smtp_port": server.listener.port if server.listener else None,
        "email_replies": server.relay is not None,
        "webhook": server.webhook is not None,
        "sms_replies": server.sms is not None,
        "social_replies": server.social is not None,
    }


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def channel_server(
    settings: Settings,
    channels: ChannelService,
    uow_factory: UnitOfWorkFactory,
    store: AttachmentStore | None = None,
) -> ChannelServer:
    """The channel adapters the settings switch on (each is off unless configured); the
    attachments in ``store``, by default files under ``settings.attachments_path``."""
    from kefu.adapters.channels.attachments import FileSystemAttachmentStore
    from kefu.adapters.channels.email_parse import EmailLimits

    if store is None:
        store = FileSystemAttachmentStore(settings.attachments_path)
    inbound = None
    if settings.smtp_port is not None:
        size = settings.smtp_max_message_bytes
        inbound = EmailInboundConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            limits=EmailLimits(max_message_bytes=size, max_attachment_bytes=size),
            recipients=_csv(settings.smtp_recipients),
            max_bytes_per_sender_hour=settings.smtp_max_bytes_per_sender_hour,
        )
    relay = None
    if settings.relay_host:
        relay = SmtpRelayConfig(
            host=settings.relay_host,
            port=settings.relay_port,
            from_address=settings.relay_from,
            from_name="kefu 客服",
            username=settings.relay_username,
            password=settings.relay_password,
            starttls=settings.relay_starttls,
        )
    secrets = tuple(s.encode() for s in _csv(settings.webhook_secrets))
    webhook = WebhookConfig(secrets) if secrets else None
    outbound = (settings.outbound_secret or "").encode()
    sms = WebhookSenderConfig(settings.sms_url, outbound) if settings.sms_url else None
    social = WebhookSenderConfig(settings.social_url, outbound) if settings.social_url else None
    return ChannelServer(channels, uow_factory, store, inbound, relay, webhook, sms, social)
