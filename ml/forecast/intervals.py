"""Split-conformal prediction intervals, one width per horizon step.

Residuals come from forecasts the model did not train on (backtest folds, or the validation windows of the
training run), each divided by the mean absolute level of its input window so that series of different sizes
share one calibration set and a level shift widens the interval. For a level 1 - alpha the width of step h is the
ceil((n + 1)(1 - alpha))-th smallest |residual| at step h (the finite-sample conformal quantile); with too few
residuals for that rank the largest is used and ``reliable`` is False.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConformalWidths:
    """Per-step half-widths in units of the window level, at one nominal coverage level."""

    level: float
    widths: np.ndarray  # [horizon]
    n_calibration: int
    reliable: bool

    def apply(self, yhat: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds for forecasts yhat [n, horizon] with input-window levels scale [n]."""
        half = np.asarray(scale, dtype=np.float64)[:, None] * self.widths[None, :]
        return yhat - half, yhat + half


def fit_conformal(residuals: np.ndarray, level: float) -> ConformalWidths:
    """Conformal half-widths from scaled residuals [n, horizon] (NaN rows ignored per step)."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    res = np.abs(np.asarray(residuals, dtype=np.float64))
    if res.ndim != 2 or res.shape[0] == 0:
        raise ValueError("need at least one calibration residual per step")
    widths = np.empty(res.shape[1])
    reliable = True
    n_min = res.shape[0]
    for h in range(res.shape[1]):
        column = np.sort(res[:, h][np.isfinite(res[:, h])])
        n = column.size
        n_min = min(n_min, n)
        if n == 0:
            widths[h] = np.nan
            reliable = False
            continue
        rank = _rank(n, level)
        if rank > n:
            rank, reliable = n, False
        widths[h] = column[rank - 1]
    return ConformalWidths(level=level, widths=widths, n_calibration=int(n_min), reliable=reliable)


def min_calibration_size(level: float) -> int:
    """Fewest residuals per step for which the conformal quantile at ``level`` is finite."""
    n = 1
    while _rank(n, level) > n:
        n += 1
    return n


def _rank(n: int, level: float) -> int:
    return math.ceil((n + 1) * level - 1e-9)


def cross_conformal_coverage(residuals_by_fold: list[np.ndarray], level: float) -> float:
    """Achieved coverage when each fold is covered by widths calibrated on the other folds (NaN if < 2 folds)."""
    folds = [np.asarray(r, dtype=np.float64) for r in residuals_by_fold if len(r)]
    if len(folds) < 2:
        return float("nan")
    inside, total = 0, 0
    for i, fold in enumerate(folds):
        calib = np.concatenate([f for j, f in enumerate(folds) if j != i])
        widths = fit_conformal(calib, level).widths
        ok = np.abs(fold) <= widths[None, :]
        inside += int(ok[np.isfinite(fold)].sum())
        total += int(np.isfinite(fold).sum())
    return inside / total if total else float("nan")
