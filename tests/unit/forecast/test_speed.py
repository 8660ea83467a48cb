"""Training-speed settings (issue 18, "Time"): the global model's batch (``global_batch_size``) and what stays the
analyst's (a single series, per-series models); the setting's round trip through a run record and a bundle."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.forecast import ForecastConfig, NeuralForecaster, load_bundle, save_bundle
from ml.forecast import network as net
from ml.forecast.config import MIN_STEPS_PER_EPOCH
from tests.unit.forecast.conftest import SMALL, make_series


def test_only_a_global_model_over_several_series_takes_the_larger_batch():
    config = ForecastConfig(batch_size=32, global_batch_size=128)
    many = 128 * MIN_STEPS_PER_EPOCH  # the 40-product sample has ~21,000 training windows
    assert config.training_batch(many, 40) == 128
    assert config.training_batch(60 * MIN_STEPS_PER_EPOCH, 12) == 60  # an epoch keeps 100 steps
    assert config.training_batch(10 * MIN_STEPS_PER_EPOCH, 12) == 32  # never below the analyst's batch
    assert config.training_batch(many, 1) == 32  # one series: the analyst's batch
    assert config.replace(global_model=False).training_batch(many, 40) == 32  # one network per series
    assert config.replace(global_batch_size=0).training_batch(many, 40) == 32  # off
    assert config.replace(batch_size=256).training_batch(many, 40) == 256  # a larger batch set by hand stays


@pytest.mark.slow
def test_a_global_model_trains_with_its_batch_and_a_bundle_and_a_run_keep_the_setting(tmp_path, monkeypatch):
    frame = pd.concat([make_series(260, uid="a", seed=1), make_series(260, uid="b", seed=2, level=80.0)])
    config = SMALL.replace(epochs=2, batch_size=2, global_batch_size=4)
    seen: list[int] = []
    train = net.train_network

    def recording(model, inputs, target, val_inputs, val_target, run_config, progress=None):
        seen.append(run_config.batch_size)
        return train(model, inputs, target, val_inputs, val_target, run_config, progress)

    monkeypatch.setattr(net, "train_network", recording)
    fitted = NeuralForecaster(config).fit(frame)
    per_series = 260 - config.window - config.horizon + 1  # direct head: horizon-long targets
    windows = 2 * (per_series - round(per_series * config.validation_split) - (config.horizon - 1))
    expected = config.training_batch(windows, 2)
    assert 2 < expected <= 4 and seen == [expected] and fitted.batch_sizes_ == {"__global__": expected}
    alone = NeuralForecaster(config).fit(frame[frame.unique_id == "a"])  # one series: the analyst's batch
    assert seen[-1] == 2 and alone.batch_sizes_ == {"__global__": 2}

    save_bundle(fitted, tmp_path / "bundle")
    loaded = load_bundle(tmp_path / "bundle")
    assert loaded.config.global_batch_size == 4 and loaded.config == fitted.config
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], fitted.predict(frame)["yhat"], rtol=1e-5)
    record = json.loads(json.dumps({"config": config.to_dict()}))  # what a saved run keeps of the config
    assert ForecastConfig.from_dict(record["config"]) == config
