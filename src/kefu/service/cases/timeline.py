"""The customer's timeline across channels: each contact on every channel (with the queues
it went through and its IVR path), each case's opening and state changes, each case note,
each follow-up survey and each case notice sent to the customer, newest first, as frozen
dataclasses. Built under the engine's lock; their ``to_json`` is what
``GET /api/v1/customers/{id}/timeline`` answers (the keys and their order are its
contract, tested byte for byte). Instants are seconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kefu.analytics.archive import ArchivedContact
from kefu.domain.cases.surveys import SurveyBook
from kefu.service.cases.notices import CaseNotice
from kefu.service.cases.store import CaseStore
from kefu.service.channels.customer_access import check_customer
from kefu.service.channels.state import ChannelState
from kefu.service.channels.views import recording_state
from kefu.service.engine import RoutingEngine
from kefu.service.engine_state import EngineState
from kefu.service.security.access import Principal, sees_site

__all__ = [
    "CaseItem",
    "CaseNoteItem",
    "ContactItem",
    "CustomerTimeline",
    "NoticeItem",
    "SurveyItem",
    "TimelineItem",
    "customer_timeline",
    "read_customer_timeline",
]


@dataclass(frozen=True, slots=True)
class ContactItem:
    """A contact of the customer: its state, the queues it went through (``queues``, and
    their names as people read them, ``queue_names``: the id when a queue has none), its
    IVR path (the ``ivr.path`` attribute the IVR hands over), its case, and its call
    recording (``kept``: playable; why it was deleted, ``retention``; None: none)."""

    kind: ClassVar[str] = "contact"
    at: float
    contact_id: str
    channel: str
    queue_id: str
    state: str
    queues: tuple[str, ...]
    queue_names: tuple[str, ...]
    agent_id: str | None
    ivr_path: tuple[str, ...]
    case_id: str | None
    recording: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "contact_id": self.contact_id,
            "channel": self.channel,
            "queue_id": self.queue_id,
            "state": self.state,
            "queues": list(self.queues),
            "queue_names": list(self.queue_names),
            "agent_id": self.agent_id,
            "ivr_path": list(self.ivr_path),
            "case_id": self.case_id,
            "recording": self.recording,
        }


@dataclass(frozen=True, slots=True)
class CaseItem:
    """A case of the customer entering ``state`` (its opening, then each change)."""

    kind: ClassVar[str] = "case"
    at: float
    case_id: str
    case_type: str
    title: str
    state: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "case_id": self.case_id,
            "case_type": self.case_type,
            "title": self.title,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class CaseNoteItem:
    """A note on a case of the customer."""

    kind: ClassVar[str] = "note"
    at: float
    case_id: str
    author: str
    text: str
    internal: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "case_id": self.case_id,
            "author": self.author,
            "text": self.text,
            "internal": self.internal,
        }


@dataclass(frozen=True, slots=True)
class SurveyItem:
    """A follow-up survey sent to the customer (``at``: when answered, else when sent),
    its kind (``survey_kind``: ``csat``, scored 1–5, or ``nps``, 0–10) and its score once
    answered."""

    kind: ClassVar[str] = "survey"
    at: float
    survey_id: str
    site_id: str | None
    case_id: str | None
    contact_id: str | None
    channel: str
    survey_kind: str
    score: int | None
    comment: str
    follow_up: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "survey_id": self.survey_id,
            "site_id": self.site_id,
            "case_id": self.case_id,
            "contact_id": self.contact_id,
            "channel": self.channel,
            "survey_kind": self.survey_kind,
            "score": self.score,
            "comment": self.comment,
            "follow_up": self.follow_up,
        }


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """A notice of a case sent to the customer (``event``: opened, resolved, ...) and the
    channel it went by."""

    kind: ClassVar[str] = "notice"
    at: float
    case_id: str
    event: str
    channel: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "case_id": self.case_id,
            "event": self.event,
            "channel": self.channel,
        }


TimelineItem = ContactItem | CaseItem | CaseNoteItem | SurveyItem | NoticeItem


@dataclass(frozen=True, slots=True)
class CustomerTimeline:
    """The (live) customer's timeline as a caller sees it."""

    customer_id: str
    items: tuple[TimelineItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "items": [i.to_json() for i in self.items]}


