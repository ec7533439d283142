"""Reading the stored event log for historical reports (SQLite or PostgreSQL).

Reports read the log from some time before their range (``lookback``) so that agents'
states and the contacts in progress at its start are known; queue and agent definitions
made earlier come from the ``queues`` and ``agents`` tables, given first as definition
events. Rows come in batches in log (``seq``) order.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, select

from kefu.adapters.storage.tables import AgentRow, EventRow, QueueTableRow, SiteRow
from kefu.domain import events as ev
from kefu.domain.model import AgentSpec, QueueSpec

__all__ = ["BATCH", "definitions", "read_events", "site_zones"]

BATCH = 20_000
"""Events per batch handed to the report."""


def site_zones(engine: Engine) -> dict[str, str]:
    """Site id → IANA time zone name."""
    with engine.connect() as connection:
        rows = connection.execute(select(SiteRow.site_id, SiteRow.timezone))
        return {row.site_id: row.timezone for row in rows}


def definitions(engine: Engine, at: float) -> list[ev.Event]:
    """The current queues and agents as definition events at instant ``at`` (seconds)."""
    out: list[ev.Event] = []
    with engine.connect() as connection:
        for site_id, config in connection.execute(
            select(QueueTableRow.site_id, QueueTableRow.config)
        ):
            spec = QueueSpec.from_dict(config)
            if spec.site_id is None:
                spec = QueueSpec.from_dict({**config, "site_id": site_id})
            out.append(ev.QueueDefined(at, spec))
        for (raw,) in connection.execute(select(AgentRow.spec)):
            out.append(ev.AgentDefined(at, AgentSpec.from_dict(raw)))
    return out


def read_events(
    engine: Engine, start: float, stop: float | None = None, *, batch: int = BATCH
) -> Iterator[list[ev.Event]]:
    """The stored events with ``start`` ≤ at (< ``stop`` when given), seconds since the
    epoch, in batches in log order; the current definitions come first."""
    yield definitions(engine, start)
    query = select(EventRow.payload).where(EventRow.at >= start).order_by(EventRow.seq)
    if stop is not None:
        query = query.where(EventRow.at < stop)
    decode = ev.event_from_dict
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=batch).execute(query)
        for part in result.partitions(batch):
            yield [decode(p) for (p,) in part]
