"""Interval forecasting of contact volumes: the public entry point.

Fit a Poisson GLM with weekday × time-of-day seasonality and learned event-day uplifts
(:func:`fit_model`, :func:`forecast`) while leaving missing days and holidays out
(:func:`find_special_days`), score it with a rolling-origin backtest against the
seasonal-naive baseline and the Poisson noise floor (:func:`backtest`), read histories,
events and holidays from CSV
(:func:`load_history`, :func:`load_events`), make realistic histories to try it
(:func:`generate_history`) and draw forecast-vs-actual charts
(:func:`render_forecast_chart`). Times are naive local timestamps at interval starts;
volumes are contacts per interval.
"""

from __future__ import annotations

from kefu.workforce.forecast_backtest import (
    BacktestPath,
    BacktestResult,
    HorizonScore,
    Score,
    backtest,
    mape,
    poisson_mae,
    seasonal_naive,
    wape,
)
from kefu.workforce.forecast_chart import ChartInput, render_forecast_chart
from kefu.workforce.forecast_days import (
    SpecialDays,
    find_special_days,
    load_holidays,
    parse_holiday,
)
from kefu.workforce.forecast_history import generate_history, intraday_shape, monthly_events
from kefu.workforce.forecast_io import (
    DEFAULT_QUEUE,
    history_from_frame,
    load_events,
    load_history,
    parse_event,
    staffing_frame,
)
from kefu.workforce.forecast_model import ForecastModel, fit_model, forecast
from kefu.workforce.forecast_types import (
    MIN_HISTORY_DAYS,
    Event,
    Forecast,
    ForecastConfig,
    ForecastError,
    check_history,
)

__all__ = [
    "DEFAULT_QUEUE",
    "MIN_HISTORY_DAYS",
    "BacktestPath",
    "BacktestResult",
    "ChartInput",
    "Event",
    "Forecast",
    "ForecastConfig",
    "ForecastError",
    "ForecastModel",
    "HorizonScore",
    "Score",
    "SpecialDays",
    "backtest",
    "check_history",
    "find_special_days",
    "fit_model",
    "forecast",
    "generate_history",
    "history_from_frame",
    "intraday_shape",
    "load_events",
    "load_history",
    "load_holidays",
    "mape",
    "monthly_events",
    "parse_event",
    "parse_holiday",
    "poisson_mae",
    "render_forecast_chart",
    "seasonal_naive",
    "staffing_frame",
    "wape",
]
