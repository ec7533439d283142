"""Read side of the channels: a waiting customer's place in line and predicted wait, a
conversation with its messages and notes, and the customer panel (identities across
channels, value tier, every channel's contacts with outcomes in one timeline).

Functions take the engine's router and the channel state, and run under the engine's lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kefu.analytics.archive import ArchivedContact
from kefu.domain.customers import ContactRef, Conversation, Customer, Message
from kefu.domain.model import ContactState
from kefu.domain.routing import Router
from kefu.service.channels.ports import Inbound
from kefu.service.channels.profile_views import ProfileView
from kefu.service.channels.read_models import (
    AttachmentView,
    ConversationView,
    CustomerPanel,
    CustomerSummary,
    MergeView,
    MessageView,
    NoteView,
    SuggestionView,
    TimelineEntry,
    WaitInfo,
)
from kefu.service.channels.state import ChannelState

__all__ = [
    "joined_by",
    "queue_positions",
    "queue_wait",
    "read_conversation",
    "read_customer_panel",
    "read_messages",
    "recording_state",
    "wait_info",
]

TIMELINE_LIMIT = 50


def _wait(router: Router, queue_id: str, position: int) -> float | None:
    """Predicted wait (seconds) of the ``position``-th in line: position × AHT / staffed
    slots, the router's own formula; None when nobody staffs the queue."""
    queue = router.queues[queue_id]
    staffed = queue.buckets[0].staffed
    if staffed <= 0:
        return None
    return position * queue.aht_estimate / staffed


def queue_positions(router: Router, queue_id: str) -> dict[str, tuple[int, float | None]]:
    """Every waiting contact of the queue → (position, 1 = next; predicted wait in s)."""
    waiting = sorted(
        (
            c
            for bucket in router.queues[queue_id].buckets
            for *_, c in bucket.contacts
            if c.state is ContactState.QUEUED and c.queue_id == queue_id
        ),
        key=lambda c: c.key,
    )
    out: dict[str, tuple[int, float | None]] = {}
    for contact in waiting:
        if contact.contact_id not in out:
            position = len(out) + 1
            out[contact.contact_id] = (position, _wait(router, queue_id, position))
    return out


def queue_wait(router: Router, queue_id: str) -> float | None:
    """Predicted wait (s) of a contact joining ``queue_id`` now (behind those waiting);
    None when nobody staffs the queue."""
    return _wait(router, queue_id, len(queue_positions(router, queue_id)) + 1)


def wait_info(router: Router, contact_id: str) -> WaitInfo | None:
    """A waiting contact's place in line and predicted wait, else None."""
    contact = router.contacts.get(contact_id)
    if contact is None or contact.state is not ContactState.QUEUED:
        return None
    position, wait = queue_positions(router, contact.queue_id).get(contact_id, (1, None))
    return WaitInfo(position, position - 1, wait)


def _message_view(
    index: int,
    message: Message,
    deliveries: dict[str, str],
    names: dict[str, str],
    reasons: dict[str, str],
) -> MessageView:
    return MessageView(
        seq=index,
        direction=message.direction.value,
        author=message.author,
        author_name=names.get(message.author, message.author),
        text=message.text,
        at=message.at,
        subject=message.subject,
        external_id=message.external_id,
        delivery=deliveries.get(message.external_id or ""),
        delivery_reason=reasons.get(message.external_id or "") or None,
        attachments=tuple(
            AttachmentView(a.filename, a.content_type, a.size) for a in message.attachments
        ),
    )


def _names(state: ChannelState, router: Router, customer_id: str) -> dict[str, str]:
    """Display names of a conversation's authors: agents, the customer's identities, kefu."""
    customer = state.directory.get(state.directory.resolve(customer_id))
    names = {a: r.spec.name or a for a, r in router.agents.items()}
    names.update(
        {cid: customer.name or cid for cid in state.directory.identities(customer.customer_id)}
    )
    names["kefu"] = "kefu 客服"
    return names


def read_messages(
    state: ChannelState, router: Router, conversation_id: str, *, after: int, upto: int
) -> tuple[MessageView, ...]:
    """The conversation's messages numbered ``after + 1`` to ``upto``, as
    :func:`read_conversation` shows them (the desktop's per-message push)."""
    conv = state.conversation(conversation_id)
    if upto <= after:
        return ()
    deliveries = state.deliveries.get(conversation_id, {})
    reasons = state.delivery_reasons.get(conversation_id, {})
    names = _names(state, router, conv.customer_id)
    return tuple(
        _message_view(i, m, deliveries, names, reasons)
        for i, m in enumerate(conv.messages[after:upto], start=after + 1)
    )


