"""How a survey's question reaches the customer: the conversation it goes to, its text (with
the signed link when there is one) and the message sent through that channel's reply
gateway once the command is stored; and what the public survey page shows for a link.

Used by :class:`~kefu.service.cases.surveys.SurveyWing`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kefu.domain.cases import Case
from kefu.domain.cases.surveys import NPS, Survey, scale
from kefu.domain.model import Channel
from kefu.i18n import catalogs
from kefu.service.cases.survey_commands import survey_text
from kefu.service.channels.ports import OutboundReply
from kefu.service.channels.service import ChannelService
from kefu.service.channels.types import ChannelUpdate
from kefu.service.transaction import Transaction

__all__ = [
    "SURVEY_AUTHOR",
    "SurveyPage",
    "ask_text",
    "case_conversation",
    "send_survey",
    "survey_page",
]

log = logging.getLogger("kefu.service.cases.surveys")
SURVEY_AUTHOR = "kefu"
"""The author of the surveys' messages."""
_TEXT_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.CHAT})


def case_conversation(channels: ChannelService, case: Case) -> str | None:
    """The conversation of the case's newest linked contact on a text channel, else
    the customer's newest such conversation."""
    state = channels.state
    gateways = channels.gateways
    usable = {ch for ch in _TEXT_CHANNELS if ch in gateways}

    def fits(conv_id: str | None) -> bool:
        if conv_id is None or conv_id not in state.routes:
            return False
        return state.conversation(conv_id).channel in usable

    for link in reversed(case.links):
        conv_id: str | None = link.target_id
        if link.kind in ("contact", "work_item"):
            conv_id = state.conversation_of.get(link.target_id)
        elif link.kind != "conversation":
            continue
        if fits(conv_id):
            return conv_id
    assert case.customer_id is not None
    live = state.directory.resolve(case.customer_id)
    refs = sorted(state.directory.timeline(live), key=lambda r: r.at, reverse=True)
    return next((r.conversation_id for r in refs if fits(r.conversation_id)), None)


def ask_text(token: str | None, link_base: str | None, language: str, kind: str = "csat") -> str:
    """The ``kind`` survey's question in ``language``, with its link when it has a token
    and a link base."""
    ask = "survey.ask_nps" if kind == NPS else "survey.ask"
    if token is None or link_base is None:
        return survey_text(ask, language)
    return survey_text(ask + "_link", language, link=f"{link_base.rstrip('/')}/{token}")


def send_survey(tx: Transaction, channels: ChannelService, conv_id: str, text: str) -> None:
    """Send ``text`` on the conversation's route once the command is stored. The
    conversation is usually closed by now (its contact ended), so the message is not
    filed in it (the survey's record stands for it). A chat is the chat's end screen: an
    open chat gets the message (the widget shows its link as a button), a closed one's
    status carries the link (:meth:`SurveyWing.chat_link`), refreshed now."""
    state = channels.state
    conv = state.conversation(conv_id)
    if conv.channel is Channel.CHAT:
        if conv.is_closed:
            channels.core.tell(tx, ChannelUpdate("survey", conv_id))
        else:
            channels.core.send_in(tx, conv_id, SURVEY_AUTHOR, text)
        return
    gateway = channels.gateways[conv.channel]
    out = OutboundReply(
        conv_id,
        state.routes[conv_id],
        text,
        gateway.new_external_id(),
        conv.thread_references(),
        SURVEY_AUTHOR,
    )

    async def deliver() -> None:
        try:
            await gateway.send(out)
        except Exception:
            log.warning("survey message %s could not be delivered", out.external_id)

    tx.then(lambda: channels.spawn(deliver()))


@dataclass(frozen=True, slots=True)
class SurveyPage:
    """What the public survey page shows for a link (nothing about the customer but the
    language of its record, ``None`` when not set): the survey's kind (``csat`` or
    ``nps``) and scale (lowest and highest score), the question in each language
    (language code, text), whether it was answered or expired, and when it expires (s)."""

    survey_id: str
    kind: str
    scale: tuple[int, int]
    question: tuple[tuple[str, str], ...]
    answered: bool
    expired: bool
    expires_at: float
    language: str | None = None

    def text(self, language: str) -> str:
        """The question in ``language`` (``en`` or ``zh_Hans``)."""
        return dict(self.question)[language]

    def to_json(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "kind": self.kind,
            "scale": list(self.scale),
            "question": dict(self.question),
            "answered": self.answered,
            "expired": self.expired,
            "expires_at": self.expires_at,
            "language": self.language,
        }


def survey_page(survey: Survey, now: float, language: str | None = None) -> SurveyPage:
    """The public survey page of ``survey`` at ``now`` (s); ``language`` that of the
    customer's record."""
    books = catalogs()
    key = "survey.question_nps" if survey.sent.kind == NPS else "survey.question"
    return SurveyPage(
        survey_id=survey.survey_id,
        kind=survey.sent.kind,
        scale=scale(survey.sent.kind),
        question=tuple((lang, books.get(lang).text(key)) for lang in ("en", "zh_Hans")),
        answered=survey.score is not None,
        expired=survey.sent.expires_at <= now,
        expires_at=survey.sent.expires_at,
        language=language,
    )
