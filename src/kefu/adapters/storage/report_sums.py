"""Contact figures pre-added per 15-minute slot, queue, site, channel and value tier
(``contact_slot_sums``), so that a long report sums a few rows per slot instead of one row
per visit.

The sums are a cache of ``contact_visits`` that the write path never touches (the writer's
cost per contact does not change): :func:`add_sums` fills a range of slots in the caller's
transaction (``kefu report-rebuild`` fills everything it may), and :func:`catch_up` adds
the slots the projection has completed since, before a report reads them, a day per
transaction (a short write lock on SQLite). A slot is summed only once every visit that
queued in it has ended and been stored (before the projection's ``complete_until``), so its
rows never change afterwards. The mark ``report_slot_sums`` in ``projection_marks`` holds
the instant (seconds) before which every slot is summed; two readers catching up at once
claim the range by moving the mark from what each read, and the loser adds nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from kefu.adapters.storage.report_repository import MARKS, VISITS
from kefu.adapters.storage.report_sql import GROUP_SQL, figure_sql, sites_sql, slot_of
from kefu.analytics.projection import SLOT_S
from kefu.analytics.records import DEFAULT_WAIT_BINS_S
from kefu.service.ports import ReportMark

__all__ = [
    "BINS",
    "SUMMED_BY",
    "SUMS_MARK",
    "add_sums",
    "catch_up",
    "clear_sums",
    "sums_sql",
    "sums_until",
]

SUMS_MARK = "report_slot_sums"
"""The name of the sums' mark in ``projection_marks`` (``at``: summed before, seconds)."""
SUMMED_BY = frozenset({"site", "queue", "channel", "value_tier"})
"""The groupings the sums can serve (agent and disposition read the visits)."""
DAY_SLOTS = 96
"""Slots summed per transaction when catching up (a day)."""
BINS = DEFAULT_WAIT_BINS_S
"""The wait histogram the sums keep (migration 0008 made one column pair per bin)."""
KEYS = ("queue_id", "site_id", "channel", "value_tier")
FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "balked",
    "immediate",
    "in_sl",
    "wait_sum",
    "longest",
    "predicted",
    "pred_abs",
    "pred_err",
    "waiting",
    "waiting_in_sl",
    "handled",
    "talk_sum",
    "hold_sum",
    "wrapup_sum",
    "transferred_out",
    "callbacks",
    "overflowed",
    "with_prediction",
    *(f"{kind}_{i}" for i in range(len(BINS)) for kind in ("answered", "abandoned")),
)
"""The columns, in :func:`~kefu.adapters.storage.report_sql.read_tally`'s order (the
histogram interleaved: answered then abandoned per bin, prefixed ``answered_``/``abandoned_``
and the bin's number)."""


def _add_sql(dialect: str) -> str:
    columns = ", ".join(("slot", *KEYS, *FIGURES))
    keys = ", ".join(f"v.{k}" for k in KEYS)
    return (
        f"INSERT INTO contact_slot_sums ({columns}) "
        f"SELECT {slot_of('v.queued_at', dialect)}, {keys}, {', '.join(figure_sql(BINS))} "
        "FROM contact_visits v WHERE v.queued_at >= :lo AND v.queued_at < :hi "
        "GROUP BY 1, 2, 3, 4, 5"
    )


def sums_sql(lo: int, hi: int, group_by: Sequence[str], limited: bool) -> str:
    """The contact figures of slots [lo, hi) per slot and group from the sums, in the
    columns of :func:`~kefu.adapters.storage.report_sql.contact_sql`."""
    groups = [GROUP_SQL[d] for d in group_by]
    figures = [f"MAX(v.{f})" if f == "longest" else f"SUM(v.{f})" for f in FIGURES]
    select_groups = "".join(f", {g}" for g in groups)
    group_cols = "".join(f", {i + 2}" for i in range(len(groups)))
    return (
        f"SELECT v.slot{select_groups}, {', '.join(figures)} FROM contact_slot_sums v "
        f"WHERE v.slot >= {int(lo)} AND v.slot < {int(hi)} {sites_sql('v', limited)}"
        f"GROUP BY 1{group_cols}"
    )


def sums_until(connection: Connection) -> int | None:
    """The slot before which every slot is summed; ``None``: no sums yet."""
    at = connection.scalar(select(MARKS.c.at).where(MARKS.c.name == SUMS_MARK))
    return None if at is None else round(float(at) / SLOT_S)


def clear_sums(connection: Connection) -> None:
    """Drop every sum and the mark (in the caller's transaction)."""
    connection.execute(text("DELETE FROM contact_slot_sums"))
    connection.execute(MARKS.delete().where(MARKS.c.name == SUMS_MARK))


def add_sums(connection: Connection, lo: int, hi: int) -> None:
    """Sum the visits of slots [lo, hi) and move the mark to ``hi`` (in the caller's
    transaction; the slots must not be summed yet, and every visit in them stored)."""
    if hi > lo:
        sql = _add_sql(connection.dialect.name)
        connection.execute(text(sql), {"lo": lo * SLOT_S, "hi": hi * SLOT_S})
    _move(connection, None, hi)


def _move(connection: Connection, old: int | None, new: int) -> bool:
    """Move the mark from ``old`` to ``new``; False when another reader moved it first."""
    if old is None:
        connection.execute(MARKS.delete().where(MARKS.c.name == SUMS_MARK))
        connection.execute(
            MARKS.insert().values(name=SUMS_MARK, seq=0, at=new * SLOT_S, complete_until=None)
        )
        return True
    done = connection.execute(
        MARKS.update()
        .where(MARKS.c.name == SUMS_MARK, MARKS.c.at == old * SLOT_S)
        .values(at=new * SLOT_S)
    )
    return done.rowcount == 1


def catch_up(engine: Engine, found: ReportMark) -> int | None:
    """Sum the slots the projection completed since the last sums (``found``: its mark),
    and answer the slot before which every slot is summed (``None``: none). A failure
    (say, the store busy) leaves the sums as they were: the report reads the visits."""
    with engine.connect() as connection:
        done = sums_until(connection)
        first = connection.scalar(select(func.min(VISITS.c.queued_at)))
    if found.complete_until is None or first is None:
        return done  # rebuilt and not served since: the rebuild summed what it could
    target = math.floor(found.complete_until / SLOT_S)
    current = done if done is not None else math.floor(float(first) / SLOT_S)
    try:
        while current < target:
            step = min(target, current + DAY_SLOTS)
            with engine.begin() as connection:
                if done is None:
                    claimed = _claim_first(connection, current)
                else:
                    claimed = _move(connection, done, step)
                if not claimed:
                    break
                sql = _add_sql(connection.dialect.name)
                connection.execute(text(sql), {"lo": current * SLOT_S, "hi": step * SLOT_S})
                if done is None:
                    _move(connection, current, step)
            done = current = step
    except SQLAlchemyError:
        pass
    with engine.connect() as connection:
        return sums_until(connection)


def _claim_first(connection: Connection, lo: int) -> bool:
    """Create the mark at ``lo`` unless another reader has created it."""
    exists = connection.scalar(select(MARKS.c.at).where(MARKS.c.name == SUMS_MARK))
    if exists is not None:
        return False
    connection.execute(
        MARKS.insert().values(name=SUMS_MARK, seq=0, at=lo * SLOT_S, complete_until=None)
    )
    return True
