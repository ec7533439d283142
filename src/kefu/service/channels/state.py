"""The channel service's memory: customers, conversations, their contacts, notes and
reply routes, and the branch hall's ticket numbers and SMS wishes, with the log
(:class:`~kefu.service.channels.ports.ChannelRecord`) they are rebuilt from.

Every change appends records. The state is a part of the routing engine's transaction
(:class:`~kefu.service.engine_state.StatePart`): the engine loads it with the router, stores
the records of a command with that command's events (:meth:`ChannelState.take_writes`) and
rebuilds it from the store when a write failed. Replaying the log gives back the same
state: the directory is rebuilt from its own events, and each inbound message is filed
again with the customer identities it was filed with (a later merge must not move an old
message into another conversation). Times are seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from kefu.domain.customers import (
    Conversation,
    ConversationBook,
    CustomerDirectory,
    Direction,
    JoinPolicy,
    LinkResult,
    Message,
    Placement,
)
from kefu.domain.customers import events as ce
from kefu.domain.model import ContactState
from kefu.domain.routing import Router
from kefu.service.channels.codec import message_from_dict, message_to_dict, route_of
from kefu.service.channels.moves import MOVE_KINDS, MoveBook
from kefu.service.channels.ports import ChannelRecord, ConversationRow, Inbound, Route
from kefu.service.channels.types import Note, Suggestion
from kefu.service.ports import UnitOfWork
from kefu.service.snapshots import dump_part, load_part

__all__ = ["ChannelState", "Note", "Suggestion"]

log = logging.getLogger(__name__)
CUSTOMER, CONVERSATION, BRANCH = "customer", "conversation", "branch"
_NOT_SNAPSHOTTED = frozenset({"_policy", "_identities_override", "_pending", "_touched"})
TERMINAL = (ContactState.COMPLETED, ContactState.ABANDONED, ContactState.TRANSFERRED_OUT)


class ChannelState:
    """Customers, conversations and what the channels add to them (see the module doc)."""

    def __init__(self, policy: JoinPolicy | None = None) -> None:
        self._policy = policy
        self._identities_override: tuple[str, ...] | None = None
        self.records: list[ChannelRecord] = []
        self._reset()

    def _reset(self, directory: CustomerDirectory | None = None) -> None:
        self.directory = directory or CustomerDirectory()
        self.book = ConversationBook(self._policy, identities=self._identities)
        self.routes: dict[str, Route] = {}
        self.contact_of: dict[str, str] = {}
        self.conversation_of: dict[str, str] = {}
        self.notes: dict[str, list[Note]] = {}
        self.deliveries: dict[str, dict[str, str]] = {}
        self.delivery_reasons: dict[str, dict[str, str]] = {}
        """Why a reply failed (:func:`kefu.service.channels.errors.delivery_failure`), by
        conversation and message id."""
        self.suggestions: dict[str, tuple[Suggestion, ...]] = {}
        self.tickets: dict[tuple[str, str], int] = {}
        """The last ticket number issued per (branch queue, day)."""
        self.sms_wanted: dict[str, str] = {}
        """Tickets waiting away from the hall: contact id → the phone to tell."""
        self.moves = MoveBook()  # conversations moved to or adopted from other domains
        self.seq = 0
        self._pending: list[ChannelRecord] = []
        self._touched: set[str] = set()
        self._logged_customer_events = 0

    def _identities(self, customer_id: str) -> Iterable[str]:
        if self._identities_override is not None:
            return self._identities_override
        return self.directory.identities(customer_id)

    # -- the log -----------------------------------------------------------------------
    def fetch(self, uow: UnitOfWork) -> list[ChannelRecord]:
        """The stored log (read in a worker thread by the engine's load)."""
        return list(uow.channels.read())

    def load(self, records: Iterable[ChannelRecord]) -> None:
        """Rebuild everything from records (in ``seq`` order)."""
        records = list(records)
        events = [ce.customer_event_from_dict(r.data) for r in records if r.stream == CUSTOMER]
        self._reset(CustomerDirectory.from_events(events))
        for record in records:
            if record.stream == CONVERSATION:
                self._apply(record)
            elif record.stream == BRANCH:
                self._apply_branch(record)
        self.records = records
        self.seq = records[-1].seq if records else 0

    # -- snapshots (kefu.service.engine_state.SnapshotPart) -----------------------------
    snapshot_key = "channels"

    def dump(self) -> bytes:
        """Everything but the join policy (the live one is kept), with the log position
        ``seq`` it covers; nothing may be pending."""
        if self._pending or self._touched or self._unflushed():
            raise ValueError("take the channel state's writes before snapshotting it")
        state = {k: v for k, v in vars(self).items() if k not in _NOT_SNAPSHOTTED}
        return dump_part(self, (self._policy, state))

    def fetch_since(self, uow: UnitOfWork, dumped: bytes) -> tuple[dict[str, Any], list[Any]]:
        """The snapshot's state and the records after its position."""
        policy, state = load_part(self, dumped)
        if policy != self._policy:
            raise ValueError("the snapshot was taken with another join policy")
        return state, list(uow.channels.read(int(state["seq"])))

    def restore(self, fetched: tuple[dict[str, Any], list[ChannelRecord]]) -> None:
        """The snapshot's state with the records after it applied, as :meth:`load`
        would give from the whole log (customer events first, then the others)."""
        state, tail = fetched
        vars(self).update(state)
        self.directory.events = []  # stored already: none is pending
        self._logged_customer_events = 0
        self.follow(tail)

    def fetch_after(self, uow: UnitOfWork) -> list[ChannelRecord]:
        """The stored records after this state's position."""
        return list(uow.channels.read(self.seq))

    def follow(self, tail: list[ChannelRecord]) -> None:
        """Apply records stored after this state's position (a read-only copy on a node
        that does not lead, kept in step with the leader's log): customer events first,
        then the others, as :meth:`load` orders them; records at or below :attr:`seq` are
        skipped."""
        tail = [record for record in tail if record.seq > self.seq]
        for record in tail:
            if record.stream == CUSTOMER:
                self.directory.apply(ce.customer_event_from_dict(record.data))
        for record in tail:
            if record.stream == CONVERSATION:
                self._apply(record)
            elif record.stream == BRANCH:
                self._apply_branch(record)
        self.records.extend(tail)
        if tail:
            self.seq = tail[-1].seq

    def _unflushed(self) -> bool:
        return self._logged_customer_events != len(self.directory.events)

    def reconcile(self, router: Router, now: float) -> None:
        """Close open conversations whose contact ended while nobody was listening, and
        forget SMS wishes of tickets no longer waiting."""
        for conv_id, contact_id in list(self.contact_of.items()):
            conv = self.conversation(conv_id)
            if conv.is_closed:
                continue
            contact = router.contacts.get(contact_id)
            if contact is None or contact.state in TERMINAL:
                self.close(conv_id, now, contact.state.value if contact is not None else "ended")
        for contact_id in list(self.sms_wanted):
            contact = router.contacts.get(contact_id)
            if contact is None or contact.state in TERMINAL:
                self.sms_sent(contact_id, now)

    def take_writes(self) -> list[Callable[[UnitOfWork], None]]:
        """The write storing the records made since the last call (none if none)."""
        records, rows = self.take_pending()
        if not (records or rows):
            return []

        def write(uow: UnitOfWork) -> None:
            uow.channels.append(records)
            uow.channels.upsert_conversations(rows)

        return [write]

    def take_pending(self) -> tuple[list[ChannelRecord], list[ConversationRow]]:
        """The records made since the last call, and the rows of the conversations they
        touched, to store."""
        self._flush_customer_events()
        records, self._pending = self._pending, []
        rows = [self.row(c) for c in sorted(self._touched)]
        self._touched = set()
        return records, rows

    def _record(
        self, at: float, stream: str, kind: str, subject: str, data: dict[str, Any]
    ) -> None:
        if stream == CONVERSATION:
            self._flush_customer_events()
            self._touched.add(subject)
        self.seq += 1
        record = ChannelRecord(self.seq, at, stream, kind, subject, data)
        self.records.append(record)
        self._pending.append(record)

    def _flush_customer_events(self) -> None:
        events = self.directory.events
        for event in events[self._logged_customer_events :]:
            data = ce.customer_event_to_dict(event)
            subject = str(
                data.get("customer_id")
                or data.get("survivor_id")
                or data.get("merge_id")
                or f"field:{data['name']}"
            )
            self.seq += 1
            record = ChannelRecord(
                self.seq, event.at, CUSTOMER, type(event).__name__, subject, data
            )
            self.records.append(record)
            self._pending.append(record)
        self._logged_customer_events = len(events)

    def _apply(self, record: ChannelRecord) -> None:
        d, conv_id = record.data, record.subject_id
        if record.kind == "received":
            self._identities_override = tuple(d["identities"])
            try:
                placement = self.book.receive(
                    d["customer_id"],
                    message_from_dict(d["message"]),
                    thread_refs=tuple(d["thread_refs"]),
                    topic=d.get("topic"),
                )
            finally:
                self._identities_override = None
            if placement.conversation_id != conv_id:
                log.error("channel log replay filed a message in %s, not %s", placement, conv_id)
            if d.get("route"):
                self.routes[conv_id] = Route.from_dict(d["route"])
            if d.get("suggestions"):
                self.suggestions[conv_id] = tuple(Suggestion(*s) for s in d["suggestions"])
        elif record.kind == "replied":
            self.book.reply(conv_id, message_from_dict(d["message"]))
        elif record.kind == "closed":
            self.book.close(conv_id, at=record.at, outcome=d.get("outcome"))
        elif record.kind == "contact":
            self.contact_of[conv_id] = d["contact_id"]
            self.conversation_of[d["contact_id"]] = conv_id
        elif record.kind == "note":
            self.notes.setdefault(conv_id, []).append(
                Note(d["author"], d["text"], record.at, d.get("kind", "note"), d.get("target", ""))
            )
        elif record.kind == "delivery":
            self.deliveries.setdefault(conv_id, {})[d["external_id"]] = d["status"]
            self.delivery_reasons.setdefault(conv_id, {})[d["external_id"]] = d.get("reason", "")
        elif record.kind in MOVE_KINDS:
            self.moves.apply(self, record)
        else:
            log.error("unknown channel record kind %r (seq %s)", record.kind, record.seq)

    def _apply_branch(self, record: ChannelRecord) -> None:
        d = record.data
        if record.kind == "ticket":
            self.tickets[(record.subject_id, d["day"])] = int(d["number"])
        elif record.kind == "sms_wanted":
            self.sms_wanted[record.subject_id] = d["phone"]
        elif record.kind == "sms_sent":
            self.sms_wanted.pop(record.subject_id, None)
        else:
            log.error("unknown branch record kind %r (seq %s)", record.kind, record.seq)

    def _branch(self, at: float, kind: str, subject: str, data: dict[str, Any]) -> None:
        record = ChannelRecord(self.seq + 1, at, BRANCH, kind, subject, data)
        self._apply_branch(record)
        self._record(at, BRANCH, kind, subject, data)

    def change(self, at: float, kind: str, conv_id: str, data: dict[str, Any]) -> None:
        """Apply a record of ``kind`` on conversation ``conv_id`` and log it."""
        record = ChannelRecord(self.seq + 1, at, CONVERSATION, kind, conv_id, data)
        self._apply(record)
        self._record(at, CONVERSATION, kind, conv_id, data)

    # -- changes -----------------------------------------------------------------------
    def receive(self, inbound: Inbound) -> tuple[LinkResult, Placement, bool]:
        """Link the sender, add what it claimed, file the message; returns the link, the
        placement and whether the conversation is new."""
        at = inbound.at
        link = self.directory.link(inbound.sender, at=at, name=inbound.sender_name)
        customer_id = link.customer_id
        suggestions = []
        for ident in inbound.claimed:
            owner = self.directory.find(ident)
            if owner is None:
                self.directory.add_identifier(customer_id, ident, at=at)
            elif owner.customer_id != self.directory.resolve(customer_id):
                suggestions.append(Suggestion(ident.kind.value, ident.value, owner.customer_id))
        identities = tuple(self.directory.identities(customer_id))
        message = Message(
            Direction.INBOUND,
            inbound.channel,
            customer_id,
            inbound.text,
            at,
            subject=inbound.subject,
            external_id=inbound.external_id,
            attachments=inbound.attachments,
        )
        conv, _ = self.book.place(
            customer_id,
            inbound.channel,
            at=at,
            thread_refs=inbound.thread_refs,
            topic=inbound.topic,
        )
        new = conv is None or conv.is_closed
        data: dict[str, Any] = {
            "customer_id": customer_id,
            "identities": list(identities),
            "message": message_to_dict(message),
            "thread_refs": list(inbound.thread_refs),
            "topic": inbound.topic,
            "suggestions": [[s.kind, s.value, s.customer_id] for s in suggestions],
        }
        self._identities_override = identities
        try:
            placement = self.book.receive(
                customer_id, message, thread_refs=inbound.thread_refs, topic=inbound.topic
            )
        finally:
            self._identities_override = None
        conv_id = placement.conversation_id
        if new:
            route = route_of(inbound)
            data["route"] = route.to_dict()
            self.routes[conv_id] = route
        if suggestions:
            self.suggestions[conv_id] = tuple(suggestions)
        self._record(at, CONVERSATION, "received", conv_id, data)
        return link, placement, new

    def log(self, at: float, stream: str, kind: str, subject: str, data: dict[str, Any]) -> None:
        """Append a record of another part's ``stream`` (the IVR's) to this log, so one
        ``seq`` orders them; :meth:`load` leaves such records to their owner."""
        self._record(at, stream, kind, subject, data)

    def link_contact(self, conv_id: str, contact_id: str, at: float) -> None:
        self.change(at, "contact", conv_id, {"contact_id": contact_id})

    def reply(self, conv_id: str, message: Message) -> None:
        self.change(message.at, "replied", conv_id, {"message": message_to_dict(message)})

    def close(self, conv_id: str, at: float, outcome: str | None) -> bool:
        """Close an open conversation; False when it was closed already."""
        if self.book.get(conv_id).is_closed:
            return False
        self.change(at, "closed", conv_id, {"outcome": outcome})
        return True

    def note(self, conv_id: str, note: Note) -> None:
        data = {"author": note.author, "text": note.text, "kind": note.kind, "target": note.target}
        self.change(note.at, "note", conv_id, data)

    def delivery(
        self, conv_id: str, external_id: str, status: str, detail: str, at: float, reason: str = ""
    ) -> None:
        data = {"external_id": external_id, "status": status, "detail": detail, "reason": reason}
        self.change(at, "delivery", conv_id, data)

    def ticket(self, queue_id: str, day: str, number: int, at: float) -> None:
        """Ticket ``number`` of ``queue_id`` was issued on ``day`` (the site's date)."""
        self._branch(at, "ticket", queue_id, {"day": day, "number": number})

    def want_sms(self, contact_id: str, phone: str, at: float) -> None:
        self._branch(at, "sms_wanted", contact_id, {"phone": phone})

    def sms_sent(self, contact_id: str, at: float) -> None:
        """The ticket's SMS went (or can no longer go): the wish is done."""
        if contact_id in self.sms_wanted:
            self._branch(at, "sms_sent", contact_id, {})

    # -- reading -----------------------------------------------------------------------
    def conversation(self, conv_id: str) -> Conversation:
        return self.book.get(conv_id)

    def row(self, conv_id: str) -> ConversationRow:
        conv = self.book.get(conv_id)
        return ConversationRow(
            conv.conversation_id,
            conv.customer_id,
            conv.channel.value,
            conv.topic,
            conv.opened_at,
            conv.last_activity_at,
            conv.closed_at,
            conv.outcome,
            self.contact_of.get(conv_id),
            len(conv.messages),
        )

    def duplicate(self, external_id: str) -> Conversation | None:
        """The conversation already holding the inbound message ``external_id``."""
        conv = self.book.by_thread(external_id)
        held = conv is not None and any(m.external_id == external_id for m in conv.messages)
        return conv if held else None
