"""Price what-if on the forecast: a baseline forecast of a product's weekly units (ETS from ml.forecast, seasonal
naive when ETS fails), and the same forecast moved to another price with the elasticity:

    units at price p = baseline × (p / current price)^ε

No network is involved: the Forecast page's networks are trained on demand, so the what-if uses the classical
baseline that can be fitted in about a second, and says which model produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.forecast.baselines import ets, seasonal_naive
from ml.forecast.data import future_dates
from ml.schema import Col, DataError
from ml.series import make_series

FREQ = "W-MON"
SEASON = 52
MIN_WEEKS = 8


@dataclass
class PriceForecast:
    """``history``: ds, y (weekly units, up to a year). ``forecast``: ds, at_current, at_suggested, low, high (the
    suggested-price curve under the ends of the elasticity's interval)."""

    product_id: str
    history: pd.DataFrame
    forecast: pd.DataFrame
    method: str
    fallback: bool
    current_price: float
    suggested_price: float


def weekly_units(frame: pd.DataFrame, product_id: str, filters=None) -> pd.DataFrame:
    """Complete weeks of one product's units (a last, partial week is left out: it would pull the level down).
    ``filters`` narrow a saved dataset queried in place (``ml.pushdown``; a frame comes filtered already)."""
    series = make_series(frame, "units", f"product:{product_id}", "W", filters)[["ds", "y"]]
    if isinstance(frame, pd.DataFrame):
        end = pd.Timestamp(frame[Col.DATE].max()).normalize()
    else:
        from ml.pushdown.explore import query_last_day

        end = query_last_day(frame, filters)
    if len(series) and series["ds"].iloc[-1] + pd.Timedelta(days=6) > end:
        series = series.iloc[:-1]
    return series.reset_index(drop=True)


@dataclass
class BaselineForecast:
    """A product's weekly units (``history``) and its forecast at today's price (``forecast``: ds, baseline)."""

    product_id: str
    history: pd.DataFrame
    forecast: pd.DataFrame
    method: str
    fallback: bool


def baseline_forecast(frame: pd.DataFrame, product_id: str, horizon: int = 8, filters=None) -> BaselineForecast:
    """The classical forecast the what-if moves: it depends on the data only, not on the prices compared."""
    series = weekly_units(frame, product_id, filters)
    if len(series) < MIN_WEEKS:
        raise DataError("pricing.error.short_history", weeks=len(series), needed=MIN_WEEKS)
    y = series["y"].to_numpy(dtype=float)
    try:
        baseline, method = ets(y, horizon, SEASON)
        fallback = False
    except Exception:  # statsmodels raises many types; the what-if still needs a baseline
        baseline, method, fallback = seasonal_naive(y, horizon, SEASON), "seasonal naive", True
    out = pd.DataFrame({"ds": future_dates(series["ds"].iloc[-1], FREQ, horizon),
                        "baseline": np.clip(baseline, 0.0, None)})
    return BaselineForecast(product_id, series.tail(SEASON).reset_index(drop=True), out, method, fallback)


def at_prices(base: BaselineForecast, current_price: float, suggested_price: float, elasticity: float,
              ci: tuple[float, float] | None = None) -> PriceForecast:
    """The baseline at the current price and moved to the suggested one with the elasticity (and its interval)."""
    baseline = base.forecast["baseline"].to_numpy()
    ratio = suggested_price / current_price
    out = pd.DataFrame({"ds": base.forecast["ds"], "at_current": baseline, "at_suggested": baseline * ratio ** elasticity})
    if ci is not None and all(np.isfinite(ci)):
        ends = np.stack([baseline * ratio ** e for e in ci])
        out["low"], out["high"] = ends.min(axis=0), ends.max(axis=0)
    else:
        out["low"] = out["high"] = np.nan
    return PriceForecast(base.product_id, base.history, out, base.method, base.fallback,
                         float(current_price), float(suggested_price))


def forecast_at_prices(frame: pd.DataFrame, product_id: str, current_price: float, suggested_price: float,
                       elasticity: float, ci: tuple[float, float] | None = None, horizon: int = 8) -> PriceForecast:
    return at_prices(baseline_forecast(frame, product_id, horizon), current_price, suggested_price, elasticity, ci)
