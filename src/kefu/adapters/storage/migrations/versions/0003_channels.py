"""Channel tables: customer-directory events, conversation events, the conversations'
projection and the provider message keys seen by the webhooks.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_customer_events")),
    )
    op.create_index(op.f("ix_customer_events_customer_id"), "customer_events", ["customer_id"])
    op.create_table(
        "conversation_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_conversation_events")),
    )
    op.create_index(
        op.f("ix_conversation_events_conversation_id"), "conversation_events", ["conversation_id"]
    )
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.Double(), nullable=False),
        sa.Column("last_activity_at", sa.Double(), nullable=False),
        sa.Column("closed_at", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_customer_id"), "conversations", ["customer_id"])
    op.create_index(op.f("ix_conversations_contact_id"), "conversations", ["contact_id"])
    op.create_table(
        "seen_messages",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_messages")),
    )
    op.create_index(op.f("ix_seen_messages_at"), "seen_messages", ["at"])


def downgrade() -> None:
    op.drop_table("seen_messages")
    op.drop_table("conversations")
    op.drop_table("conversation_events")
    op.drop_table("customer_events")
