"""ml/forecast/shards.py in this process: the split run (the network as one task, the baselines in chunks) gives
exactly ``run_forecast``'s result, frame for frame; ``shards=N`` gives N global models, a different answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.engine import LocalEngine
from ml.forecast import ForecastConfig
from ml.forecast.pipeline import run_forecast
from ml.forecast.shards import BaselinePart, ShardedForecaster, forecast_many, shard_ids
from ml.schema import ConfigError
from tests.unit.forecast.conftest import make_series

TINY = ForecastConfig(window=14, horizon=7, units=8, epochs=3, patience=3, batch_size=32, learning_rate=5e-3, seed=5,
                      combine="none")
BASELINES = ("naive", "snaive", "ma", "ets")
FRAMES = ("scorecard", "summary", "history", "holdout", "future")


def planted(n: int = 5, days: int = 90) -> pd.DataFrame:
    """Series of different levels and trends with the weekly pattern (make_series' planted truth)."""
    return pd.concat([make_series(days, uid=f"P{i}", seed=i, level=30.0 + 20 * i, trend=0.1 * i) for i in range(n)],
                     ignore_index=True)


class Recording(LocalEngine):
    """The local engine, keeping what each task returned (to see that the split really ran)."""

    def __init__(self) -> None:
        self.returned: list = []

    def map(self, fn, items, on_result=None):
        out = super().map(fn, items, on_result)
        self.returned.extend(out)
        return out


def _json(result) -> str:
    payload = result.to_json_dict()
    for timing in ("total_seconds", "train_seconds"):
        payload.pop(timing)
    return json.dumps(payload, default=str)


@pytest.mark.slow
def test_split_run_is_run_forecast_to_the_last_bit_and_shards_are_not():
    series = planted()
    local = run_forecast(series, TINY, baselines=BASELINES, backtest_folds=1)
    engine = Recording()
    split = forecast_many(series, TINY, engine, baselines=BASELINES, backtest_folds=1, chunks=3)
    parts = [r for r in engine.returned if isinstance(r, BaselinePart)]
    assert len(engine.returned) == 4 and len(parts) == 3  # the network's task, then three chunks of series
    assert sorted(sid for p in parts for sid in p.models) == [f"P{i}" for i in range(5)]
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(split, name), getattr(local, name), check_exact=True, obj=name)
    assert split.metrics == local.metrics and _json(split) == _json(local)
    assert split.forecaster.models_.keys() == local.forecaster.models_.keys()  # one network: it can be saved
    # the old sharding on the same seed: two global models, each on its own series, another network
    sharded = forecast_many(series, TINY, LocalEngine(), shards=2, baselines=BASELINES, backtest_folds=1)
    assert isinstance(sharded.forecaster, ShardedForecaster) and len(sharded.forecaster.shards) == 2
    assert sharded.metrics["network"]["mase"] != pytest.approx(local.metrics["network"]["mase"], rel=1e-4)
    for model in BASELINES:  # fitted per series: no sharding moves them
        assert sharded.metrics[model] == local.metrics[model]


def test_bad_input_is_refused_before_any_task_runs():
    engine = Recording()
    short = planted(n=2, days=20)  # 20 days cannot hold a 14-day window and two 7-day folds
    with pytest.raises(ConfigError):
        forecast_many(short, TINY, engine, baselines=BASELINES, backtest_folds=1, chunks=2)
    with pytest.raises(ConfigError):
        forecast_many(planted(n=2), TINY, engine, baselines=BASELINES, interval_level=1.5, chunks=2)
    assert engine.returned == []


def test_series_are_dealt_into_non_empty_chunks():
    series = pd.DataFrame({"unique_id": list("cabdc"), "y": np.arange(5)})
    assert shard_ids(series, 3) == [["a", "d"], ["b"], ["c"]]
    assert shard_ids(series, 10) == [["a"], ["b"], ["c"], ["d"]]
