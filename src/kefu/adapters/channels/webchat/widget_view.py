"""What a chat widget's settings (:class:`~kefu.service.channels.widget.WidgetBook`)
change in a ``welcome``: the pre-chat topics and the widget's look, read at each
``hello`` so a change shows at the next connection without a restart."""

from __future__ import annotations

from typing import Any

from kefu.adapters.channels.webchat.frames import Topic
from kefu.adapters.channels.webchat.inbound import FLOW_TOPIC as FLOW_PREFIX
from kefu.service import RoutingEngine
from kefu.service.channels import WidgetBook

__all__ = ["WidgetBook", "widget_welcome"]


def widget_welcome(
    book: WidgetBook | None,
    engine: RoutingEngine,
    offered: list[Topic],
    language: str,
    site_id: str | None = None,
) -> tuple[list[Topic], dict[str, Any] | None]:
    """The topics to offer (labelled in ``language``) and the look of ``site_id``'s widget
    (its own settings, else the default widget's; its greeting in both languages: the
    widget switches language without reconnecting).

    ``offered``: the topics offered without settings (the site's chat queues, its flow
    first). Set topics replace them, keeping only the queues the site may use and the
    flows still published. ``staffed``
    says whether an agent is logged in for a queue offered (a flow always answers), so
    the widget shows its offline form (or says nobody is there) otherwise."""
    if book is None:
        return offered, None
    widget = book.of(site_id)
    lang = "zh" if language.startswith("zh") else "en"
    topics = offered
    if widget.topics:
        visible = {t.id for t in offered if not t.id.startswith(FLOW_PREFIX)}
        topics = [
            Topic(t.target, t.labels[lang])
            for t in widget.topics
            if t.target in visible
            or (t.target.startswith(FLOW_PREFIX) and book.flow_known(t.target[len(FLOW_PREFIX) :]))
        ]
    staffed = any(
        t.id.startswith(FLOW_PREFIX) or engine.router.queues[t.id].buckets[0].staffed > 0
        for t in topics
    )
    look = {
        "greeting": dict(widget.greeting),
        "colour": widget.colour,
        "offline_form": widget.offline_form,
        "staffed": staffed,
    }
    return topics, look
