"""Each metric against values computed by hand."""

import math

import numpy as np
import pytest

from ml.forecast.metrics import coverage, mae, mape, mase, rmse, seasonal_naive_scale, smape

ACTUAL = [10.0, 0.0, 20.0, 5.0]
FORECAST = [12.0, 1.0, 15.0, 5.0]


def test_mae_rmse():
    assert mae(ACTUAL, FORECAST) == pytest.approx((2 + 1 + 5 + 0) / 4)
    assert rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt((4 + 1 + 25 + 0) / 4))


def test_mape_ignores_zero_actuals_and_is_nan_without_any():
    assert mape(ACTUAL, FORECAST) == pytest.approx(100 * (2 / 10 + 5 / 20 + 0 / 5) / 3)
    assert math.isnan(mape([0.0, 0.0], [1.0, 2.0]))


def test_smape_scale_and_zero_over_zero():
    # 200|a-f|/(|a|+|f|): 400/22, 200/1, 1000/35, 0
    expected = (400 / 22 + 200 + 1000 / 35 + 0) / 4
    assert smape(ACTUAL, FORECAST) == pytest.approx(expected)
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0  # 0/0 counts as 0
    assert smape([0.0], [3.0]) == pytest.approx(200.0)


def test_mase_uses_seasonal_naive_in_sample_scale():
    history = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]  # m=3: |2-1|,|4-2|,|6-3| -> mean 2
    assert seasonal_naive_scale(history, 3) == pytest.approx(2.0)
    assert mase([5.0, 7.0], [6.0, 4.0], history, 3) == pytest.approx(((1 + 3) / 2) / 2.0)


def test_mase_falls_back_to_naive_when_history_is_short():
    history = [1.0, 3.0, 2.0]  # m=7 is longer than history -> m=1: |3-1|,|2-3| -> 1.5
    assert seasonal_naive_scale(history, 7) == pytest.approx(1.5)
    assert mase([2.0], [5.0], history, 7) == pytest.approx(3 / 1.5)


def test_mase_nan_when_history_is_flat():
    assert math.isnan(mase([1.0], [2.0], [3.0, 3.0, 3.0], 1))


def test_coverage():
    assert coverage([1, 5, 10, 3], [0, 6, 9, 3], [2, 7, 11, 4]) == pytest.approx(0.75)


def test_length_mismatch_raises():
    with pytest.raises(ValueError):
        mae(np.ones(3), np.ones(4))
