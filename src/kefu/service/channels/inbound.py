"""Rules for inbound messages, as plain functions of the router and the options: what a
message must hold, which queue a new contact of it goes to, and the text telling a new
waiting customer its place."""

from __future__ import annotations

from kefu.domain.routing import Router
from kefu.service.channels.errors import MessageRefused, NoQueueForChannel
from kefu.service.channels.ports import Inbound
from kefu.service.channels.read_models import WaitInfo
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


def queue_for(router: Router, inbound: Inbound, options: ChannelOptions) -> str | None:
    """The queue a new contact of this message goes to (see :class:`ChannelOptions`)."""
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
    mapping = options.queues
    for key in (*(r.strip().lower() for r in inbound.recipients), channel.value):
        queue_id = mapping.get(key)
        if queue_id is not None and queue_id in queues:
            return queue_id
    return next((q for q in sorted(queues) if queues[q].spec.channel is channel), None)


def wait_notice_text(info: WaitInfo) -> str:
    """The customer's place and predicted wait (``info`` from ``wait_info``), in Chinese
    and English."""
    wait = info.estimated_wait_s
    minutes = None if wait is None else max(1, round(wait / 60))
    if minutes is None:
        return (
            f"您前面还有 {info.ahead} 位，客服上线后将尽快回复您。"
            f" You are number {info.position}; we will answer as soon as an agent is free."
        )
    return (
        f"您前面还有 {info.ahead} 位，预计等待约 {minutes} 分钟。"
        f" You are number {info.position}, about {minutes} minute"
        f"{'' if minutes == 1 else 's'}."
    )
