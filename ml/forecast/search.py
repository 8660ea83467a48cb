"""Hyperparameter search: Optuna's TPE sampler over window, units, layers, learning rate and dropout, within a time
budget the analyst sets.

The choice never looks at the holdout (the last ``horizon`` periods). Every trial is trained and scored by
``run_forecast`` on the series without the holdout: its own last ``horizon`` periods (plus backtest folds before them)
are the validation periods, the same for every trial and for the baselines, which are computed once (first trial) and
copied into every trial. The trial with the lowest validation MASE is chosen; only then are its settings trained on
everything before the holdout and scored once on the holdout, next to the baselines on the same split. Each trial
and that final scoring can be saved as runs.
"""

from __future__ import annotations

import functools
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ml.engine import Engine, LocalEngine
from ml.forecast.config import ForecastConfig
from ml.forecast.evaluation import HOLDOUT, NETWORK, aggregate_metrics, summarise_scorecard
from ml.forecast.forecaster import NETWORK_ALONE
from ml.forecast.pipeline import ForecastResult, run_forecast
from ml.messages import Message
from ml.progress import Progress, ProgressSink, as_progress
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
    error: Message | None = None
    epochs_run: int = 0  # epochs per network actually trained (fewer than configured when cut)


@dataclass
class HoldoutScore:
    """The chosen trial's settings scored once on the holdout, next to the baselines (holdout fold only)."""

    trial: int
    metrics: dict[str, dict[str, float | None]]  # model -> {mae, rmse, mape, smape, mase} on the holdout
    run_id: str | None = None

    @property
    def mase(self) -> float | None:
        return self.metrics.get(NETWORK, {}).get("mase")

    @property
    def best_baseline(self) -> tuple[str, float] | None:
        scores = [(m, v["mase"]) for m, v in self.metrics.items() if m not in (NETWORK, NETWORK_ALONE) and v.get("mase") is not None]
        return min(scores, key=lambda mv: mv[1]) if scores else None


