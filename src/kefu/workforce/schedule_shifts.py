"""Standard shift sets and the break placements a shift type allows.

All times in seconds; ``start_s`` of a shift is seconds after midnight, break offsets are
seconds after the shift's start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise, product

from kefu.workforce.schedule_types import DAY_S, BreakRule, ScheduleError, ShiftType

__all__ = [
    "break_options",
    "format_clock",
    "shift_types_for_requirement",
    "standard_shift_types",
]

HOUR_S = 3600


def format_clock(seconds: int) -> str:
    """``HH:MM`` of a time of day given in seconds after midnight (wraps past 24 h)."""
    seconds %= DAY_S
    return f"{seconds // HOUR_S:02d}:{seconds % HOUR_S // 60:02d}"


def _format_length(seconds: int) -> str:
    hours, rest = divmod(seconds, HOUR_S)
    minutes = rest // 60
    if minutes == 0:
        return f"{hours}h"
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m"


def standard_shift_types(
    *,
    first_start_s: int = 6 * HOUR_S,
    last_end_s: int = 22 * HOUR_S,
    step_s: int = 1800,
    lengths_s: Sequence[int] = (8 * HOUR_S, 4 * HOUR_S),
    lunch_length_s: int = 1800,
    lunch_earliest_s: int = 3 * HOUR_S,
    lunch_latest_s: int = 5 * HOUR_S,
    lunch_min_shift_s: int = 6 * HOUR_S,
    cost_per_hour: float = 1.0,
) -> tuple[ShiftType, ...]:
    """A standard set: for each length, starts every ``step_s`` from ``first_start_s`` while
    the shift ends by ``last_end_s`` (which may pass midnight, up to 48 h).

    Shifts of at least ``lunch_min_shift_s`` get an unpaid lunch of ``lunch_length_s``
    starting between ``lunch_earliest_s`` and ``lunch_latest_s`` after the start. With the
    defaults: 8 h shifts starting 06:00–14:00 and 4 h shifts starting 06:00–18:00 every
    30 min (42 types), the 8 h ones with a 30-min lunch 3–5 h in.
    """
    if step_s <= 0:
        raise ScheduleError(f"step must be > 0 s, got {step_s}")
    if not 0 <= first_start_s < DAY_S:
        raise ScheduleError(f"first start must be within the day, got {first_start_s} s")
    if not first_start_s < last_end_s <= 2 * DAY_S:
        raise ScheduleError(
            f"last end ({last_end_s} s) must be after the first start ({first_start_s} s) "
            "and at most 48 h"
        )
    if not lengths_s:
        raise ScheduleError("at least one shift length is needed")
    types: list[ShiftType] = []
    for length in lengths_s:
        breaks: tuple[BreakRule, ...] = ()
        if lunch_length_s > 0 and length >= lunch_min_shift_s:
            latest = min(lunch_latest_s, length - lunch_length_s)
            breaks = (BreakRule(lunch_length_s, min(lunch_earliest_s, latest), latest),)
        start = first_start_s
        while start + length <= last_end_s and start < first_start_s + DAY_S:
            types.append(
                ShiftType(
                    name=f"{_format_length(length)} {format_clock(start)}",
                    start_s=start % DAY_S,
                    length_s=length,
                    breaks=breaks,
                    cost_per_hour=cost_per_hour,
                )
            )
            start += step_s
    if not types:
        raise ScheduleError(
            "no standard shift fits between the first start and the last end; "
            "use shorter lengths or a wider window"
        )
    return tuple(types)


def shift_types_for_requirement(
    required: Sequence[float],
    interval_s: int,
    *,
    step_s: int = 1800,
    lengths_s: Sequence[int] = (8 * HOUR_S, 4 * HOUR_S),
) -> tuple[ShiftType, ...]:
    """The standard set spanning the hours of day in which ``required`` is ever positive.

    ``required[i]`` is agents needed in interval ``i`` of ``interval_s`` seconds from
    midnight of day 0. When work spans (almost) the whole day, shifts start every
    ``step_s`` round the clock.
    """
    if interval_s <= 0:
        raise ScheduleError(f"interval must be > 0 s, got {interval_s}")
    busy = sorted({(i * interval_s) % DAY_S for i, r in enumerate(required) if r > 0})
    if not busy:
        raise ScheduleError("the requirement is zero everywhere: nothing to schedule")
    open_s = busy[0] // step_s * step_s
    close_s = math.ceil((busy[-1] + interval_s) / step_s) * step_s
    shortest = min(lengths_s)
    if close_s - open_s >= DAY_S - 4 * HOUR_S:
        return standard_shift_types(
            first_start_s=0, last_end_s=2 * DAY_S, step_s=step_s, lengths_s=lengths_s
        )
    # A short open window still needs room for the shortest shift.
    close_s = max(close_s, open_s + shortest)
    return standard_shift_types(
        first_start_s=open_s, last_end_s=close_s, step_s=step_s, lengths_s=lengths_s
    )


def break_options(
    shift: ShiftType, step_s: int, limit: int
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Every placement of the shift's breaks as ``((offset_s, length_s), ...)`` tuples.

    Each break starts on ``earliest_s + k·step_s`` up to ``latest_s``; breaks keep their
    order and never overlap. Raises :class:`ScheduleError` past ``limit`` placements.
    """
    if not shift.breaks:
        return ((),)
    slots = []
    for rule in shift.breaks:
        count = (rule.latest_s - rule.earliest_s) // step_s + 1
        slots.append([(rule.earliest_s + k * step_s, rule.length_s) for k in range(count)])
    total = math.prod(len(s) for s in slots)
    if total > limit * 16:
        raise ScheduleError(
            f"shift type {shift.name!r}: its break windows allow {total} placements "
            f"(limit {limit}); narrow the windows or use a coarser break step"
        )
    options = [
        combo for combo in product(*slots) if all(a[0] + a[1] <= b[0] for a, b in pairwise(combo))
    ]
    if not options:
        raise ScheduleError(f"shift type {shift.name!r}: its breaks cannot all fit in order")
    if len(options) > limit:
        raise ScheduleError(
            f"shift type {shift.name!r}: its break windows allow {len(options)} placements "
            f"(limit {limit}); narrow the windows or use a coarser break step"
        )
    return tuple(options)
