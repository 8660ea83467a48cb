"""A global model's early-stopping patience (issue 18 item 5, ``global_patience``): its epochs pass over every
series' windows, so it stops after fewer epochs without improvement than one series' network does."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest

from ml.forecast import ForecastConfig, NeuralForecaster
from ml.forecast import network as net
from ml.forecast.config import LEGACY_LEVERS
from ml.schema import ConfigError
from tests.unit.forecast.conftest import SMALL, make_series


def test_the_setting_is_checked_applies_to_a_global_model_only_and_old_configs_read_back_as_before():
    with pytest.raises(ConfigError):
        ForecastConfig(global_patience=-1).validate()
    legacy = {k: v for k, v in ForecastConfig().to_dict().items() if k != "global_patience"}
    assert ForecastConfig.from_dict(legacy).global_patience == 0 == LEGACY_LEVERS["global_patience"]
    config = ForecastConfig(patience=8, global_patience=3)
    assert ForecastConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.training_patience(40) == 3
    assert config.training_patience(1) == 8  # one series keeps the analyst's patience
    assert config.replace(global_model=False).training_patience(40) == 8  # so does each per-series model
    assert config.replace(global_patience=0).training_patience(40) == 8  # 0: the analyst's patience
    assert config.replace(global_patience=20).training_patience(40) == 8  # never more than the analyst's
    assert config.replace(patience=0).training_patience(40) == 0  # early stopping off stays off


def test_the_cli_sets_it():
    import argparse

    from ml.cli import add_forecast_arguments, forecast_config_from_args

    parser = argparse.ArgumentParser()
    add_forecast_arguments(parser)
    assert forecast_config_from_args(parser.parse_args(["x.csv", "--global-patience", "5"])).global_patience == 5
    assert forecast_config_from_args(parser.parse_args(["x.csv"])).global_patience == ForecastConfig().global_patience


@pytest.mark.slow
def test_a_global_model_stops_after_its_own_patience_when_validation_only_gets_worse(monkeypatch):
    # planted: the validation loss gets worse after every epoch, so the best epoch is the first and each network
    # trains 1 + its patience epochs (the patience counted from the best one)
    def worsening(counter):
        return lambda loss, target, predicted: float(next(counter))

    two = pd.concat([make_series(200, uid="a", seed=1), make_series(200, uid="b", seed=2, level=80.0)])
    config = SMALL.replace(epochs=20, patience=6, global_patience=2, combine="none")
    runs = {}
    for name, frame, cfg in (("global", two, config), ("one_series", two[two.unique_id == "a"], config),
                             ("global_off", two, config.replace(global_patience=0)),
                             ("per_series", two, config.replace(global_model=False))):
        monkeypatch.setattr(net, "numpy_loss", worsening(itertools.count()))
        fitted = NeuralForecaster(cfg).fit(frame)
        runs[name] = (fitted.epochs_run_, fitted.best_epoch_)
    assert runs["global"] == (1 + 2, 0)
    assert runs["one_series"] == (1 + 6, 0)
    assert runs["global_off"] == (1 + 6, 0)
    assert runs["per_series"] == (2 * (1 + 6), 0)  # two networks, each with the analyst's patience
