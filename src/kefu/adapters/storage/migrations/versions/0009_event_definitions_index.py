"""A partial index of the queue and agent definitions in the event log: a wallboard that
reads only today's events finds the definitions made before today without reading the
log before it (:meth:`kefu.adapters.storage.repositories.SqlEventLog.read_context`).
Partial, so the other appends, almost all of them, do not maintain it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DEFINITIONS = "type IN ('QueueDefined', 'AgentDefined')"


def upgrade() -> None:
    op.create_index(
        "ix_events_definitions",
        "events",
        ["seq"],
        postgresql_where=sa.text(DEFINITIONS),
        sqlite_where=sa.text(DEFINITIONS),
    )


def downgrade() -> None:
    op.drop_index("ix_events_definitions", table_name="events")
