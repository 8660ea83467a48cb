"""Time levers of issue 18 item 5: the future forecast from the holdout model as it is (``future_fit``) and a global
model's stride over its overlapping training windows (``window_stride``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.forecast import ForecastConfig, NeuralForecaster, load_bundle, run_forecast, save_bundle
from ml.forecast import network as net
from ml.forecast.data import fingerprint, prepare_frame
from ml.schema import ConfigError
from tests.unit.forecast.conftest import SMALL, make_series


def test_the_settings_are_checked_and_old_configs_read_back_as_before():
    with pytest.raises(ConfigError):
        ForecastConfig(future_fit="sometimes").validate()
    with pytest.raises(ConfigError):
        ForecastConfig(window_stride=0).validate()
    legacy = {k: v for k, v in ForecastConfig().to_dict().items() if k not in ("future_fit", "window_stride")}
    old = ForecastConfig.from_dict(legacy)
    assert old.future_fit == "retrain" and old.window_stride == 1
    config = ForecastConfig(future_fit="holdout_model", window_stride=3)
    assert ForecastConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    # the stride applies only to a global model over several series
    assert config.training_stride(40) == 3
    assert config.training_stride(1) == 1
    assert config.replace(global_model=False).training_stride(40) == 1


@pytest.mark.slow
def test_the_future_from_the_holdout_model_leaves_the_holdout_scores_and_reads_the_latest_window():
    frame = make_series(300, seed=3)
    config = SMALL.replace(epochs=4, patience=0, warm_start_epochs=2, combine="none")
    retrained = run_forecast(frame, config, baselines=("snaive",))
    reused = run_forecast(frame, config.replace(future_fit="holdout_model"), baselines=("snaive",))
    # the holdout scores do not depend on how the future is forecast
    pd.testing.assert_frame_equal(retrained.scorecard, reused.scorecard)
    pd.testing.assert_frame_equal(retrained.holdout, reused.holdout)
    assert retrained.epochs_run == 4 + 2 and reused.epochs_run == 4
    # the future of "holdout_model" comes from the model that never saw the holdout ...
    model = reused.forecaster
    train = frame.iloc[:-config.horizon]
    assert model.fingerprint_ == fingerprint(prepare_frame(train)[0])
    # ... forecasting from the latest window, the holdout period included: its forecast is what it reads there
    np.testing.assert_allclose(reused.future["yhat"], model.predict(frame)["yhat"], rtol=1e-6)
    moved = frame.assign(y=np.where(np.arange(len(frame)) >= len(frame) - config.horizon, frame["y"] + 40, frame["y"]))
    assert (model.predict(moved)["yhat"].to_numpy() - model.predict(frame)["yhat"].to_numpy()).mean() > 5
    # the retrained future is another model's (trained on every row)
    assert not np.allclose(retrained.future["yhat"], reused.future["yhat"])
    assert reused.config.future_fit == "holdout_model"
    record = json.loads(json.dumps({"config": reused.config.to_dict()}))  # what a saved run keeps
    assert ForecastConfig.from_dict(record["config"]).future_fit == "holdout_model"


@pytest.mark.slow
def test_a_global_model_trains_on_every_kth_window_and_a_bundle_keeps_the_stride(tmp_path, monkeypatch):
    frame = pd.concat([make_series(260, uid="a", seed=1), make_series(260, uid="b", seed=2, level=80.0)])
    config = SMALL.replace(epochs=2, patience=0)
    seen: list[tuple[int, int]] = []  # (training windows, validation windows) of each training
    train = net.train_network

    def recording(model, inputs, target, val_inputs, val_target, run_config, progress=None):
        seen.append((len(target), 0 if val_target is None else len(val_target)))
        return train(model, inputs, target, val_inputs, val_target, run_config, progress)

    monkeypatch.setattr(net, "train_network", recording)
    NeuralForecaster(config).fit(frame)
    fitted = NeuralForecaster(config.replace(window_stride=3)).fit(frame)
    (every, val_every), (strided, val_strided) = seen
    per_series = every // 2
    assert strided == 2 * len(range(0, per_series, 3)) and val_strided == val_every  # validation: every window
    NeuralForecaster(config.replace(window_stride=3)).fit(frame[frame.unique_id == "a"])
    assert seen[-1][0] == per_series  # one series: every window

    save_bundle(fitted, tmp_path / "bundle")
    loaded = load_bundle(tmp_path / "bundle")
    assert loaded.config.window_stride == 3 and loaded.config == fitted.config
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], fitted.predict(frame)["yhat"], rtol=1e-5)


@pytest.mark.slow
def test_the_baselines_overlap_the_training_of_one_series_only(monkeypatch):
    from ml.forecast import pipeline

    pools: list[int] = []
    real = pipeline.ThreadPoolExecutor

    def recording(*args, **kwargs):
        pools.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ThreadPoolExecutor", recording)
    config = SMALL.replace(epochs=1, patience=0, combine="none", warm_start_epochs=1)
    one = make_series(200, uid="a", seed=1)
    two = pd.concat([one, make_series(200, uid="b", seed=2, level=80.0)])
    run_forecast(one, config, baselines=("snaive",))
    assert pools == [1]  # one series: the baselines on a thread beside the network
    serial = run_forecast(two, config, baselines=("snaive",))
    assert pools == [1]  # several series: after the network (their fits would starve its training loop)
    overlapped = run_forecast(two, config, baselines=("snaive",), overlap_baselines=True)
    assert pools == [1, 1]
    pd.testing.assert_frame_equal(serial.scorecard, overlapped.scorecard)  # same results either way
