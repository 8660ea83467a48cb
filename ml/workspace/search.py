"""Hyperparameter search: Optuna's TPE sampler over window, units, layers, learning rate and dropout, within a time
budget the analyst sets. Every trial is scored by ``run_forecast`` on the same holdout (and backtest folds) as the
baselines, and can be saved as a run.

The holdout split depends only on the horizon and the number of folds, which the search keeps fixed, so the
baselines are computed once (first trial) and their scores copied into every trial: all trials and baselines are
scored on exactly the same periods.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ml.forecast.config import ForecastConfig
from ml.forecast.evaluation import NETWORK
from ml.forecast.pipeline import ForecastResult, run_forecast
from ml.schema import ConfigError, SalesLensError

PARAMS = ("window", "units", "layers", "learning_rate", "dropout")
MIN_BUDGET, MAX_BUDGET = 10.0, 4 * 3600.0


@dataclass(frozen=True)
class SearchSpace:
    """Ranges searched (inclusive). ``window`` is capped by the data (see ``fit_to_history``)."""

    window: tuple[int, int] = (7, 112)
    units: tuple[int, int] = (8, 128)
    layers: tuple[int, int] = (1, 3)
    learning_rate: tuple[float, float] = (1e-4, 1e-2)  # sampled on a log scale
    dropout: tuple[float, float] = (0.0, 0.4)

    def fit_to_history(self, n_periods: int, horizon: int, folds: int) -> SearchSpace:
        """Keep windows that leave enough training examples: window <= (n - held out) / 3."""
        usable = max(2, (n_periods - horizon * (folds + 1)) // 3)
        high = max(2, min(self.window[1], usable))
        return SearchSpace(window=(min(self.window[0], high), high), units=self.units, layers=self.layers,
                           learning_rate=self.learning_rate, dropout=self.dropout)


@dataclass
class Trial:
    number: int
    params: dict[str, Any]
    status: str  # ok | failed | cut (stopped by the budget or the analyst: scored with the best weights so far)
    mase: float | None = None
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str | None = None
    error: tuple[str, dict[str, Any]] | None = None


@dataclass
class SearchResult:
    search_id: str
    trials: list[Trial]
    baseline_metrics: dict[str, dict[str, float | None]]
    elapsed: float
    stopped: bool
    budget_seconds: float
    save_errors: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # set by the caller that saves

    @property
    def best(self) -> Trial | None:
        scored = [t for t in self.trials if t.mase is not None and t.status != "failed"]
        return min(scored, key=lambda t: t.mase) if scored else None

    @property
    def best_baseline_mase(self) -> float | None:
        values = [v.get("mase") for v in self.baseline_metrics.values() if v.get("mase") is not None]
        return min(values) if values else None

    def table(self) -> pd.DataFrame:
        best = self.best
        rows = [{"trial": t.number, **{p: t.params.get(p) for p in PARAMS}, "mase": t.mase, "status": t.status,
                 "seconds": t.seconds, "best": best is not None and t.number == best.number, "run_id": t.run_id}
                for t in self.trials]
        return pd.DataFrame(rows, columns=["trial", *PARAMS, "mase", "status", "seconds", "best", "run_id"])


SaveTrial = Callable[[ForecastResult, Trial, str], str | None]
OnTrial = Callable[[Trial, int], None]


def suggest(trial: Any, space: SearchSpace, base: ForecastConfig) -> dict[str, Any]:
    low_layers = max(space.layers[0], 2 if base.model_type == "stacked_lstm" else 1)
    return {
        "window": trial.suggest_int("window", space.window[0], space.window[1]),
        "units": trial.suggest_int("units", space.units[0], space.units[1], log=True),
        "layers": trial.suggest_int("layers", low_layers, max(low_layers, space.layers[1])),
        "learning_rate": trial.suggest_float("learning_rate", space.learning_rate[0], space.learning_rate[1],
                                             log=True),
        "dropout": round(trial.suggest_float("dropout", space.dropout[0], space.dropout[1]), 3),
    }


def run_search(series: pd.DataFrame, base: ForecastConfig, budget_seconds: float, max_trials: int = 20,
               backtest_folds: int = 0, interval_level: float = 0.9, space: SearchSpace | None = None,
               seed: int = 0, stop_event: threading.Event | None = None, on_trial: OnTrial | None = None,
               save_trial: SaveTrial | None = None) -> SearchResult:
    """Search within ``budget_seconds`` (a trial still training when the budget ends is stopped, keeping its best
    weights, and scored) or ``max_trials``, whichever comes first. ``on_trial(trial, max_trials)`` after each;
    ``save_trial(result, trial, search_id)`` may save it and return a run id."""
    import optuna

    if not MIN_BUDGET <= budget_seconds <= MAX_BUDGET:
        raise ConfigError("forecast.error.out_of_range", setting="budget_seconds", value=budget_seconds,
                          low=MIN_BUDGET, high=MAX_BUDGET)
    if not 1 <= max_trials <= 500:
        raise ConfigError("forecast.error.out_of_range", setting="max_trials", value=max_trials, low=1, high=500)
    base.validate()
    n_periods = int(series.groupby("unique_id").size().min())
    space = (space or SearchSpace()).fit_to_history(n_periods, base.horizon, backtest_folds)
    search_id = uuid.uuid4().hex
    started = time.monotonic()
    deadline = started + budget_seconds
    cut = threading.Event()  # stops the training in flight at the deadline or when the analyst stops the search

    def watch() -> None:
        while not cut.is_set():
            if time.monotonic() >= deadline or (stop_event is not None and stop_event.is_set()):
                cut.set()
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, name=f"saleslens-search-{search_id[:6]}", daemon=True)
    watcher.start()
    trials: list[Trial] = []
    baselines: dict[str, dict[str, float | None]] = {}

    def objective(ot: Any) -> float:
        params = suggest(ot, space, base)
        trial = Trial(number=len(trials) + 1, params=params, status="ok")
        t0 = time.perf_counter()
        try:
            config = base.replace(**params)
            result = run_forecast(series, config, baselines=not baselines, backtest_folds=backtest_folds,
                                  stop_event=cut, interval_level=interval_level, refit=False)
        except SalesLensError as err:
            trial.status, trial.error = "failed", (err.message_id, dict(err.params))
            trial.seconds = time.perf_counter() - t0
            trials.append(trial)
            if on_trial is not None:
                on_trial(trial, max_trials)
            return math.inf
        if not baselines:
            baselines.update({m: v for m, v in result.metrics.items() if m != NETWORK})
        else:
            result.metrics.update(baselines)  # same holdout and folds: the first trial's baseline scores
        trial.seconds = time.perf_counter() - t0
        trial.metrics = result.metrics
        mase = result.metrics.get(NETWORK, {}).get("mase")
        trial.mase = None if mase is None else float(mase)
        trial.status = "cut" if result.cancelled else "ok"
        if save_trial is not None:
            trial.run_id = save_trial(result, trial, search_id)
        trials.append(trial)
        if on_trial is not None:
            on_trial(trial, max_trials)
        return trial.mase if trial.mase is not None else math.inf

    def stop_when_done(study: Any, _frozen: Any) -> None:
        if cut.is_set():
            study.stop()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    try:
        study.optimize(objective, n_trials=max_trials, callbacks=[stop_when_done], catch=())
    finally:
        stopped = stop_event is not None and stop_event.is_set()
        cut.set()
        watcher.join(timeout=2)
    return SearchResult(search_id=search_id, trials=trials, baseline_metrics=baselines,
                        elapsed=time.monotonic() - started, stopped=stopped, budget_seconds=budget_seconds)
