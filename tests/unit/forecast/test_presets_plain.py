"""The seeds' preset run through SalesLens is at least as accurate as the same recipe written plainly in Keras
(bench/plain_keras.py), on small planted series (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.families import multiplicative
from bench.plain_keras import plain_keras_forecast
from ml.forecast import get_preset, run_forecast
from ml.forecast.metrics import mae

pytestmark = pytest.mark.slow

# The article-2 recipe (MinMax, stacked LSTM, Dense(1) fed back, adam, MSE, batch 32), made small enough for a test.
REQUEST = {"window": 28, "layers": 2, "units": 16, "epochs": 10}
HORIZON = 14


def _ratios() -> list[float]:
    ratios = []
    for seed in (0, 1, 2):
        frame = multiplicative(seed, 420)[["unique_id", "ds", "y"]]
        config = get_preset("market_trend_lstm", "D", horizon=HORIZON, **REQUEST)
        ours = run_forecast(frame, config, baselines=False, refit=False).holdout["network"].to_numpy()
        y = frame["y"].to_numpy()
        plain, _ = plain_keras_forecast(y[:-HORIZON], HORIZON, **REQUEST, seed=seed)
        ratios.append(mae(y[-HORIZON:], ours) / mae(y[-HORIZON:], plain))
    return ratios


def test_preset_through_saleslens_is_at_least_as_accurate_as_plain_keras():
    ratios = _ratios()
    # measured MAE ratios SalesLens / plain on seeds 0, 1, 2: 0.51, 0.38, 0.38 (2026-11-30); a plain copy of the
    # script scores 1.0 and fails the first assertion
    assert np.median(ratios) < 0.9, ratios
    assert max(ratios) < 1.1, ratios
