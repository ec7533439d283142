"""Follow-up surveys over the case wing and the channels (seed 002's after-sales follow-up).

When a case is resolved or closed (:attr:`SurveyOptions.on_case_states`), or a contact of a
chosen queue wraps up (:attr:`SurveyOptions.wrap_up_queues`), the customer gets one short
question, CSAT (1–5) or NPS (0–10) by the queue or case type
(:meth:`SurveyOptions.kind_of`), and a comment, in the conversation they used, through that
channel's reply gateway (SMS, e-mail, chat), in Chinese and English from the catalogs.
Everything happens in the transaction of the command that closed the case or wrapped up the
contact: the survey is recorded (:class:`~kefu.domain.cases.surveys.SurveySent`, in the
channel log) and its message leaves through the gateway once the record is stored (the
conversation is usually closed by then, so the message is not filed in it; a failed delivery
is logged, not retried; :mod:`kefu.service.cases.survey_delivery`). A restart replays the
record, so a subject is surveyed at most once; a customer who opted out, or was surveyed
within the quiet period, is skipped (recorded too).

The customer's answer comes back as an ordinary inbound message: before it would become a
new contact, :class:`SurveyIntake` reads a score of the survey's scale (``"4"``,
``"2 还是没解决"``, ``"9"``) or an opt-out (``STOP``, ``退订``) for the customer's open survey
on that channel. The answer is recorded on the survey, as an internal note on the case, and on the
customer's timeline; a low score (CSAT ≤ 2, NPS ≤ 6 by default:
:attr:`SurveyOptions.low_scores`) reopens a resolved case, or opens a complaint case linked
to the first (:attr:`SurveyOptions.low_score`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from kefu.domain.cases import Case, CaseState
from kefu.domain.cases.errors import UnknownSurvey
from kefu.domain.cases.surveys import (
    CODEC,
    OPT_OUT,
    Answer,
    Survey,
    SurveyBook,
    SurveySent,
    is_low,
    parse_answer,
)
from kefu.domain.errors import KefuError
from kefu.domain.routing import Router
from kefu.service.cases.commands import AddCaseNote, LinkToCase, MoveCase, OpenCase
from kefu.service.cases.survey_commands import (
    AnswerSurvey,
    SetSurveyConsent,
    SurveyOptions,
    SurveyView,
    survey_text,
)
from kefu.service.cases.survey_delivery import (
    SURVEY_AUTHOR,
    SurveyPage,
    ask_text,
    case_conversation,
    send_survey,
    survey_page,
)
from kefu.service.cases.survey_tokens import read_survey_token, survey_token
from kefu.service.cases.wing import CaseWing
from kefu.service.channels.handlers import Intake
from kefu.service.channels.ports import ChannelRecord, Inbound
from kefu.service.channels.service import ChannelService
from kefu.service.channels.texts import customer_language
from kefu.service.commands import Command
from kefu.service.ports import UnitOfWork
from kefu.service.routing import views
from kefu.service.transaction import Handler, Transaction

__all__ = ["STREAM", "SurveyIntake", "SurveyWing"]

log = logging.getLogger(__name__)
STREAM = "survey"


class SurveyWing:
    """The surveys' handlers and state part over the case wing ``cases``; wired by
    :func:`kefu.bootstrap.survey_wing`."""

    def __init__(self, cases: CaseWing, options: SurveyOptions | None = None) -> None:
        self.cases = cases
        self.channels: ChannelService = cases.channels
        self.engine = cases.engine
        self.state = self.channels.state
        self.options = options or SurveyOptions()
        self.book = SurveyBook()
        self._logged = 0
        self.answered: list[Callable[[str, float], object]] = []
        """Called with the customer id and the instant in the transaction of each answer
        (the customer's segment)."""
        self.secret_key: str | None = None
        """Signs the survey links (:mod:`kefu.service.cases.survey_tokens`); set by the
        wiring. With :attr:`SurveyOptions.link_base`, messages carry the link."""

    def handlers(self) -> dict[type[Command], Handler]:
        return {AnswerSurvey: self.answer_command, SetSurveyConsent: self.set_consent}

    # -- triggers (run in the transaction of the case move / the wrap-up) ------------------
    async def case_moved(self, tx: Transaction, case: Case) -> None:
        if case.state.value not in self.options.on_case_states or case.customer_id is None:
            return
        subject = f"case:{case.case_id}"
        if self.book.decided(subject):
            return
        conv_id = case_conversation(self.channels, case)
        contact_id = None if conv_id is None else self.state.contact_of.get(conv_id)
        queue_id = agent_id = None
        contact = tx.router.contacts.get(contact_id) if contact_id else None
        if contact is not None:
            queue_id, agent_id = contact.queue_id, contact.agent_id
        if case.owner_kind == "agent":
            agent_id = case.owner_id
        topic = None if contact is None else contact.attributes.get("topic")
        self._survey(
            tx,
            subject,
            case.customer_id,
            conv_id,
            site_id=case.site_id,
            queue_id=queue_id,
            agent_id=agent_id,
            case_id=case.case_id,
            case_type=case.case_type,
            contact_id=contact_id,
            kind=self.options.kind_of(queue_id, case.case_type),
            topic=str(topic) if topic else case.case_type,
        )

    async def wrapped_up(self, tx: Transaction, contact_id: str) -> None:
        contact = tx.router.contacts.get(contact_id)
        if contact is None or contact.queue_id not in self.options.wrap_up_queues:
            return
        subject = f"contact:{contact_id}"
        conv_id = self.state.conversation_of.get(contact_id)
        customer_id = contact.customer_id
        if self.book.decided(subject) or customer_id is None:
            return
        site_id, _shared = views.queue_site(tx.engine, contact.queue_id)
        topic = contact.attributes.get("topic")
        self._survey(
            tx,
            subject,
            customer_id,
            conv_id,
            site_id=site_id,
            queue_id=contact.queue_id,
            agent_id=contact.agent_id,
            case_id=None,
            case_type=None,
            contact_id=contact_id,
            kind=self.options.kind_of(contact.queue_id, None),
            topic=str(topic) if topic else None,
        )

    def _survey(
        self,
        tx: Transaction,
        subject: str,
        customer_id: str,
        conv_id: str | None,
        **about: Any,
    ) -> None:
        directory = self.state.directory
        live = directory.resolve(customer_id)
        ids = directory.identities(live)
        try:
            reason = self.book.skip_reason(ids, tx.now, self.options.quiet_period_s)
            gateways = self.channels.gateways
            if reason is None and (
                conv_id is None or self.state.conversation(conv_id).channel not in gateways
            ):
                reason = "no_channel"
            if reason is None and conv_id is not None:
                # The customer's consent to be contacted on the survey's channel.
                channel = self.state.conversation(conv_id).channel.value
                if not directory.profiles.details(live).consent.allows(channel):
                    reason = f"no_{channel}_consent"
            if reason is not None:
                self.book.skip(tx.now, subject, live, reason)
                return
            assert conv_id is not None
            conv = self.state.conversation(conv_id)
            survey_id = f"s{len(self.book.surveys) + 1}"
            kind = about["kind"]
            self.book.send(
                SurveySent(
                    tx.now,
                    survey_id,
                    subject,
                    live,
                    conv.channel.value,
                    conv_id,
                    expires_at=tx.now + self.options.valid_s,
                    **about,
                )
            )
            send_survey(
                tx,
                self.channels,
                conv_id,
                ask_text(
                    self.link_token(survey_id), self.options.link_base, self.language(live), kind
                ),
            )
        finally:
            self.sync()

    def language(self, customer_id: str) -> str:
        """The catalog language of the texts sent to ``customer_id``."""
        channels = self.channels
        return customer_language(channels.state, customer_id, channels.options.language)

    def link_token(self, survey_id: str) -> str | None:
        """The signed link token of the survey (``None`` without a secret key)."""
        if self.secret_key is None:
            return None
        return survey_token(self.secret_key, survey_id, self.book.get(survey_id).sent.expires_at)

    def chat_link(self, conv_id: str) -> str | None:
        """The link of the open survey sent in the chat ``conv_id`` (``None``: none, or
        links are off); read under the engine's lock by the chat's status."""
        survey_id = self.book.by_conversation.get(conv_id)
        base = self.options.link_base
        if survey_id is None or base is None or self.secret_key is None:
            return None
        survey = self.book.surveys[survey_id]
        if survey.score is not None or survey.sent.expires_at <= self.engine.now():
            return None
        return f"{base.rstrip('/')}/{self.link_token(survey_id)}"

    def by_token(self, token: str, now: float) -> SurveyPage:
        """What the public survey page shows for a link (nothing about the customer but
        the language of their record, ``None`` when not set);
        :class:`~kefu.domain.cases.errors.UnknownSurvey` for a link that does not hold."""
        if self.secret_key is None:
            raise UnknownSurvey(
                "survey links are off", text_key="error.unknown_survey", survey_id=""
            )
        survey = self.book.get(read_survey_token(self.secret_key, self.book, token))
        language = self.state.directory.profiles.details(survey.sent.customer_id).language
        return survey_page(survey, now, language or None)

    # -- answers --------------------------------------------------------------------------
    async def take_message(
        self, tx: Transaction, inbound: Inbound, customer_id: str, conv_id: str
    ) -> bool:
        """Whether ``inbound`` answered the customer's open survey on its channel (or
        opted out); the message stays filed in its conversation, which is closed."""
        directory = self.state.directory
        ids = directory.identities(directory.resolve(customer_id))
        survey = self.book.pending(ids, inbound.channel.value, tx.now)
        if survey is None:
            return False
        parsed = parse_answer(inbound.text, survey.sent.kind)
        if parsed is None:
            return False
        if parsed == OPT_OUT:
            await self.set_consent(
                tx, SetSurveyConsent(survey.sent.customer_id, False, by="customer", reason="reply")
            )
            reply = survey_text("survey.opted_out", self.language(customer_id))
        else:
            assert isinstance(parsed, Answer)
            await self._answer(tx, survey, parsed.score, parsed.comment, inbound.channel.value)
            reply = survey_text("survey.thanks", self.language(customer_id))
        self.channels.core.send_in(tx, conv_id, SURVEY_AUTHOR, reply)
        self.state.close(conv_id, tx.now, "survey")
        return True

    async def answer_command(self, tx: Transaction, cmd: AnswerSurvey) -> SurveyView:
        survey = await self._answer(
            tx, self.book.get(cmd.survey_id), cmd.score, cmd.comment, cmd.channel
        )
        return SurveyView(survey)

    async def _answer(
        self, tx: Transaction, survey: Survey, score: int, comment: str, channel: str
    ) -> Survey:
        # Checked before the follow-up changes anything.
        self.book.answer(survey.survey_id, score, comment, tx.now, channel=channel, dry_run=True)
        follow_up = None
        if is_low(survey.sent.kind, score, self.options.low_scores):
            try:
                follow_up = await self._follow_up(tx, survey, score)
            except KefuError as exc:
                # The case commands refuse before they change anything: the answer is
                # kept (the customer's message is not lost), the failure on record.
                log.warning("survey %s: no follow-up (%s)", survey.survey_id, exc)
                follow_up = f"failed:{exc.error_id}"
        sent = survey.sent
        if sent.case_id is not None:
            top = 10 if survey.sent.kind == "nps" else 5
            label = f"survey {survey.survey_id} ({survey.sent.kind.upper()})"
            text = f"{label}: {score}/{top}" + (f" — {comment}" if comment else "")
            await tx.dispatch(AddCaseNote(sent.case_id, text[:2000], by="survey"))
        try:
            done = self.book.answer(
                survey.survey_id, score, comment, tx.now, channel=channel, follow_up=follow_up
            )
        finally:
            self.sync()
        for hook in self.answered:
            hook(sent.customer_id, tx.now)
        return done

    async def _follow_up(self, tx: Transaction, survey: Survey, score: int) -> str:
        sent = survey.sent
        reason = f"survey score {score}"
        case = self.cases.store.book.cases.get(sent.case_id or "")
        if (
            case is not None
            and self.options.low_score == "reopen"
            and case.state is CaseState.RESOLVED
        ):
            await tx.dispatch(MoveCase(case.case_id, "reopened", by="survey", reason=reason))
            return f"reopened:{case.case_id}"
        site_id = case.site_id if case is not None else sent.site_id
        title = f"{reason}: " + (case.title if case is not None else f"contact {sent.contact_id}")
        opened: Case = await tx.dispatch(
            OpenCase(
                self.options.complaint_type,
                title[:200],
                by="survey",
                site_id=site_id,
                customer_id=sent.customer_id,
                value_tier=None if case is None else case.value_tier,
            )
        )
        if case is not None:
            await tx.dispatch(LinkToCase(opened.case_id, "case", case.case_id, by="survey"))
        return f"complaint:{opened.case_id}"

    async def set_consent(self, tx: Transaction, cmd: SetSurveyConsent) -> bool:
        live = self.state.directory.resolve(cmd.customer_id)  # UnknownCustomer: 404
        try:
            return self.book.consent(live, cmd.allowed, tx.now, by=cmd.by, reason=cmd.reason)
        finally:
            self.sync()

    # -- the state part -------------------------------------------------------------------
    def sync(self) -> None:
        """Log the book's events made since the last call (also after a failure half-way,
        so memory and log agree)."""
        new = self.book.log[self._logged :]
        self._logged = len(self.book.log)
        for event in new:
            data = CODEC.to_dict(event)
            subject = str(data.get("survey_id") or data.get("subject") or data.get("customer_id"))
            self.state.log(event.at, STREAM, data["type"], subject, data)

    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        return [r for r in uow.channels.read() if r.stream == STREAM]

    def load(self, records: Iterable[ChannelRecord]) -> None:
        events = [CODEC.from_dict(dict(r.data)) for r in records]
        self.book = SurveyBook.replay(events)
        self.book.log = list(events)
        self._logged = len(events)

    def reconcile(self, router: Router, now: float) -> None:
        del router, now

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        return []  # the records go with the channel log's


class SurveyIntake:
    """The channels' intake: a survey answer is taken first, anything else goes to the
    intake before it (the IVR), if any."""

    def __init__(self, wing: SurveyWing, inner: Intake | None) -> None:
        self.wing = wing
        self.inner = inner

    def screen(self, inbound: Inbound) -> Inbound:
        return inbound if self.inner is None else self.inner.screen(inbound)

    async def take(
        self, tx: Transaction, inbound: Inbound, customer_id: str, conv_id: str, new: bool
    ) -> bool:
        if await self.wing.take_message(tx, inbound, customer_id, conv_id):
            return True
        return self.inner is not None and await self.inner.take(
            tx, inbound, customer_id, conv_id, new
        )