def customer_timeline(
    engine: EngineState,
    state: ChannelState,
    store: CaseStore,
    customer_id: str,
    *,
    limit: int = 200,
    surveys: SurveyBook | None = None,
    notices: Iterable[CaseNotice] = (),
    archived: Mapping[str, ArchivedContact] | None = None,
) -> list[TimelineItem]:
    """Everything of the (live) customer, newest first, at most ``limit`` items; the
    ``notices`` sent (of every customer: those of this one are picked) are items too, and
    the contacts the router has forgotten are those of ``archived`` (the store's record)."""
    ids = set(state.directory.identities(customer_id))
    items: list[TimelineItem] = []
    for ref in state.directory.timeline(customer_id):
        contact = engine.router.contacts.get(ref.contact_id)
        if contact is None:
            kept = (archived or {}).get(ref.contact_id)
            if kept is not None:
                items.append(_archived_item(engine, kept))
            continue
        attrs = contact.attributes
        items.append(
            ContactItem(
                at=contact.first_queued_at,
                contact_id=contact.contact_id,
                channel=contact.channel.value,
                queue_id=contact.queue_id,
                state=contact.state.value,
                queues=tuple(contact.path),
                queue_names=tuple(_queue_name(engine, q) for q in contact.path),
                agent_id=contact.agent_id,
                ivr_path=tuple(p for p in str(attrs.get("ivr.path", "")).split(">") if p),
                case_id=attrs.get("case_id"),
                recording=recording_state(attrs),
            )
        )
    for case in store.book.cases.values():
        if case.customer_id not in ids:
            continue
        for at, case_state in case.history:
            items.append(CaseItem(at, case.case_id, case.case_type, case.title, case_state.value))
        for note in case.notes:
            items.append(CaseNoteItem(note.at, case.case_id, note.author, note.text, note.internal))
    for survey in () if surveys is None else surveys.surveys.values():
        sent = survey.sent
        if sent.customer_id in ids:
            items.append(
                SurveyItem(
                    at=survey.answered_at or sent.at,
                    survey_id=sent.survey_id,
                    site_id=sent.site_id,
                    case_id=sent.case_id,
                    contact_id=sent.contact_id,
                    channel=sent.channel,
                    survey_kind=sent.kind,
                    score=survey.score,
                    comment=survey.comment,
                    follow_up=survey.follow_up,
                )
            )
    for notice in notices:
        if notice.customer_id in ids and notice.status == "sent":
            items.append(NoticeItem(notice.at, notice.case_id, notice.event, notice.channel))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _archived_item(engine: EngineState, kept: ArchivedContact) -> ContactItem:
    """A forgotten contact as the store keeps it: no IVR path or case (the visits do not
    hold them); completed when its last visit was answered, else abandoned."""
    return ContactItem(
        at=kept.queued_at,
        contact_id=kept.contact_id,
        channel=kept.channel,
        queue_id=kept.queue_id,
        state="completed" if kept.outcome == "answered" else "abandoned",
        queues=kept.queues,
        queue_names=tuple(_queue_name(engine, q) for q in kept.queues),
        agent_id=kept.agent_id,
        ivr_path=(),
        case_id=None,
        recording=kept.recording_state,
    )


def _queue_name(engine: EngineState, queue_id: str) -> str:
    """The queue's name as people read it (its id when it has none or is gone)."""
    queue = engine.router.queues.get(queue_id)
    return (queue.spec.name or queue_id) if queue is not None else queue_id


def _sees(store: CaseStore, user: Principal, item: TimelineItem) -> bool:
    """Contacts show (the customer check covers them); case items (notices too) of another
    site, and surveys of another site (or of none, without a case), do not."""
    if isinstance(item, ContactItem):
        return True
    if isinstance(item, SurveyItem) and item.case_id is None:
        return item.site_id is not None and sees_site(user, item.site_id)
    case = store.book.cases.get(str(item.case_id))
    return case is not None and sees_site(user, case.site_id)


def read_customer_timeline(
    engine: RoutingEngine,
    state: ChannelState,
    store: CaseStore,
    user: Principal,
    customer_id: str,
    *,
    limit: int = 200,
    surveys: SurveyBook | None = None,
    notices: Iterable[CaseNotice] = (),
    archived: Mapping[str, ArchivedContact] | None = None,
) -> CustomerTimeline:
    """The timeline of the customer named by ``customer_id`` (id or ``kind:value``) as
    ``user`` sees it: :class:`~kefu.domain.customers.UnknownCustomer` (404) outside its
    sites, and the case items of other sites left out."""
    live = check_customer(engine, state, user, customer_id, archived)
    items = customer_timeline(
        engine,
        state,
        store,
        live,
        limit=limit,
        surveys=surveys,
        notices=notices,
        archived=archived,
    )
    return CustomerTimeline(live, tuple(i for i in items if _sees(store, user, i)))
