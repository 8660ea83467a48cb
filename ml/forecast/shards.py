"""Many series on an engine: the series are split into shards, each shard is one ``run_forecast`` (one global model,
or one model per series, with its baselines) run by ``engine.map``, and the shards' results are joined into one
``ForecastResult`` of the same shape.

One shard (the default on the local engine) is exactly ``run_forecast`` on every series. On Ray the default is one
shard per CPU of the cluster: a global model then learns from its shard's series only, which changes the network's
metrics by about the noise between seeds (tests/unit/test_engine_ray.py measures both); the baselines are fitted per
series and do not change at all. Per-series models (``global_model=False``) do not depend on the sharding.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.engine import Engine, LocalEngine
from ml.forecast.config import ForecastConfig
from ml.forecast.data import DS, ID, Y
from ml.forecast.evaluation import aggregate_metrics, make_verdicts
from ml.forecast.metrics import coverage
from ml.forecast.pipeline import ForecastResult, run_forecast
from ml.progress import Progress, ProgressSink


@dataclass
class ShardedForecaster:
    """The shards' forecasters side by side: enough for the result's JSON, runs and the search (models, epochs,
    network shares, backend); each shard's own forecaster predicts its series."""

    shards: list[Any]
    models_: dict[str, Any] = field(init=False)
    combine_weights_: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.models_ = {f"{i}:{key}": model for i, f in enumerate(self.shards)
                        for key, model in getattr(f, "models_", {}).items()}
        self.combine_weights_ = {k: v for f in self.shards for k, v in getattr(f, "combine_weights_", {}).items()}

    @property
    def epochs_run_(self) -> int:
        return sum(int(getattr(f, "epochs_run_", 0)) for f in self.shards)

    @property
    def backend_(self) -> str:
        return str(getattr(self.shards[0], "backend_", "jax"))

    @property
    def history_(self) -> dict[str, list[float]]:
        return getattr(self.shards[0], "history_", {})


def shard_ids(series: pd.DataFrame, shards: int) -> list[list[str]]:
    """Series ids dealt round-robin (sorted) into at most ``shards`` non-empty shards."""
    ids = sorted(series[ID].astype(str).unique())
    n = max(1, min(int(shards), len(ids)))
    return [ids[i::n] for i in range(n)]


def forecast_shard(frame: pd.DataFrame, config: ForecastConfig, baselines: bool | tuple[str, ...],
                    backtest_folds: int, interval_level: float, refit: bool,
                    progress: ProgressSink | None = None, deadline: float | None = None) -> ForecastResult:
    """One shard's ``run_forecast``. On a remote worker there is no progress sink to share: without one,
    ``deadline`` (wall-clock seconds) sets the stop of a local ``Progress`` the way the caller's stop does."""
    if progress is None and deadline is not None:
        progress = Progress(stop=_deadline_event(deadline))
    return run_forecast(frame, config, baselines=baselines, backtest_folds=backtest_folds, progress=progress,
                        interval_level=interval_level, refit=refit)


def _deadline_event(deadline: float) -> threading.Event:
    event = threading.Event()
    timer = threading.Timer(max(0.0, deadline - time.time()), event.set)
    timer.daemon = True
    timer.start()
    return event


def forecast_many(series: pd.DataFrame, config: ForecastConfig | None = None, engine: Engine | None = None,
                  shards: int | None = None, baselines: bool | tuple[str, ...] = True, backtest_folds: int = 0,
                  progress: ProgressSink | None = None, interval_level: float = 0.9, refit: bool = True,
                  deadline: float | None = None) -> ForecastResult:
    """``run_forecast`` over shards of ``series`` on ``engine`` (local: one shard, today's path). ``progress``
    (events and stop) reaches the trainings on the local engine only; on Ray, ``deadline`` (``time.time()``
    seconds) stops them."""
    engine = engine or LocalEngine()
    config = config if config is not None else ForecastConfig()
    local = isinstance(engine, LocalEngine)
    parts = shard_ids(series, shards or (1 if local else engine.workers))
    frames = [series] if len(parts) == 1 else [series.loc[series[ID].astype(str).isin(ids)] for ids in parts]
    task = functools.partial(forecast_shard, config=config, baselines=baselines, backtest_folds=backtest_folds,
                             interval_level=interval_level, refit=refit, deadline=deadline,
                             progress=progress if local else None)
    started = time.perf_counter()
    results = engine.map(task, frames)
    return join_results(results, time.perf_counter() - started)


def join_results(results: list[ForecastResult], seconds: float) -> ForecastResult:
    """One ``ForecastResult`` from the shards' (series disjoint): frames stacked, metrics and verdicts recomputed
    over every series, holdout coverage counted over every series."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    summary = _stack([r.summary for r in results], [ID, "model"])
    holdout = _stack([r.holdout for r in results], [ID, DS])
    scorecard = pd.concat([r.scorecard for r in results], ignore_index=True)
    fold_rank = scorecard["fold"].map({f: i for i, f in enumerate(pd.unique(scorecard["fold"]))})
    scorecard = scorecard.assign(_rank=fold_rank).sort_values(["_rank", ID], kind="stable").drop(columns="_rank")
    cov = dict(first.coverage)
    if "lower" in holdout.columns and holdout["lower"].notna().any():
        cov["holdout"] = coverage(holdout[Y], holdout["lower"], holdout["upper"])
    backtests = [(r.coverage.get("backtest"), len(r.summary[ID].unique())) for r in results]
    weighted = [(float(v), n) for v, n in backtests if v is not None and np.isfinite(v)]
    cov["backtest"] = sum(v * n for v, n in weighted) / sum(n for _, n in weighted) if weighted else float("nan")
    cov["n_calibration"] = sum(int(r.coverage.get("n_calibration", 0)) for r in results)
    cov["reliable"] = all(bool(r.coverage.get("reliable")) for r in results)
    return ForecastResult(
        config=first.config, freq=first.freq, season_length=first.season_length,
        metrics=aggregate_metrics(summary), scorecard=scorecard.reset_index(drop=True), summary=summary,
        history=_stack([r.history for r in results], [ID, DS]), holdout=holdout,
        future=_stack([r.future for r in results], [ID, DS]), verdicts=make_verdicts(summary),
        coverage=cov, train_seconds=sum(r.train_seconds for r in results),
        epochs_run=sum(r.epochs_run for r in results), loss_history=first.loss_history,
        baseline_models={k: v for r in results for k, v in r.baseline_models.items()},
        cancelled=any(r.cancelled for r in results), forecaster=ShardedForecaster([r.forecaster for r in results]),
        total_seconds=seconds, backend=first.backend,
    )


def _stack(frames: list[pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """The shards' frames in the order one run over every series gives (sorted by series, then date or model)."""
    return pd.concat(frames, ignore_index=True).sort_values(order, kind="stable").reset_index(drop=True)
