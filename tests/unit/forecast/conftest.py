"""Shared planted-truth data for the forecasting tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.forecast import ForecastConfig

WEEKLY_PATTERN = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 40.0, -30.0])  # Monday..Sunday


def make_series(n: int = 300, uid: str = "s", seed: int = 1, noise: float = 3.0, trend: float = 0.2,
                level: float = 50.0, start: str = "2023-01-02") -> pd.DataFrame:
    """Strong weekly seasonality + linear trend + Gaussian noise (planted truth)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=n, freq="D")
    y = level + trend * np.arange(n) + WEEKLY_PATTERN[ds.day_of_week] + rng.normal(0, noise, n)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": y})


@pytest.fixture
def series() -> pd.DataFrame:
    return make_series()


# Small and fast: trains in a few seconds on 2 CPU cores (most of it XLA compilation).
SMALL = ForecastConfig(window=21, horizon=7, units=16, epochs=60, patience=10, batch_size=32, learning_rate=5e-3, seed=7)
