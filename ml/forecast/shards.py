"""Many series on an engine, with the local run's answer.

``forecast_many`` runs ``run_forecast`` over every series. On the local engine that is the call itself. On Ray the
work is split where it does not change the answer: the network (one global model over every series, or one model
per series; its trainings, residuals and conformal intervals, which pool every series) trains as ONE task, while the
per-series work (each baseline's fits and forecasts on every fold and on all rows, and their scores) fans out over
chunks of the series as other tasks at the same time. The parts are joined into the ``ForecastResult`` one
``run_forecast`` gives: the same frames in the same order, the same metrics to the last bit
(tests/unit/test_engine_ray.py checks it, and that the old sharding would fail it).

``shards=N`` (N > 1, the CLI's ``--shards``) is the other, explicit choice: N independent ``run_forecast`` calls,
each a global model on its shard's series only. It parallelises the network too, but changes its metrics by more
than the noise between seeds (bench/RESULTS.md, "Ray ... one network"), so it is never a default.
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
from ml.forecast.baselines import BASELINES, forecast_baselines
from ml.forecast.config import ForecastConfig
from ml.forecast.data import DS, ID, Y
from ml.forecast.evaluation import (
    FoldResult,
    aggregate_metrics,
    fold_splits,
    make_scorecard,
    result_verdicts,
    summarise_scorecard,
)
from ml.forecast.metrics import coverage
from ml.forecast.pipeline import ForecastResult, check_inputs, run_forecast, value_floor
from ml.progress import Progress, ProgressSink

CHUNKS_PER_WORKER = 4  # baseline chunks per worker: the chunks flow around the network's long task


@dataclass
class ShardedForecaster:
    """The shards' forecasters side by side (``shards=N`` only): enough for the result's JSON, runs and the search
    (models, epochs, blend shares, backend); each shard's own forecaster predicts its series."""

    shards: list[Any]
    models_: dict[str, Any] = field(init=False)
    combine_weights_: dict[str, float] = field(init=False)
    combine_partners_: dict[str, dict[str, float]] = field(init=False)

    def __post_init__(self) -> None:
        self.models_ = {f"{i}:{key}": model for i, f in enumerate(self.shards)
                        for key, model in getattr(f, "models_", {}).items()}
        self.combine_weights_ = {k: v for f in self.shards for k, v in getattr(f, "combine_weights_", {}).items()}
        self.combine_partners_ = {k: v for f in self.shards for k, v in getattr(f, "combine_partners_", {}).items()}

    @property
    def epochs_run_(self) -> int:
        return sum(int(getattr(f, "epochs_run_", 0)) for f in self.shards)

    @property
    def backend_(self) -> str:
        return str(getattr(self.shards[0], "backend_", "jax"))

    @property
    def history_(self) -> dict[str, list[float]]:
        return getattr(self.shards[0], "history_", {})


@dataclass
class BaselinePart:
    """One chunk's per-series work: the baselines' holdout forecasts, scorecard rows on every fold, forecasts of the
    next horizon from all rows, and the fitted model names."""

    holdout: pd.DataFrame  # [unique_id, ds, <baselines>]
    scorecard: pd.DataFrame  # the rows make_scorecard gives for these series and baselines
    future: pd.DataFrame  # [unique_id, ds, <baselines>], not yet clipped at the floor
    models: dict[str, dict[str, str]]
    seconds: float


def shard_ids(series: pd.DataFrame, shards: int) -> list[list[str]]:
    """Series ids dealt round-robin (sorted) into at most ``shards`` non-empty shards."""
    ids = sorted(series[ID].astype(str).unique())
    n = max(1, min(int(shards), len(ids)))
    return [ids[i::n] for i in range(n)]


def forecast_shard(frame: pd.DataFrame, config: ForecastConfig, baselines: bool | tuple[str, ...],
                   backtest_folds: int, interval_level: float, refit: bool,
                   progress: ProgressSink | None = None, deadline: float | None = None) -> ForecastResult:
    """One ``run_forecast``. On a remote worker there is no progress sink to share: without one, ``deadline``
    (wall-clock seconds) sets the stop of a local ``Progress`` the way the caller's stop does."""
    if progress is None and deadline is not None:
        progress = Progress(stop=_deadline_event(deadline))
    return run_forecast(frame, config, baselines=baselines, backtest_folds=backtest_folds, progress=progress,
                        interval_level=interval_level, refit=refit)


