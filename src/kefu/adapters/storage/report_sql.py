"""The SQL that reads the report projection: contact figures per slot and group, agent
seconds per slot, and the tallies built from their rows (used by ``report_projection``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from kefu.analytics.projection import SLOT_S
from kefu.analytics.tallies import Tally

__all__ = [
    "GROUP_SQL",
    "bound",
    "contact_sql",
    "figure_sql",
    "merge_tally",
    "read_tally",
    "sites_sql",
    "slot_of",
    "slot_sql",
]


def slot_of(column: str, dialect: str) -> str:
    """The SQL of the slot index (instant // SLOT_S) of ``column``: grouping by slot, then
    mapping slots to buckets in Python, spares the range join of every row with every
    bucket (each bucket edge is a slot edge)."""
    if dialect == "sqlite":  # CAST truncates, and instants are positive
        return f"CAST({column} / {SLOT_S!r} AS INTEGER)"
    return f"CAST(FLOOR({column} / {SLOT_S!r}) AS BIGINT)"


GROUP_SQL = {
    "site": "COALESCE(v.site_id, '-')",
    "queue": "v.queue_id",
    "channel": "v.channel",
    "agent": "COALESCE(v.agent_id, '-')",
    "disposition": "COALESCE(v.disposition, '-')",
    "value_tier": "CAST(v.value_tier AS VARCHAR(16))",
}


_SITES_SQL = "AND {table}.site_id IN :sites "
"""The filter of a report limited to some sites (bound, expanding)."""


def sites_sql(table: str, limited: bool) -> str:
    """The filter on ``table``'s sites when the report is ``limited`` to some."""
    return _SITES_SQL.format(table=table) if limited else ""


def bound(sql: str, sites: Collection[str] | None) -> TextClause:
    """``sql`` as a statement, with the sites bound when the report is limited to some."""
    statement = text(sql)
    if sites is None:
        return statement
    return statement.bindparams(bindparam("sites", sorted(sites), expanding=True))


def figure_sql(bins: Sequence[float]) -> list[str]:
    """The SQL of each contact figure over visit rows ``v`` (:func:`read_tally`'s order)."""
    answered = "v.outcome = 'answered'"
    abandoned = "v.outcome = 'abandoned'"
    waiting = "v.outcome = 'waiting'"
    positive = f"{answered} AND v.wait_s > 0"
    hist = []
    for i, lo in enumerate(bins):
        upper = f" AND v.wait_s < {bins[i + 1]!r}" if i + 1 < len(bins) else ""
        in_bin = f"v.wait_s >= {lo!r}{upper}"
        first = " OR v.wait_s <= 0" if i == 0 else ""
        hist.append(f"SUM(CASE WHEN {answered} AND ({in_bin}{first}) THEN 1 ELSE 0 END)")
        hist.append(f"SUM(CASE WHEN {abandoned} AND ({in_bin}{first}) THEN 1 ELSE 0 END)")
    figures = [
        "COUNT(*)",
        f"SUM(CASE WHEN {answered} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {abandoned} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {abandoned} AND v.wait_s < v.short_abandon_s THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {abandoned} AND v.wait_s <= 0 THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND v.wait_s <= 0 THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND (v.wait_s <= 0 OR v.wait_s <= v.sl_threshold_s) "
        "THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {positive} THEN v.wait_s ELSE 0 END)",
        f"MAX(CASE WHEN {positive} OR NOT ({answered}) THEN v.wait_s ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND v.predicted_wait_s IS NOT NULL THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND v.predicted_wait_s IS NOT NULL "
        "THEN ABS(v.predicted_wait_s - v.wait_s) ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND v.predicted_wait_s IS NOT NULL "
        "THEN v.predicted_wait_s - v.wait_s ELSE 0 END)",
        f"SUM(CASE WHEN {waiting} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {waiting} AND v.wait_s <= v.sl_threshold_s THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN v.handled THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN v.handled THEN v.talk_s ELSE 0 END)",
        "SUM(CASE WHEN v.handled THEN v.hold_s ELSE 0 END)",
        "SUM(CASE WHEN v.handled THEN v.wrapup_s ELSE 0 END)",
        "SUM(CASE WHEN v.transferred_out THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN v.callback THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN v.overflowed THEN 1 ELSE 0 END)",
        "COUNT(v.predicted_wait_s)",
        *hist,
    ]
    return figures


def contact_sql(
    since: float,
    until: float,
    group_by: Sequence[str],
    bins: Sequence[float],
    dialect: str,
    limited: bool = False,
) -> str:
    """The contact figures of the visits that queued in [since, until) seconds per slot
    and group, in :func:`read_tally`'s column order after the slot and the groups."""
    groups = [GROUP_SQL[d] for d in group_by]
    figures = figure_sql(bins)
    select_groups = "".join(f", {g}" for g in groups)
    group_cols = "".join(f", {i + 2}" for i in range(len(groups)))
    return (
        f"SELECT {slot_of('v.queued_at', dialect)}{select_groups}, {', '.join(figures)} "
        "FROM contact_visits v "
        f"WHERE v.queued_at >= {float(since)!r} AND v.queued_at < {float(until)!r} "
        f"{_SITES_SQL.format(table='v') if limited else ''}"
        f"GROUP BY 1{group_cols}"
    )


def read_tally(values: Sequence[Any], bins: int) -> tuple[Tally, int, bool]:
    t = Tally(bins)
    (
        t.offered,
        t.answered,
        t.abandoned,
        t.short,
        t.balked,
        t.immediate,
        t.in_sl,
    ) = (int(x or 0) for x in values[:7])
    t.wait_sum = float(values[7] or 0.0)
    t.longest = float(values[8] or 0.0)
    t.predicted = int(values[9] or 0)
    t.pred_abs = float(values[10] or 0.0)
    t.pred_err = float(values[11] or 0.0)
    waiting = int(values[12] or 0)
    t.waiting_within_sl = int(values[13] or 0)
    t.handled = int(values[14] or 0)
    t.talk_sum = float(values[15] or 0.0)
    t.hold_sum = float(values[16] or 0.0)
    t.wrapup_sum = float(values[17] or 0.0)
    t.handle_sum = t.talk_sum + t.hold_sum + t.wrapup_sum
    t.transferred_out = int(values[18] or 0)
    t.callbacks = int(values[19] or 0)
    t.overflowed = int(values[20] or 0)
    predicted = int(values[21] or 0) > 0
    hist = values[22:]
    t.hist_answered = [int(x or 0) for x in hist[0::2]]
    t.hist_abandoned = [int(x or 0) for x in hist[1::2]]
    return t, waiting, predicted


def slot_sql(edges: Sequence[float], limited: bool = False, by_agent: bool = True) -> str:
    """Agent seconds per slot and site (and agent when ``by_agent``): a report whose groups
    do not name the agent sums its agents in SQL instead of reading a row per agent."""
    agent = "s.agent_id" if by_agent else "''"
    return (
        f"SELECT s.slot_at, {agent}, s.site_id, SUM(s.handling_s), SUM(s.idle_s), "
        "SUM(s.staffed_s) FROM agent_slots s "
        f"WHERE s.slot_at >= {float(edges[0])!r} AND s.slot_at < {float(edges[-1])!r} "
        f"{_SITES_SQL.format(table='s') if limited else ''}"
        f"GROUP BY s.slot_at{', s.agent_id' if by_agent else ''}, s.site_id"
    )


def merge_tally(into: Tally, t: Tally) -> None:
    for name in Tally.__slots__:
        if name in ("hist_answered", "hist_abandoned"):
            mine = getattr(into, name)
            for i, n in enumerate(getattr(t, name)):
                mine[i] += n
        elif name == "longest":
            into.longest = max(into.longest, t.longest)
        else:
            setattr(into, name, getattr(into, name) + getattr(t, name))
