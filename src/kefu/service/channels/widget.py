"""The chat widget's settings as data an admin changes: the greeting (English and
Chinese), the accent colour, the pre-chat topics (each a chat queue or an IVR flow, with
its label in both languages) and whether the offline form is offered.

A change is the command :class:`SetChatWidget`; its handler checks everything before
anything changes, records the settings in the ``widget`` stream of the channel log and in
the audit log (who, when, before and after). :class:`WidgetBook` is a part of the engine's
transaction: loading replays the stream, so a restart serves the same widget, and the
chat gateway reads the current settings at each ``hello`` (no restart).

Without settings (or with no topics) the widget offers every chat queue of its site, as
before settings existed.
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
    """Replace the widget's settings. ``topics``: (target, English label, Chinese label)
    each; a target is a chat queue id or ``flow:<id>`` of a published flow."""

    greeting_en: str
    greeting_zh: str
    colour: str
    topics: tuple[tuple[str, str, str], ...]
    offline_form: bool


def _refuse(message: str, key: str, **details: Any) -> DomainValidationError:
    return DomainValidationError(message, text_key=key, **details)


def _checked(tx: Transaction, cmd: SetChatWidget, flow_known: FlowKnown) -> ChatWidget:
    """The settings the command sets, or the first reason it is refused."""
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
        _check_target(tx, target, flow_known)
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


def _check_target(tx: Transaction, target: str, flow_known: FlowKnown) -> None:
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


class WidgetBook:
    """The widget's settings: the defaults, then the last of the ``widget`` stream of the
    channel log (``log_record``)."""

    def __init__(self, log_record: Log) -> None:
        self._log = log_record
        self.current = ChatWidget()
        self.flow_known: FlowKnown = lambda _flow: False
        """Whether a flow id is published (set by the wiring once the IVR exists)."""

    def handlers(self) -> dict[type[Command], Handler]:
        return {SetChatWidget: self.set}

    async def set(self, tx: Transaction, cmd: SetChatWidget) -> dict[str, Any]:
        widget = _checked(tx, cmd, self.flow_known)
        before = self.current
        self.current = widget
        data = widget.to_json()
        self._log(tx.now, WIDGET_STREAM, "set", "chat", data)
        tx.audit("widget.update", "widget", "chat", None, before.to_json(), data)
        return data

    # -- the state part ------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == WIDGET_STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """The defaults, then each recorded setting in ``seq`` order (the last wins)."""
        self.current = ChatWidget()
        for record in records:
            self.current = ChatWidget.from_json(record.data)

    def reconcile(self, router: Any, now: float) -> None:
        del router, now  # the settings need no reconciling with the router

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's
