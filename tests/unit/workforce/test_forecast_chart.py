"""The forecast-vs-actual PNG chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.workforce.forecast import (
    ChartInput,
    ForecastConfig,
    backtest,
    fit_model,
    generate_history,
    render_forecast_chart,
)
from kefu.workforce.forecast_chart import cjk_font

HOURLY = ForecastConfig(interval_minutes=60, window_days=21)


def test_given_queues_with_and_without_backtest_when_rendered_then_png_written(
    tmp_path: Path,
) -> None:
    history = generate_history("2026-01-05", 28, 60, seed=1)
    model = fit_model(history, HOURLY)
    result = backtest(history, horizon_days=3, origins=1, config=HOURLY)
    path = render_forecast_chart(
        tmp_path / "chart.png",
        [
            ChartInput("售后", history, model.fitted, model.forecast(3), result),
            ChartInput("sales", history, model.fitted, model.forecast(3)),
        ],
        show_days=7,
    )
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000


def test_given_nothing_to_draw_when_rendered_then_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to draw"):
        render_forecast_chart(tmp_path / "chart.png", [])
    history = generate_history("2026-01-05", 14, 60, seed=1)
    model = fit_model(history, HOURLY)
    with pytest.raises(ValueError, match="show_days"):
        render_forecast_chart(
            tmp_path / "c.png", [ChartInput("q", history, model.fitted, model.forecast(1))], 0
        )
    assert not (tmp_path / "c.png").exists()


def test_given_fonts_when_cjk_font_asked_then_an_installed_family_or_none() -> None:
    from matplotlib import font_manager

    font = cjk_font()
    assert font is None or font in {f.name for f in font_manager.fontManager.ttflist}
