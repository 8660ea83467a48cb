"""Windowing and scaling: exact rows, no leakage, training-rows-only scalers, inverse round trip."""

import numpy as np
import pytest

from ml.forecast.data import prepare_frame
from ml.forecast.evaluation import fold_splits
from ml.forecast.windows import fit_scaler, make_windows, split_train_validation
from tests.unit.forecast.conftest import make_series


def test_windows_hold_the_right_rows():
    y = np.arange(1.0, 21.0)  # 1..20
    cal = np.arange(20.0)[:, None]
    w = make_windows(y, cal, cal, window=5, steps=3, scaler=fit_scaler(y, "minmax"))
    assert len(w) == 20 - 5 - 3 + 1
    raw_inputs = w.past[:, :, 0] * w.scale[:, None] + w.loc[:, None]
    raw_target = w.target * w.scale[:, None] + w.loc[:, None]
    np.testing.assert_allclose(raw_inputs[2], y[2:7], rtol=1e-6)
    np.testing.assert_allclose(raw_target[2], y[7:10], rtol=1e-6)
    np.testing.assert_allclose(w.past[2, :, 1], cal[2:7, 0])  # past features of the look-back rows
    np.testing.assert_allclose(w.future[2, :, 0], cal[7:10, 0])  # calendar of the target rows
    np.testing.assert_allclose(raw_target[-1], y[-3:], rtol=1e-6)  # last window ends at the last row


@pytest.mark.parametrize("kind", ["window_mean", "minmax", "standard"])
def test_inverse_scaling_round_trip(kind):
    rng = np.random.default_rng(0)
    y = rng.gamma(2.0, 50.0, 200)
    w = make_windows(y, np.zeros((200, 0)), np.zeros((200, 0)), 14, 7, fit_scaler(y, kind))
    back = w.past[:, :, 0].astype(np.float64) * w.scale[:, None] + w.loc[:, None]
    np.testing.assert_allclose(back[0], y[:14], rtol=1e-5)
    target_back = w.target.astype(np.float64) * w.scale[:, None] + w.loc[:, None]
    np.testing.assert_allclose(target_back[5], y[19:26], rtol=1e-5)
    if kind == "window_mean":
        np.testing.assert_allclose(np.abs(w.past[:, :, 0]).mean(axis=1), 1.0, rtol=1e-5)
    if kind == "minmax":
        assert w.past[:, :, 0].min() == pytest.approx(0.0, abs=1e-6)
        assert w.past[:, :, 0].max() == pytest.approx(1.0, abs=1e-6)


def test_validation_windows_do_not_share_targets_with_training_windows():
    train, val = split_train_validation(100, 0.2, steps=7)
    assert len(val) == 20 and val[0] == 80
    # window i targets rows i+W .. i+W+6: the last training window's targets end before the first validation target
    assert train[-1] + 6 < val[0]


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_scaler_and_windows_never_see_the_holdout(kind):
    df = make_series(120)
    df.loc[df.index[-3], "y"] = 1e9  # planted in the holdout
    frame, _ = prepare_frame(df)
    folds = fold_splits(frame, horizon=7, backtest_folds=2)
    for _, train, actual in folds:
        assert train.ds.max() < actual.ds.min()
        assert train.y.max() < 1e6
        scaler = fit_scaler(train.y.to_numpy(), kind)
        assert abs(scaler.loc) < 1e3 and scaler.scale < 1e3
        w = make_windows(train.y.to_numpy(), np.zeros((len(train), 0)), np.zeros((len(train), 0)), 14, 7, scaler)
        assert np.abs(w.target * w.scale[:, None] + w.loc[:, None]).max() < 1e6
    holdout_actual = folds[0][2]
    assert holdout_actual.y.max() == 1e9
    # backtest folds sit back to back before the holdout
    assert folds[1][2].ds.max() < folds[0][2].ds.min() and folds[2][2].ds.max() < folds[1][2].ds.min()
