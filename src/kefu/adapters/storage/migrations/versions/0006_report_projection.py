"""The per-visit projection that historical reports read: contact visits, agent seconds per
15-minute slot, and how far the projection has read the log.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_visits",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("value_tier", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("queued_at", sa.Double(), nullable=False),
        sa.Column("predicted_wait_s", sa.Double(), nullable=True),
        sa.Column("sl_threshold_s", sa.Double(), nullable=False),
        sa.Column("short_abandon_s", sa.Double(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("wait_s", sa.Double(), nullable=False),
        sa.Column("answered_at", sa.Double(), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("talk_s", sa.Double(), nullable=False),
        sa.Column("hold_s", sa.Double(), nullable=False),
        sa.Column("wrapup_s", sa.Double(), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("transferred_out", sa.Boolean(), nullable=False),
        sa.Column("callback", sa.Boolean(), nullable=False),
        sa.Column("overflowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "leg", name=op.f("pk_contact_visits")),
    )
    op.create_index("ix_contact_visits_queued_at", "contact_visits", ["queued_at"])
    op.create_index(op.f("ix_contact_visits_agent_id"), "contact_visits", ["agent_id"])
    op.create_table(
        "agent_slots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("slot_at", sa.Double(), nullable=False),
        sa.Column("handling_s", sa.Double(), nullable=False),
        sa.Column("idle_s", sa.Double(), nullable=False),
        sa.Column("staffed_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_slots")),
    )
    op.create_index("ix_agent_slots_slot_at", "agent_slots", ["slot_at"])
    op.create_table(
        "projection_marks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("complete_until", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projection_marks")),
    )


def downgrade() -> None:
    op.drop_table("projection_marks")
    op.drop_index("ix_agent_slots_slot_at", table_name="agent_slots")
    op.drop_table("agent_slots")
    op.drop_index(op.f("ix_contact_visits_agent_id"), table_name="contact_visits")
    op.drop_index("ix_contact_visits_queued_at", table_name="contact_visits")
    op.drop_table("contact_visits")
