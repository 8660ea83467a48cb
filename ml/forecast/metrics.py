"""Forecast accuracy metrics, in plain NumPy (scikit-learn would add a 2.5 s import for two one-liners).

Conventions (the same as realdata/README.md's baseline scores, so numbers compare):
- MAPE ignores zero actuals and is NaN when every actual is zero; reported in percent.
- sMAPE is on the 0-200 scale; a step where actual and forecast are both 0 counts as 0.
- MASE divides MAE by the in-sample MAE of the seasonal naive forecast with season length m (7 daily,
  52 weekly, 12 monthly); when the history has no more than m points, m = 1 (naive) is used instead.
"""

from __future__ import annotations

import numpy as np

ArrayLike = np.ndarray | list[float]


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=np.float64).ravel()
    f = np.asarray(forecast, dtype=np.float64).ravel()
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.shape} vs {f.shape}")
    return a, f


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(a - f))) if a.size else float("nan")


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2))) if a.size else float("nan")


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error (%) over non-zero actuals; NaN when there are none."""
    a, f = _pair(actual, forecast)
    mask = a != 0
    if not mask.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs((a[mask] - f[mask]) / a[mask])))


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric MAPE on the 0-200 scale: mean of 200 |a - f| / (|a| + |f|), with 0/0 counted as 0."""
    a, f = _pair(actual, forecast)
    if not a.size:
        return float("nan")
    denom = np.abs(a) + np.abs(f)
    ratio = np.divide(200.0 * np.abs(a - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(np.mean(ratio))


def seasonal_naive_scale(history: ArrayLike, m: int) -> float:
    """In-sample MAE of the seasonal naive forecast (y_t - y_{t-m}); m falls back to 1 for short histories."""
    y = np.asarray(history, dtype=np.float64).ravel()
    if m < 1 or y.size <= m:
        m = 1
    if y.size <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def mase(actual: ArrayLike, forecast: ArrayLike, history: ArrayLike, m: int) -> float:
    """Mean absolute scaled error: MAE / seasonal_naive_scale(history, m); NaN if the scale is 0."""
    scale = seasonal_naive_scale(history, m)
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return mae(actual, forecast) / scale


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of actuals inside [lower, upper] (0-1)."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    lo = np.asarray(lower, dtype=np.float64).ravel()
    hi = np.asarray(upper, dtype=np.float64).ravel()
    if not a.size:
        return float("nan")
    return float(np.mean((a >= lo) & (a <= hi)))


METRIC_NAMES: tuple[str, ...] = ("mae", "rmse", "mape", "smape", "mase")


def score(actual: ArrayLike, forecast: ArrayLike, history: ArrayLike, m: int) -> dict[str, float]:
    """All point metrics for one series and one model."""
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "mape": mape(actual, forecast),
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, history, m),
    }
