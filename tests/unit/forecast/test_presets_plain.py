"""The seeds' preset run through SalesLens is at least as accurate as the same recipe written plainly in Keras
(bench/plain_keras.py), on small planted series (issue 18)."""

from __future__ import annotations

import sys

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


@pytest.fixture(autouse=True)
def _seeds_without_tensorflow(monkeypatch):
    """Keras' own set_random_seed imports TensorFlow whenever it is installed, to seed it too: ~450 MB and 7 s that
    stayed in the test process for the rest of the suite. On JAX it seeds exactly what ml.keras_runtime's does
    (Python, NumPy, Keras' global seed; TensorFlow's seed reaches nothing a JAX model draws from)."""
    from ml.keras_runtime import load_keras, loaded_backend, set_random_seed

    keras = load_keras()
    if loaded_backend() == "jax":
        monkeypatch.setattr(keras.utils, "set_random_seed", set_random_seed)


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
    tensorflow_before = "tensorflow" in sys.modules
    ratios = _ratios()
    assert tensorflow_before or "tensorflow" not in sys.modules  # the comparison did not import TensorFlow
    # measured MAE ratios SalesLens / plain on seeds 0, 1, 2: 0.51, 0.38, 0.38 (2026-11-30); a plain copy of the
    # script scores 1.0 and fails the first assertion
    assert np.median(ratios) < 0.9, ratios
    assert max(ratios) < 1.1, ratios
