"""Everything a holdout interval uses comes from training rows: a negative value in the holdout (a return) must not
switch off the zero floor and move the bounds or the reported coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.forecast import run_forecast
from ml.forecast.pipeline import value_floor
from tests.unit.forecast.conftest import SMALL

pytestmark = pytest.mark.slow


def _slow_seller(n: int = 200, seed: int = 2) -> pd.DataFrame:
    """A product selling 0-4 a day: the interval's lower bound falls below zero, so the floor matters."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.DataFrame({"unique_id": "s", "ds": ds, "y": rng.poisson(1.2, n).astype(float)})


def test_a_negative_holdout_value_does_not_change_the_holdout_bounds():
    clean = _slow_seller()
    returned = clean.copy()
    returned.loc[returned.index[-2], "y"] = -3.0  # a return in the held-out week
    config = SMALL.replace(epochs=3, patience=0)
    a = run_forecast(clean, config, baselines=False, refit=False)
    b = run_forecast(returned, config, baselines=False, refit=False)
    assert value_floor(clean) == 0.0 and value_floor(returned) is None
    assert (a.holdout["lower"] == 0).any()  # the floor is active: some lower bounds were raised to zero
    np.testing.assert_array_equal(a.holdout["network"], b.holdout["network"])  # training rows are the same
    np.testing.assert_array_equal(a.holdout["lower"], b.holdout["lower"])
    np.testing.assert_array_equal(a.holdout["upper"], b.holdout["upper"])
