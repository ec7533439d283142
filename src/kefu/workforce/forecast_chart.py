"""PNG chart of forecasts against actual contacts (matplotlib, no GUI backend).

One row per queue: on the left the last weeks of actual contacts, the model's fit over them
and the forecast with its prediction interval; on the right (after a backtest) the last
origin's out-of-sample forecast and the seasonal-naive baseline against what happened.
Chinese text needs a CJK font; without one the labels are English only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kefu.workforce.forecast_backtest import BacktestResult
from kefu.workforce.forecast_types import Forecast

__all__ = ["ChartInput", "cjk_font", "render_forecast_chart"]

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
)
MAX_QUEUES = 6
"""At most this many queues are drawn (the first ones), to keep the chart readable."""


@dataclass(frozen=True, eq=False)
class ChartInput:
    """What to draw for one queue; ``fitted`` is the model's in-sample mean."""

    queue: str
    history: pd.Series
    fitted: pd.Series
    forecast: Forecast
    backtest: BacktestResult | None = None


def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None; registers installed CJK font
    files that matplotlib's font cache predates (a cache built before the fonts were
    installed lists none)."""
    from matplotlib import font_manager

    def known() -> str | None:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in _CJK_FONTS if name in installed), None)

    font = known()
    if font is None:
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name for key in ("CJK", "wqy", "WenQuanYi", "Hei")):
                font_manager.fontManager.addfont(path)
        font = known()
    return font


def render_forecast_chart(
    path: str | Path, inputs: Sequence[ChartInput], show_days: int = 14
) -> Path:
    """Draw ``inputs`` (see module doc) into the PNG file ``path`` and return its path.

    ``show_days`` is how many days of history to show before the forecast.
    """
    import matplotlib
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    if not inputs:
        raise ValueError("nothing to draw: no queue given")
    if show_days < 1:
        raise ValueError(f"show_days must be >= 1, got {show_days}")
    rows = list(inputs[:MAX_QUEUES])
    font = cjk_font()

    def text(english: str, chinese: str) -> str:
        return f"{english} {chinese}" if font else english

    with_backtest = any(item.backtest is not None for item in rows)
    cols = 2 if with_backtest else 1
    out = Path(path)
    fonts = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.sans-serif": fonts}), warnings.catch_warnings():
        # Without a CJK font, Chinese queue names draw as boxes; do not warn per glyph.
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        fig = Figure(figsize=(7.5 * cols, 3.4 * len(rows)), layout="constrained")
        axes = fig.subplots(len(rows), cols, squeeze=False)
        for row, item in zip(axes, rows, strict=True):
            ax = row[0]
            since = item.forecast.index[0] - pd.Timedelta(days=show_days)
            actual = item.history[item.history.index >= since]
            fitted = item.fitted[item.fitted.index >= since]
            fc = item.forecast
            ax.plot(
                actual.index, actual.to_numpy(), color="0.45", lw=0.9, label=text("Actual", "实际")
            )
            ax.plot(
                fitted.index,
                fitted.to_numpy(),
                color="tab:blue",
                lw=0.7,
                ls="--",
                alpha=0.8,
                label=text("Model fit", "模型拟合"),
            )
            ax.fill_between(
                fc.index,
                fc.lower,
                fc.upper,
                color="tab:orange",
                alpha=0.25,
                lw=0,
                label=text(f"{fc.level:.0%} interval", "预测区间"),
            )
            ax.plot(fc.index, fc.mean, color="tab:orange", lw=1.1, label=text("Forecast", "预测"))
            ax.set_title(f"{item.queue}: " + text("forecast vs actual", "预测与实际"))
            ax.set_ylabel(text("Contacts per interval", "每时段来电量"))
            if item.backtest is not None:
                path_ = item.backtest.last
                bx = row[1]
                bx.plot(
                    path_.index, path_.actual, color="0.45", lw=0.9, label=text("Actual", "实际")
                )
                bx.plot(
                    path_.index,
                    path_.model,
                    color="tab:orange",
                    lw=1.1,
                    label=text("Model", "模型"),
                )
                bx.plot(
                    path_.index,
                    path_.baseline,
                    color="tab:green",
                    lw=0.9,
                    ls=":",
                    label=text("Seasonal naive", "季节性朴素"),
                )
                bx.set_title(f"{item.queue}: " + text("backtest, last origin", "回测（最后起点）"))
            elif cols == 2:
                row[1].set_axis_off()
            for axis in row:
                if axis.has_data():
                    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
                    axis.xaxis.set_major_locator(locator)
                    formatter = ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
                    axis.xaxis.set_major_formatter(formatter)
                    axis.set_ylim(bottom=0)
                    axis.grid(alpha=0.3)
                    axis.legend(fontsize="small", loc="upper left")
        fig.savefig(out, dpi=100)
    return out