@dataclass
class SearchResult:
    search_id: str
    trials: list[Trial]  # ``mase``/``metrics``: on the validation periods before the holdout
    baseline_metrics: dict[str, dict[str, float | None]]  # baselines on the same validation periods
    elapsed: float
    stopped: bool
    budget_seconds: float
    save_errors: list[Message] = field(default_factory=list)  # set by the caller that saves
    holdout: HoldoutScore | None = None  # None when no trial succeeded or the analyst stopped the search
    horizon: int = 0
    backtest_folds: int = 0
    validation_periods: int = 0  # periods (of the shortest series) the trials were trained and scored on

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
               seed: int = 0, progress: ProgressSink | None = None,
               save_trial: SaveTrial | None = None, engine: Engine | None = None) -> SearchResult:
    """Search within ``budget_seconds`` (a trial still training when the budget ends is stopped, keeping its best
    weights, and scored) or ``max_trials``, whichever comes first, or until ``progress.stop`` is set. ``progress``
    gets a "trial" event before the first trial and after each (done = trials so far; metrics ``budget_s`` and,
    after a scored trial, its validation ``mase``); ``save_trial(result, trial, search_id)`` may save it and
    return a run id. ``engine`` runs the trials (Ray: as many at once as it has CPUs, each stopped at the budget's
    end)."""
    import optuna

    if not MIN_BUDGET <= budget_seconds <= MAX_BUDGET:
        raise ConfigError("forecast.error.out_of_range", setting="budget_seconds", value=budget_seconds,
                          low=MIN_BUDGET, high=MAX_BUDGET)
    if not 1 <= max_trials <= 500:
        raise ConfigError("forecast.error.out_of_range", setting="max_trials", value=max_trials, low=1, high=500)
    base.validate()
    inner = without_holdout(series, base.horizon)  # what every trial sees: the holdout stays unseen until the end
    n_periods = int(inner.groupby("unique_id").size().min()) if len(inner) else 0
    space = (space or SearchSpace()).fit_to_history(n_periods, base.horizon, backtest_folds)
    search_id = uuid.uuid4().hex
    sink = as_progress(progress)
    sink.report("trial", 0, max_trials, budget_s=budget_seconds)
    started = time.monotonic()
    deadline = started + budget_seconds
    cut = threading.Event()  # stops the training in flight at the deadline or when the analyst stops the search

    def watch() -> None:
        while not cut.is_set():
            if time.monotonic() >= deadline or sink.stopped:
                cut.set()
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, name=f"saleslens-search-{search_id[:6]}", daemon=True)
    watcher.start()
    trials: list[Trial] = []
    baselines: dict[str, dict[str, float | None]] = {}
    engine = engine or LocalEngine()
    local = isinstance(engine, LocalEngine)
    # the trials of a batch run side by side on the engine (one at a time locally: TPE then sees every result)
    batch_size = 1 if local else engine.workers
    run = functools.partial(run_trial, inner, base, backtest_folds=backtest_folds, interval_level=interval_level,
                            progress=Progress(stop=cut) if local else None, deadline=time.time() + budget_seconds)

    def record(params: dict[str, Any], outcome: tuple[str, Any, float]) -> float:
        status, value, seconds = outcome
        trial = Trial(number=len(trials) + 1, params=params, status="ok", seconds=seconds)
        if status == "failed":
            trial.status, trial.error = "failed", value
            trials.append(trial)
            sink.report("trial", len(trials), max_trials, budget_s=budget_seconds)
            return math.inf
        result = value
        if not baselines:
            baselines.update({m: v for m, v in result.metrics.items() if m not in (NETWORK, NETWORK_ALONE)})
        else:
            result.metrics.update(baselines)  # same validation periods: the first trial's baseline scores
        trial.metrics = result.metrics
        mase = result.metrics.get(NETWORK, {}).get("mase")
        trial.mase = None if mase is None else float(mase)
        trial.status = "cut" if result.cancelled else "ok"
        models = max(1, len(getattr(result.forecaster, "models_", {})))
        trial.epochs_run = -(-int(result.forecaster.epochs_run_) // models)
        if save_trial is not None:
            trial.run_id = save_trial(result, trial, search_id)
        trials.append(trial)
        scored = {} if trial.mase is None else {"mase": trial.mase}
        sink.report("trial", len(trials), max_trials, budget_s=budget_seconds, **scored)
        return trial.mase if trial.mase is not None else math.inf

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    try:
        while len(trials) < max_trials and not cut.is_set():
            asked = [study.ask() for _ in range(min(batch_size, max_trials - len(trials)))]
            params = [suggest(ot, space, base) for ot in asked]
            first = not baselines
            outcomes = engine.map(run, [(p, first and i == 0) for i, p in enumerate(params)])
            for ot, p, outcome in zip(asked, params, outcomes, strict=True):
                study.tell(ot, record(p, outcome))
    finally:
        stopped = sink.stopped
        cut.set()
        watcher.join(timeout=2)
    result = SearchResult(search_id=search_id, trials=trials, baseline_metrics=baselines,
                          elapsed=time.monotonic() - started, stopped=stopped, budget_seconds=budget_seconds,
                          horizon=base.horizon, backtest_folds=backtest_folds, validation_periods=n_periods)
    best = result.best
    if best is not None and not stopped:
        config = base.replace(**best.params)
        if best.status == "cut" and best.epochs_run > 0:  # the budget stopped it: score what was validated
            config = config.replace(epochs=min(config.epochs, best.epochs_run))
        result.holdout = score_on_holdout(series, config, best, backtest_folds, interval_level, sink.stop,
                                          save_trial, search_id)
    result.elapsed = time.monotonic() - started
    return result


def run_trial(inner: pd.DataFrame, base: ForecastConfig, item: tuple[dict[str, Any], bool], backtest_folds: int,
              interval_level: float, progress: ProgressSink | None = None,
              deadline: float | None = None) -> tuple[str, Any, float]:
    """One trial (``item``: its params, and whether it scores the baselines) on the engine: ("ok", result, seconds)
    or ("failed", the error's Message, seconds)."""
    from ml.forecast.shards import forecast_shard

    params, with_baselines = item
    t0 = time.perf_counter()
    try:
        result = forecast_shard(inner, base.replace(**params), baselines=with_baselines,
                                 backtest_folds=backtest_folds, interval_level=interval_level, refit=False,
                                 progress=progress, deadline=deadline)
    except SalesLensError as err:
        return "failed", err.message, time.perf_counter() - t0
    return "ok", result, time.perf_counter() - t0


def without_holdout(series: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Each series without its last ``horizon`` periods (the holdout ``run_forecast`` scores on)."""
    ordered = series.sort_values(["unique_id", "ds"], kind="stable")
    position = ordered.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy()
    return ordered.loc[position >= horizon].reset_index(drop=True)


def score_on_holdout(series: pd.DataFrame, config: ForecastConfig, chosen: Trial, backtest_folds: int,
                     interval_level: float, stop_event: threading.Event | None, save_trial: SaveTrial | None,
                     search_id: str) -> HoldoutScore | None:
    """Train the chosen settings on everything before the holdout and score them once on it, next to the baselines.

    The backtest folds (which the trials were also scored on) only calibrate the intervals here; the metrics
    reported are the holdout fold's."""
    try:
        result = run_forecast(series, config, baselines=True, backtest_folds=backtest_folds,
                              progress=Progress(stop=stop_event), interval_level=interval_level, refit=False)
    except SalesLensError:
        return None
    holdout_only = result.scorecard.loc[result.scorecard["fold"] == HOLDOUT]
    score = HoldoutScore(trial=chosen.number, metrics=aggregate_metrics(summarise_scorecard(holdout_only)))
    if save_trial is not None:
        final = Trial(number=chosen.number, params=chosen.params, status="holdout", mase=score.mase,
                      metrics=score.metrics, seconds=result.total_seconds)
        score.run_id = save_trial(result, final, search_id)
    return score
