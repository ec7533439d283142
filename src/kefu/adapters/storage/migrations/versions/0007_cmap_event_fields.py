"""The contact-path fields of the events in columns of their own, filled for the events
already stored (see :mod:`kefu.adapters.storage.event_fields`).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("target", "channel", "customer_id", "topic", "case_id", "ivr")
TAB = "\t"


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("events", sa.Column(name, sa.Text(), nullable=True))
    # The backfill is one UPDATE the database runs over its own JSON (no row leaves it);
    # the same fields as ``path_fields`` computes at append time, written out here so this
    # migration keeps doing what it did whatever the code becomes.
    events = sa.table(
        "events",
        sa.column("type", sa.String()),
        sa.column("payload", sa.JSON()),
        *(sa.column(name, sa.Text()) for name in COLUMNS),
    )
    c = events.c
    payload = c.payload
    queued = c.type == "ContactQueued"
    entered = c.type.in_(["ContactQueued", "ContactOverflowed"])

    def when_queued(value: sa.ColumnElement[str]) -> sa.ColumnElement[str | None]:
        return sa.case((queued, value), else_=sa.null())

    flow = payload[("attributes", "ivr.flow")].as_string()
    packed = (
        flow
        + sa.literal(TAB)
        + sa.func.coalesce(payload[("attributes", "ivr.path")].as_string(), "")
        + sa.literal(TAB)
        + sa.func.coalesce(payload[("attributes", "ivr.self_service")].as_string(), "")
    )
    op.get_bind().execute(
        sa.update(events)
        .where(
            c.type.in_(
                ["ContactQueued", "ContactOverflowed", "ContactTransferred", "ContactCompleted"]
            )
        )
        .values(
            target=sa.case(
                (entered, payload["queue_id"].as_string()),
                (c.type == "ContactTransferred", payload["to_queue_id"].as_string()),
                else_=payload["disposition"].as_string(),
            ),
            channel=when_queued(payload["channel"].as_string()),
            customer_id=when_queued(payload["customer_id"].as_string()),
            topic=when_queued(payload[("attributes", "topic")].as_string()),
            case_id=when_queued(payload[("attributes", "case_id")].as_string()),
            ivr=sa.case((sa.and_(queued, flow.is_not(None), flow != ""), packed), else_=sa.null()),
        )
    )


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("events", name)
