"""Parts of ``bench/forecast.py``: the intraday re-forecast of each test day's afternoon and
the decomposition of kefu's error into the day's level and its intraday shape.

* **Intraday**: at ``cutoff`` o'clock of each test day the operator has that morning's
  counts; :func:`kefu.workforce.intraday.reforecast` (the ``/workforce/intraday`` page's
  rule) scales the rest of the day's forecast by the morning's damped actual / forecast
  ratio. Only the afternoon intervals (from ``cutoff``) are scored.
* **Decomposition**: ``day_total`` is kefu's forecast scaled to each day's actual total,
  an oracle that knows the day's level and keeps kefu's intraday shape. The gap of kefu's
  WAPE above the floor splits into the level part (kefu − day_total) and the rest
  (day_total − floor: the intraday shape's error and variation within the day beyond
  Poisson noise, which no level can remove).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kefu.workforce.intraday import reforecast


def afternoon_reforecast(
    forecast: np.ndarray, actual: np.ndarray, index: pd.DatetimeIndex, cutoff_hour: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per day of ``index``: the re-forecast from the counts before ``cutoff_hour``, and a
    mask of the afternoon intervals of the days whose morning was observed (no NaN)."""
    out = np.asarray(forecast, dtype=np.float64).copy()
    scored = np.zeros(len(index), dtype=np.bool_)
    days = index.normalize()
    morning = np.asarray(index.hour < cutoff_hour, dtype=np.bool_)
    for day in pd.DatetimeIndex(days.unique()):
        on = np.flatnonzero(np.asarray(days == day))
        seen = on[morning[on]]
        if seen.size == 0 or np.isnan(actual[seen]).any():
            continue  # a holiday or a missing morning: nothing to re-forecast from
        _ratio, rest = reforecast(
            [float(f) for f in forecast[on]], [float(a) for a in actual[seen]]
        )
        out[on] = rest
        scored[on[~morning[on]]] = True
    return out, scored


def decomposition(group: dict[str, Any]) -> dict[str, float]:
    """kefu's WAPE ratio to the floor split into level and shape (module doc)."""
    kefu = group["kefu"]["wape_ratio_to_floor"]
    oracle = group["day_total"]["wape_ratio_to_floor"]
    gap = kefu - 1.0
    return {
        "kefu_ratio": kefu,
        "oracle_level_ratio": oracle,
        "level_part": kefu - oracle,
        "shape_part": oracle - 1.0,
        "level_share_of_gap": (kefu - oracle) / gap if gap > 0 else float("nan"),
    }


def print_decomposition(minutes: int, name: str, d: dict[str, float]) -> None:
    print(
        f"{minutes:>3} min {name:<8} kefu ×{d['kefu_ratio']:.2f} floor = 1 + day level "
        f"{d['level_part']:.2f} + intraday shape/extra-Poisson {d['shape_part']:.2f} "
        f"(level {d['level_share_of_gap']:.0%} of the gap; oracle level ×"
        f"{d['oracle_level_ratio']:.2f})"
    )
