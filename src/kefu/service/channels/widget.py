"""The chat widgets' settings as data an admin changes, one widget per site: the greeting
(English and Chinese), the accent colour, the pre-chat topics (each a chat queue or an IVR
flow, with its label in both languages) and whether the offline form is offered.

A change is the command :class:`SetChatWidget`; its handler checks everything before
anything changes, records the settings in the ``widget`` stream of the channel log and in
the audit log (who, when, before and after). :class:`WidgetBook` is a part of the engine's
transaction: loading replays the stream, so a restart serves the same widgets, and the
chat gateway reads the settings of the chat's site at each ``hello`` (no restart).

``site_id`` ``None`` is the default widget: the chat without a site, and every site without
settings of its own. Records written before widgets had sites carry no ``site_id``: they
are the default widget's (the stored shape only grew). Without settings (or with no
topics) a widget offers every chat queue of its site, as before settings existed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kefu.domain.errors import ValidationError as DomainValidationError
from kefu.domain.model import Channel
from kefu.service.channels.ports import ChannelRecord
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.routing.views import queue_site
from kefu.service.transaction import Handler, Transaction

__all__ = [
    "DEFAULT_COLOUR",
    "FLOW_PREFIX",
    "WIDGET_STREAM",
    "ChatWidget",
    "SetChatWidget",
    "WidgetBook",
    "WidgetTopic",
]

WIDGET_STREAM = "widget"
FLOW_PREFIX = "flow:"
"""A topic target naming an IVR flow (``flow:bank``) rather than a chat queue."""
DEFAULT_COLOUR = "#1f6feb"
MAX_GREETING = 500
"""The longest greeting per language (characters)."""
MAX_LABEL = 64
MAX_TOPICS = 20
LANGUAGES = ("en", "zh")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

Log = Callable[[float, str, str, str, dict[str, Any]], None]
FlowKnown = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class WidgetTopic:
    """A pre-chat topic: ``target`` (a chat queue id or ``flow:<id>``) and its label per
    language."""

    target: str
    labels: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "labels": dict(self.labels)}


@dataclass(frozen=True, slots=True)
class ChatWidget:
    """The widget's settings; ``topics`` empty: every chat queue of the widget's site."""

    greeting: Mapping[str, str] = field(default_factory=lambda: {"en": "", "zh": ""})
    colour: str = DEFAULT_COLOUR
    topics: tuple[WidgetTopic, ...] = ()
    offline_form: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "greeting": dict(self.greeting),
            "colour": self.colour,
            "topics": [t.to_json() for t in self.topics],
            "offline_form": self.offline_form,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatWidget:
        return cls(
            dict(data["greeting"]),
            str(data["colour"]),
            tuple(WidgetTopic(t["target"], dict(t["labels"])) for t in data["topics"]),
            bool(data["offline_form"]),
        )


@dataclass(frozen=True, slots=True)
class SetChatWidget(Command):
    """Replace the settings of ``site_id``'s widget (``None``: the default widget).
    ``topics``: (target, English label, Chinese label) each; a target is a chat queue id
    (of the site, owned or shared, when the widget has one) or ``flow:<id>`` of a
    published flow."""

    greeting_en: str
    greeting_zh: str
    colour: str
    topics: tuple[tuple[str, str, str], ...]
    offline_form: bool
    site_id: str | None = None


def _refuse(message: str, key: str, **details: Any) -> DomainValidationError:
    return DomainValidationError(message, text_key=key, **details)


def _checked(tx: Transaction, cmd: SetChatWidget, flow_known: FlowKnown) -> ChatWidget:
    """The settings the command sets, or the first reason it is refused."""
    if cmd.site_id is not None and cmd.site_id not in tx.sites:
        raise _refuse(
            f"unknown site {cmd.site_id[:64]!r}",
            "error.widget_site",
            field="site_id",
            site_id=cmd.site_id[:64],
        )
    greeting = {"en": cmd.greeting_en.strip(), "zh": cmd.greeting_zh.strip()}
    for lang, text in greeting.items():
        if len(text) > MAX_GREETING:
            raise _refuse(
                f"the {lang} greeting has more than {MAX_GREETING} characters",
                "error.widget_greeting",
                field=f"greeting_{lang}",
                limit=MAX_GREETING,
            )
    if not _COLOUR.match(cmd.colour):
        raise _refuse("the colour must be written #rrggbb", "error.widget_colour", field="colour")
    if len(cmd.topics) > MAX_TOPICS:
        raise _refuse(
            f"at most {MAX_TOPICS} topics", "error.widget_topics", field="topics", limit=MAX_TOPICS
        )
    topics: list[WidgetTopic] = []
    for target, label_en, label_zh in cmd.topics:
        target = target.strip()
        _check_target(tx, target, flow_known, cmd.site_id)
        labels = {"en": label_en.strip(), "zh": label_zh.strip()}
        if any(not text or len(text) > MAX_LABEL for text in labels.values()):
            raise _refuse(
                f"topic {target[:64]}: each label must have 1 to {MAX_LABEL} characters",
                "error.widget_label",
                field="topics",
                target=target[:64],
                limit=MAX_LABEL,
            )
        if any(t.target == target for t in topics):
            raise _refuse(
                f"topic {target[:64]} is given twice",
                "error.widget_topic_twice",
                field="topics",
                target=target[:64],
            )
        topics.append(WidgetTopic(target, labels))
    return ChatWidget(greeting, cmd.colour.lower(), tuple(topics), cmd.offline_form)


def _check_target(tx: Transaction, target: str, flow_known: FlowKnown, site_id: str | None) -> None:
    if target.startswith(FLOW_PREFIX):
        if not flow_known(target[len(FLOW_PREFIX) :]):
            raise _refuse(
                f"no published flow {target[:64]!r}",
                "error.widget_flow",
                field="topics",
                target=target[:64],
            )
        return
    queue = tx.router.queues.get(target)
    if queue is None or queue.spec.channel is not Channel.CHAT:
        raise _refuse(
            f"{target[:64]!r} is not a chat queue",
            "error.widget_queue",
            field="topics",
            target=target[:64],
        )
    if site_id is not None:
        owner, shared = queue_site(tx.engine, target)
        if owner != site_id and not shared:
            raise _refuse(
                f"{target[:64]!r} is not a chat queue of site {site_id[:64]!r}",
                "error.widget_queue_site",
                field="topics",
                target=target[:64],
                site_id=site_id[:64],
            )


class WidgetBook:
    """The widgets' settings by site (``None``: the default widget): the last of each in
    the ``widget`` stream of the channel log (``log_record``)."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self.widgets: dict[str | None, ChatWidget] = {}
        """The settings set, by site id (``None``: the default widget)."""
        self.flow_known: FlowKnown = lambda _flow: False
        """Whether a flow id is published (set by the wiring once the IVR exists)."""

    @property
    def current(self) -> ChatWidget:
        """The default widget's settings."""
        return self.of(None)

    def of(self, site_id: str | None) -> ChatWidget:
        """The settings of ``site_id``'s widget: its own, else the default widget's."""
        found = self.widgets.get(site_id)
        if found is None:
            found = self.widgets.get(None, ChatWidget())
        return found

    def handlers(self) -> dict[type[Command], Handler]:
        return {SetChatWidget: self.set}

    async def set(self, tx: Transaction, cmd: SetChatWidget) -> dict[str, Any]:
        widget = _checked(tx, cmd, self.flow_known)
        site = cmd.site_id
        before = self.of(site)  # what the site's widget showed until now
        self.widgets[site] = widget
        data = {**widget.to_json(), "site_id": site}
        key = site if site is not None else "chat"
        self._log(tx.now, WIDGET_STREAM, "set", key, data)
        tx.audit("widget.update", "widget", key, site, {**before.to_json(), "site_id": site}, data)
        return data

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == WIDGET_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Each recorded setting in ``seq`` order (the last of a site wins; a record without
        ``site_id`` is the default widget's)."""
        self.widgets = {}
        for record in records:
            self.widgets[record.data.get("site_id")] = ChatWidget.from_json(record.data)

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # the settings need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