def score_baselines(frame: pd.DataFrame, freq: str, horizon: int, backtest_folds: int,
                    models: tuple[str, ...]) -> BaselinePart:
    """What ``run_forecast`` does per series for the baselines, on ``frame`` (prepared, some series): the same
    folds, fits, forecasts and scores, so that the chunks joined equal one run over every series."""
    started = time.perf_counter()
    folds = []
    for name, train, actual in fold_splits(frame, horizon, backtest_folds):
        base = forecast_baselines(train, horizon, freq, models)
        predictions = actual[[ID, DS, Y]].merge(base, on=[ID, DS], how="left")
        folds.append(FoldResult(name, train, predictions, None, base.attrs.get("models", {})))
    ahead = forecast_baselines(frame, horizon, freq, models)
    return BaselinePart(holdout=folds[0].predictions.drop(columns=Y), scorecard=make_scorecard(folds, freq),
                        future=ahead[[ID, DS, *models]], models=folds[0].baseline_models,
                        seconds=time.perf_counter() - started)


def _run_part(part: tuple[str, Any], config: ForecastConfig, backtest_folds: int, interval_level: float,
              refit: bool, freq: str, models: tuple[str, ...], progress: ProgressSink | None,
              deadline: float | None) -> ForecastResult | BaselinePart:
    """One task of the split run: ("network", every series) or ("baselines", a chunk of the prepared series)."""
    kind, frame = part
    if kind == "network":
        return forecast_shard(frame, config, baselines=False, backtest_folds=backtest_folds,
                              interval_level=interval_level, refit=refit, progress=progress, deadline=deadline)
    return score_baselines(frame, freq, config.horizon, backtest_folds, models)


def _deadline_event(deadline: float) -> threading.Event:
    event = threading.Event()
    timer = threading.Timer(max(0.0, deadline - time.time()), event.set)
    timer.daemon = True
    timer.start()
    return event


def forecast_many(series: pd.DataFrame, config: ForecastConfig | None = None, engine: Engine | None = None,
                  shards: int | None = None, baselines: bool | tuple[str, ...] = True, backtest_folds: int = 0,
                  progress: ProgressSink | None = None, interval_level: float = 0.9, refit: bool = True,
                  deadline: float | None = None, chunks: int | None = None) -> ForecastResult:
    """``run_forecast(series, ...)`` on ``engine``. Local: the call itself. Ray (or ``chunks`` given): the network as
    one task and the baselines in ``chunks`` tasks (default: ``CHUNKS_PER_WORKER`` per worker), the same answer.
    ``shards`` > 1: that many independent runs, one global model each (a different answer). ``progress`` (events
    and stop) reaches the training on the local engine only; on Ray, ``deadline`` (``time.time()`` seconds) stops
    it."""
    engine = engine or LocalEngine()
    config = config if config is not None else ForecastConfig()
    local = isinstance(engine, LocalEngine)
    run = functools.partial(forecast_shard, config=config, baselines=baselines, backtest_folds=backtest_folds,
                            interval_level=interval_level, refit=refit, deadline=deadline,
                            progress=progress if local else None)
    started = time.perf_counter()
    if shards is not None and shards > 1:
        parts = shard_ids(series, shards)
        frames = [series.loc[series[ID].astype(str).isin(ids)] for ids in parts]
        return join_results(engine.map(run, frames), time.perf_counter() - started)
    models = BASELINES if baselines is True else (tuple(baselines) if baselines else ())
    if (local and chunks is None) or not models:
        return engine.map(run, [series])[0]
    # run_forecast's checks before any task starts, so that bad data is said once, as the local run says it; the
    # chunks are cut from the prepared frame with its frequency (a chunk alone could read another)
    frame, freq = check_inputs(series, config, backtest_folds, interval_level)
    ids = shard_ids(frame, chunks or CHUNKS_PER_WORKER * engine.workers)
    columns = frame[[ID, DS, Y]]
    items: list[tuple[str, Any]] = [("network", series)]  # first: the longest task starts at once
    items += [("baselines", columns.loc[columns[ID].isin(set(part))].reset_index(drop=True)) for part in ids]
    task = functools.partial(_run_part, config=config, backtest_folds=backtest_folds, interval_level=interval_level,
                             refit=refit, freq=freq, models=models, progress=progress if local else None,
                             deadline=deadline)
    network, *chunked = engine.map(task, items)
    return join_baselines(network, chunked, models, value_floor(frame), time.perf_counter() - started)


