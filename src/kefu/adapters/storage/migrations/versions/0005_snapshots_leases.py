"""The router's snapshots and the routing domains' leader leases (epochs for fencing).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "router_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.Double(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_snapshots")),
    )
    op.create_index(op.f("ix_router_snapshots_seq"), "router_snapshots", ["seq"])
    op.create_table(
        "routing_leases",
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_routing_leases")),
    )


def downgrade() -> None:
    op.drop_table("routing_leases")
    op.drop_index(op.f("ix_router_snapshots_seq"), table_name="router_snapshots")
    op.drop_table("router_snapshots")
