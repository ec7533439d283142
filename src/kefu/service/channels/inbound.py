"""Rules for inbound messages, as plain functions of the router and the options: what a
message must hold, which queue a new contact of it goes to, and the text telling a new
waiting customer its place (in their language)."""

from __future__ import annotations

from collections.abc import Mapping

from kefu.domain.routing import Router
from kefu.service.channels.errors import MessageRefused, NoQueueForChannel
from kefu.service.channels.ports import Inbound
from kefu.service.channels.read_models import WaitInfo
from kefu.service.channels.texts import customer_plural, customer_text
from kefu.service.channels.types import ChannelOptions

__all__ = ["check_inbound", "queue_for", "wait_notice_text"]


def check_inbound(inbound: Inbound, options: ChannelOptions) -> None:
    """Refuse (:class:`MessageRefused`) a message without sender, id or content, or too
    long."""
    if not inbound.sender:
        raise MessageRefused("an inbound message needs a sender identifier")
    if not inbound.external_id.strip():
        raise MessageRefused("an inbound message needs its channel's message id")
    if len(inbound.text) > options.max_text_chars:
        raise MessageRefused(
            f"the message is longer than {options.max_text_chars} characters",
            limit=options.max_text_chars,
        )
    if not inbound.text.strip() and not inbound.attachments and not inbound.subject:
        raise MessageRefused("the message is empty")


def queue_for(
    router: Router,
    inbound: Inbound,
    options: ChannelOptions,
    routes: Mapping[str, str] | None = None,
) -> str | None:
    """The queue a new contact of this message goes to: its topic, the admin's ``routes``
    (recipient address → queue), then :class:`ChannelOptions`."""
    queues = router.queues
    channel = inbound.channel
    if inbound.topic is not None:
        record = queues.get(inbound.topic)
        if record is None or record.spec.channel is not channel:
            raise NoQueueForChannel(
                f"topic {inbound.topic!r} is not a {channel.value} queue",
                topic=inbound.topic,
            )
        return inbound.topic
    keys = (*(r.strip().lower() for r in inbound.recipients), channel.value)
    for mapping in (routes or {}, options.queues):
        for key in keys:
            queue_id = mapping.get(key)
            if queue_id is not None and queue_id in queues:
                return queue_id
    return next((q for q in sorted(queues) if queues[q].spec.channel is channel), None)


def wait_notice_text(info: WaitInfo, language: str) -> str:
    """The customer's place and predicted wait (``info`` from ``wait_info``) in
    ``language`` (a catalog name: the customer's, :mod:`kefu.service.channels.texts`)."""
    wait = info.estimated_wait_s
    place = {"position": info.position, "ahead": info.ahead}
    if wait is None:
        return customer_text(language, "wait_notice.no_estimate", **place)
    minutes = max(1, round(wait / 60))
    return customer_plural(language, "wait_notice.minutes", minutes, **place)