def join_baselines(network: ForecastResult, parts: list[BaselinePart], models: tuple[str, ...],
                   floor: float | None, seconds: float) -> ForecastResult:
    """The network's result (every series, no baselines) with the chunks' baselines put where ``run_forecast``
    puts them: holdout columns after the network's, scorecard rows after the network's in each fold and series,
    future columns after the intervals (clipped at the floor of every series), and summary, metrics and verdicts
    recomputed over every model."""
    holdout_base = pd.concat([p.holdout for p in parts], ignore_index=True)
    holdout = network.holdout.merge(holdout_base, on=[ID, DS], how="left")
    tail = [c for c in ("lower", "upper") if c in holdout.columns]
    holdout = holdout[[c for c in holdout.columns if c not in (*models, *tail)] + list(models) + tail]
    folds = list(pd.unique(network.scorecard["fold"]))  # a stopped run scores fewer folds
    rows = pd.concat([network.scorecard, *[p.scorecard for p in parts]], ignore_index=True)
    rows = rows.loc[rows["fold"].isin(folds)]
    model_rank = {m: i for i, m in enumerate([*pd.unique(network.scorecard["model"]), *models])}
    order = rows.assign(_fold=rows["fold"].map({f: i for i, f in enumerate(folds)}),
                        _model=rows["model"].map(model_rank))
    scorecard = order.sort_values(["_fold", ID, "_model"], kind="stable").drop(columns=["_fold", "_model"])
    scorecard = scorecard.reset_index(drop=True)
    summary = summarise_scorecard(scorecard)
    future = network.future
    if not network.cancelled:  # a stopped run forecasts no baselines ahead (run_forecast's rule)
        ahead = pd.concat([p.future for p in parts], ignore_index=True)
        future = future.merge(ahead, on=[ID, DS], how="left")
        if floor is not None:
            future[list(models)] = future[list(models)].clip(lower=floor)
    names = {k: v for p in parts for k, v in p.models.items()}
    return ForecastResult(
        config=network.config, freq=network.freq, season_length=network.season_length,
        metrics=aggregate_metrics(summary), scorecard=scorecard, summary=summary, history=network.history,
        holdout=holdout, future=future, verdicts=result_verdicts(summary, holdout),
        coverage=network.coverage,
        train_seconds=network.train_seconds, epochs_run=network.epochs_run, loss_history=network.loss_history,
        baseline_models={k: names[k] for k in sorted(names)}, cancelled=network.cancelled,
        forecaster=network.forecaster, total_seconds=seconds, backend=network.backend,
    )


def join_results(results: list[ForecastResult], seconds: float) -> ForecastResult:
    """One ``ForecastResult`` from the shards' (series disjoint, ``shards=N``): frames stacked, metrics and verdicts
    recomputed over every series, holdout coverage counted over every series."""
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
        future=_stack([r.future for r in results], [ID, DS]),
        verdicts=result_verdicts(summary, holdout),
        coverage=cov, train_seconds=sum(r.train_seconds for r in results),
        epochs_run=sum(r.epochs_run for r in results), loss_history=first.loss_history,
        baseline_models={k: v for r in results for k, v in r.baseline_models.items()},
        cancelled=any(r.cancelled for r in results), forecaster=ShardedForecaster([r.forecaster for r in results]),
        total_seconds=seconds, backend=first.backend,
    )


def _stack(frames: list[pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """The shards' frames in the order one run over every series gives (sorted by series, then date or model)."""
    return pd.concat(frames, ignore_index=True).sort_values(order, kind="stable").reset_index(drop=True)
