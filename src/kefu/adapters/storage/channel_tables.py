"""SQL tables of the channels: the customer directory's events, the conversations' events
(messages in and out, closes, contacts, notes, deliveries) — the log the channel service is
rebuilt from, one ``seq`` ordering both — the conversations' projection, and the provider
message keys already taken by the webhooks. Instants are seconds since the Unix epoch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.storage.tables import Base

__all__ = [
    "OTHER_STREAM",
    "ConversationEventRow",
    "ConversationTableRow",
    "CustomerEventRow",
    "SeenMessageRow",
]

OTHER_STREAM = ":"
"""Records of streams other than ``customer`` and ``conversation`` (the branch hall's
ticket numbers and SMS wishes, the IVR's and the cases' events) share the conversation
events' table, their type written ``<stream>:<kind>``; a conversation event's type never
holds a colon."""


class CustomerEventRow(Base):
    """A customer-directory event (``customer_event_to_dict`` form in ``payload``)."""

    __tablename__ = "customer_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[float]
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]]


class ConversationEventRow(Base):
    """A conversation event: ``received``/``replied`` carry the message, ``closed`` the
    outcome, ``contact`` the routed contact, ``note`` and ``delivery`` their details."""

    __tablename__ = "conversation_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[float]
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]


class ConversationTableRow(Base):
    """A conversation as it is now (written with the events it comes from)."""

    __tablename__ = "conversations"

    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[float]
    last_activity_at: Mapped[float]
    closed_at: Mapped[float | None]
    outcome: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)


class SeenMessageRow(Base):
    """A provider message key taken once (a replayed webhook delivery is ignored)."""

    __tablename__ = "seen_messages"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[float] = mapped_column(index=True)