def read_conversation(
    state: ChannelState,
    router: Router,
    conversation_id: str,
    *,
    after: int = 0,
    suggestions: tuple[SuggestionView, ...] | None = None,
) -> ConversationView:
    """A conversation: its messages (``seq`` 1, 2, ... from ``after + 1``), notes, route,
    contact and the contact's state; its suggested customers are ``suggestions`` when
    given (those a viewer sees), else all of them."""
    conv = state.conversation(conversation_id)
    deliveries = state.deliveries.get(conversation_id, {})
    reasons = state.delivery_reasons.get(conversation_id, {})
    contact_id = state.contact_of.get(conversation_id)
    contact = router.contacts.get(contact_id) if contact_id else None
    names = _names(state, router, conv.customer_id)
    return ConversationView(
        conversation_id=conv.conversation_id,
        customer_id=state.directory.resolve(conv.customer_id),
        channel=conv.channel.value,
        topic=conv.topic,
        opened_at=conv.opened_at,
        closed_at=conv.closed_at,
        outcome=conv.outcome,
        follows=conv.follows,
        contact_id=contact_id,
        contact_state=None if contact is None else contact.state.value,
        agent_id=None if contact is None else contact.agent_id,
        route=state.routes.get(conversation_id),
        messages=tuple(
            _message_view(i, m, deliveries, names, reasons)
            for i, m in enumerate(conv.messages, start=1)
            if i > after
        ),
        notes=tuple(
            NoteView(n.author, names.get(n.author, n.author), n.text, n.at, n.kind, n.target)
            for n in state.notes.get(conversation_id, ())
        ),
        suggestions=tuple(
            SuggestionView(s.kind, s.value, s.customer_id)
            for s in state.suggestions.get(conversation_id, ())
        )
        if suggestions is None
        else suggestions,
    )


def recording_state(attributes: Mapping[str, str]) -> str | None:
    """A contact's call recording: ``kept`` (playable), why it was deleted, or None."""
    if "recording" not in attributes:
        return None
    return attributes.get("recording_deleted", "kept")


def read_customer_panel(
    state: ChannelState,
    router: Router,
    customer_id: str,
    archived: Mapping[str, ArchivedContact] | None = None,
) -> CustomerPanel:
    """The customer (following merges) with one timeline of every channel's contacts,
    newest first; an outcome not recorded yet is the contact's live state. A contact the
    router has forgotten shows its queue, agent and recording from ``archived`` (the
    store's record) when given."""
    directory = state.directory
    live_id = directory.resolve(customer_id)
    timeline = []
    for ref in directory.timeline(live_id, limit=TIMELINE_LIMIT):
        contact = router.contacts.get(ref.contact_id)
        kept = (archived or {}).get(ref.contact_id) if contact is None else None
        if kept is not None:
            timeline.append(_archived_entry(ref, kept))
            continue
        timeline.append(
            TimelineEntry(
                contact_id=ref.contact_id,
                channel=ref.channel,
                at=ref.at,
                summary=ref.summary,
                outcome=ref.outcome or (contact.state.value if contact else None),
                conversation_id=ref.conversation_id,
                agent_id=contact.agent_id if contact else None,
                queue_id=contact.queue_id if contact else None,
                recording=recording_state(contact.attributes) if contact else None,
            )
        )
    profiles = directory.profiles
    return CustomerPanel(
        CustomerSummary.of(directory.get(live_id)),
        tuple(timeline),
        tuple(MergeView.of(m) for m in directory.audit(live_id)),
        ProfileView.of(profiles.details(live_id), profiles.fields, profiles.products(live_id)),
    )


def _archived_entry(ref: ContactRef, kept: ArchivedContact) -> TimelineEntry:
    """A forgotten contact's timeline entry, from the store's record of it."""
    outcome = ref.outcome or ("completed" if kept.outcome == "answered" else "abandoned")
    return TimelineEntry(
        contact_id=ref.contact_id,
        channel=ref.channel,
        at=ref.at,
        summary=ref.summary,
        outcome=outcome,
        conversation_id=ref.conversation_id,
        agent_id=kept.agent_id,
        queue_id=kept.queue_id,
        recording=kept.recording_state,
    )


def joined_by(
    state: ChannelState, inbound: Inbound
) -> Iterator[tuple[Customer, Conversation | None]]:
    """For each sender identity of ``inbound`` that a customer holds: that customer and
    the conversation the message would be placed in (``None``: a new one; a closed one
    is reopened or left, as the caller decides). Reads only: a refusal decided from it
    leaves no trace."""
    for ident in inbound.sender:
        owner = state.directory.find(ident)
        if owner is None:
            continue
        conv, _ = state.book.place(
            owner.customer_id,
            inbound.channel,
            at=inbound.at,
            thread_refs=inbound.thread_refs,
            topic=inbound.topic,
        )
        yield owner, conv
