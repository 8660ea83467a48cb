"""Every forecaster through one shared suite (as the recommenders' ``RecommenderSuite``): the network types and the
baselines, each fitted on a short planted series through ``run_fold`` (the engine's one path from training rows
to holdout predictions).

The contract: one finite prediction per series and holdout date; the holdout's values never reach the model; the
planted truth is recovered to within a few noise standard deviations, where a forecaster that ignores the structure
it is asked to learn does not get; and the networks report progress events and stop when asked.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from ml.forecast import NETWORK, ForecastConfig, NeuralForecaster
from ml.forecast.data import future_dates
from ml.forecast.evaluation import fold_splits, run_fold
from ml.progress import Progress
from tests.unit.forecast.conftest import make_series

NOISE = 2.0
HORIZON = 7
# The plain network (no seasonal baseline, no smoothing blend, no Fourier terms): what is tested is the network.
PLAIN = ForecastConfig(window=14, horizon=HORIZON, units=12, epochs=40, patience=0, batch_size=32, learning_rate=1e-2,
                       baseline="none", combine="none", fourier_order=0, warm_start_epochs=0, seed=3)


def planted(kind: str, seed: int = 2) -> pd.DataFrame:
    """150 days: "weekly" = weekly pattern (range 70) + trend + noise; "level" = a constant level + noise;
    "shift" = the level jumps by 30 (15 noise sd) ten days before the holdout."""
    if kind == "weekly":
        return make_series(n=150, seed=seed, noise=NOISE, trend=0.1)
    y = 50.0 + np.random.default_rng(seed).normal(0, NOISE, 150)
    if kind == "shift":
        y[133:] += 30.0
    return pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2023-01-02", periods=150, freq="D"), "y": y})


def holdout_fold(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    _, train, actual = fold_splits(frame, HORIZON, 0)[0]
    return train, actual


class ForecasterSuite:
    """The contract every forecaster keeps. ``name``: a network type or a baseline; ``truth``: the planted series
    it must recover; ``max_error``: its MAE / noise sd on the holdout, with the measured spread beside it;
    ``ignores_truth``: a baseline that does not model the planted structure and must fail the same bound (None:
    none does, and the forecaster itself must fail it on ``unmodelled``, a series with structure it ignores)."""

    name = "naive"
    truth = "shift"
    max_error = 3.5
    ignores_truth: str | None = "ma"
    unmodelled = "weekly"

    @classmethod
    def network(cls) -> bool:
        return cls.name not in ("naive", "snaive", "ma", "ets", "arima")

    @classmethod
    def predict(cls, train: pd.DataFrame, actual: pd.DataFrame, name: str | None = None) -> np.ndarray:
        name = name or cls.name
        if name in ("naive", "snaive", "ma", "ets", "arima"):
            return run_fold("holdout", train, actual, "D", PLAIN, (name,), network=False).predictions[name].to_numpy()
        config = PLAIN.replace(model_type=name)
        return run_fold("holdout", train, actual, "D", config, (), network=True).predictions[NETWORK].to_numpy()

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls):
        train, actual = holdout_fold(planted(cls.truth))
        return train, actual, cls.predict(train, actual)

    def test_one_finite_prediction_per_holdout_date(self, fitted):
        train, actual, prediction = fitted
        assert prediction.shape == (HORIZON,) and np.isfinite(prediction).all()
        assert list(actual["ds"]) == list(future_dates(train["ds"].iloc[-1], "D", HORIZON))

    def test_the_holdout_values_never_reach_the_model(self, fitted):
        train, actual, prediction = fitted
        scrambled = actual.assign(y=actual["y"].to_numpy()[::-1] * 10 + 1000.0)
        np.testing.assert_allclose(self.predict(train, scrambled), prediction, rtol=0.01)

    def test_recovers_the_planted_truth(self, fitted):
        _, actual, prediction = fitted
        error = float(np.mean(np.abs(actual["y"].to_numpy() - prediction))) / NOISE
        assert error <= self.max_error, error

    def test_a_forecaster_that_ignores_the_truth_fails_the_same_bound(self, fitted):
        train, actual, _ = fitted
        if self.ignores_truth is None:
            train, actual = holdout_fold(planted(self.unmodelled))
        other = self.predict(train, actual, self.ignores_truth)
        error = float(np.mean(np.abs(actual["y"].to_numpy() - other))) / NOISE
        assert error > self.max_error, error

    def test_reports_epochs_and_stops_when_asked(self, fitted):
        if not self.network():
            pytest.skip("a baseline is one closed-form fit: no epochs to report or stop between")
        train, _, _ = fitted
        stop, seen = threading.Event(), []

        def on_progress(event):
            seen.append(event)
            if event.done == 2:
                stop.set()

        model = NeuralForecaster(PLAIN.replace(model_type=self.name, epochs=50)).fit(train, Progress(on_progress, stop))
        assert [(e.step, e.done, e.total) for e in seen] == [("epoch", 1, 50), ("epoch", 2, 50)]
        assert all(np.isfinite(e.metrics["loss"]) and "val_loss" in e.metrics for e in seen)
        assert model.cancelled_ and model.epochs_run_ == 2
        assert np.isfinite(model.predict(train)["yhat"]).all()  # the best weights so far still forecast


# MAE / noise sd on the holdout of the planted series, over series seeds 1-5 or 1-6 (2 here), JAX on CPU.
# The "weekly" series: naive 6.97-7.26 and ma 7.01-7.54, far above every bound set for it below.


class TestNaive(ForecasterSuite):
    name, truth, ignores_truth = "naive", "shift", "ma"
    max_error = 3.5  # shift series: measured 0.43-2.74 (seeds 1-6); ma, which averages the old level in: 9.16-9.96


class TestMovingAverage(ForecasterSuite):
    # On a constant level every baseline recovers the level (naive 0.43-2.74, snaive 0.96-1.44), so none ignores
    # it: the negative case is ma itself on the weekly series (7.01-7.54).
    name, truth, ignores_truth, unmodelled = "ma", "level", None, "weekly"
    max_error = 2.0  # level series: measured 0.46-1.19 (seeds 1-6)


class TestSeasonalNaive(ForecasterSuite):
    name, truth, ignores_truth = "snaive", "weekly", "naive"
    max_error = 3.0  # weekly series: measured 0.98-1.56


class TestETS(ForecasterSuite):
    name, truth, ignores_truth = "ets", "weekly", "naive"
    max_error = 3.0  # weekly series: measured 0.38-1.30


class TestARIMA(ForecasterSuite):
    name, truth, ignores_truth = "arima", "weekly", "naive"
    max_error = 3.0  # weekly series: measured 0.45-1.24


class TestLSTM(ForecasterSuite):
    name, truth, ignores_truth = "lstm", "weekly", "naive"
    max_error = 4.0  # weekly series: measured 1.02-2.39


class TestGRU(ForecasterSuite):
    name, truth, ignores_truth = "gru", "weekly", "naive"
    max_error = 4.0  # weekly series: measured 0.92-2.12


class TestSimpleRNN(ForecasterSuite):
    name, truth, ignores_truth = "rnn", "weekly", "naive"
    max_error = 4.0  # weekly series: measured 1.00-2.29


class TestCNN(ForecasterSuite):
    name, truth, ignores_truth = "cnn", "weekly", "naive"
    max_error = 4.0  # weekly series: measured 1.18-2.08
