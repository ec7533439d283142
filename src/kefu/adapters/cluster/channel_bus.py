"""The channel updates between kefu nodes: what the desktops and chat sockets of every web
node push (a message stored, a contact offered or closed, someone typing).

The leader's channel service tells its listeners of each stored change
(:class:`~kefu.service.channels.ChannelUpdate`); :class:`UpdatePublisher` publishes each
on the core NATS subject ``kefu.chan.<domain>``, in order. On a web node,
:class:`UpdateFollower` hears them: a stored change is a nudge — the node first reads the
store up to its end (its copy's events and channel records, ``sync``), then tells its own
listeners, so a socket pushes what the store holds, never what the bus said. A lost nudge
loses nothing stored: the next one, a command of the node, or the hubs' periodic refresh
reads the store again. Typing is not stored: a web node relays its customers' and agents'
typing on the same subject, and every node shows it as heard.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.client import Client as Nats
from nats.aio.msg import Msg

from kefu.adapters.cluster.publishing import QueuePublisher
from kefu.service.channels import ChannelService, ChannelUpdate

__all__ = ["UpdateFollower", "UpdatePublisher", "update_from_bytes", "update_subject"]

log = logging.getLogger(__name__)


def update_subject(domain: str) -> str:
    return f"kefu.chan.{domain}"


def update_to_bytes(update: ChannelUpdate) -> bytes:
    return json.dumps(dataclasses.asdict(update), ensure_ascii=False).encode()


def update_from_bytes(data: bytes) -> ChannelUpdate:
    """The update of ``data``; a ``ValueError``/``TypeError`` for anything else."""
    fields = json.loads(data)
    if not isinstance(fields, dict):
        raise TypeError("an update is an object")
    return ChannelUpdate(**fields)


class UpdatePublisher(QueuePublisher[ChannelUpdate]):
    """Publishes the stored changes of the leader's ``channels`` (see the module doc)."""

    def __init__(self, nats: Nats, channels: ChannelService, domain: str) -> None:
        super().__init__("kefu-update-publisher", "publishing a channel update failed")
        self.nats = nats
        self.channels = channels
        self.subject = update_subject(domain)

    def subscribe(self, listener: Callable[[ChannelUpdate], None]) -> Callable[[], None]:
        return self.channels.subscribe(listener)

    async def publish(self, item: ChannelUpdate) -> None:
        """Publish one update (web nodes read a failed one at their next sync)."""
        await self.nats.publish(self.subject, update_to_bytes(item))
        self.published += 1


class UpdateFollower:
    """A web node's side: hears ``domain``'s updates, reads the store (``sync``) before a
    stored one, and tells the node's ``channels`` listeners."""

    def __init__(
        self,
        nats: Nats,
        channels: ChannelService,
        domain: str,
        sync: Callable[[], Awaitable[Any]],
    ) -> None:
        self.nats = nats
        self.channels = channels
        self.subject = update_subject(domain)
        self.sync = sync
        self.heard = 0
        self._subscription: Any = None

    async def start(self) -> None:
        self._subscription = await self.nats.subscribe(self.subject, cb=self._on_message)

    async def stop(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await subscription.unsubscribe()

    async def relay(self, update: ChannelUpdate) -> None:
        """Send an update that is not stored (typing) to every node, this one too."""
        await self.nats.publish(self.subject, update_to_bytes(update))

    async def _on_message(self, msg: Msg) -> None:
        try:
            update = update_from_bytes(msg.data)
        except (ValueError, TypeError):
            log.warning("a channel update that is not one; ignored")
            return
        self.heard += 1
        if update.kind != "typing":
            try:
                await self.sync()
            except Exception:
                log.exception("the store cannot be read; the update waits for the next sync")
                return
        self.channels.notify(update)
