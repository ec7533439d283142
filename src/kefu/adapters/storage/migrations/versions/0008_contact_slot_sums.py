"""Contact figures pre-added per 15-minute slot, queue, site, channel and value tier, read
by long reports (see :mod:`kefu.adapters.storage.report_sums`); empty here, filled by the
first report or ``kefu report-rebuild``.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COUNTS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "balked",
    "immediate",
    "in_sl",
    "predicted",
    "waiting",
    "waiting_in_sl",
    "handled",
    "transferred_out",
    "callbacks",
    "overflowed",
    "with_prediction",
)
SECONDS = ("wait_sum", "longest", "pred_abs", "pred_err", "talk_sum", "hold_sum", "wrapup_sum")
WAIT_BINS = 15
"""The wait histogram's bins when this revision was written (one column pair each)."""


def upgrade() -> None:
    op.create_table(
        "contact_slot_sums",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("queue_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("value_tier", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.Double(), nullable=False) for name in SECONDS),
        *(
            sa.Column(f"{kind}_{i}", sa.BigInteger(), nullable=False)
            for i in range(WAIT_BINS)
            for kind in ("answered", "abandoned")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_slot_sums")),
    )
    op.create_index("ix_contact_slot_sums_slot", "contact_slot_sums", ["slot"])


def downgrade() -> None:
    op.drop_index("ix_contact_slot_sums_slot", table_name="contact_slot_sums")
    op.drop_table("contact_slot_sums")
