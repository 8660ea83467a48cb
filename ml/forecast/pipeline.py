"""``run_forecast``: everything the Forecast page and the CLI need in one pure call.

Steps: check data and config; holdout (and optional backtest folds) for the network and the baselines on the same
splits; scorecard with the best model per series; conformal intervals calibrated on out-of-sample residuals with
nominal vs achieved coverage; refit on all data (or reuse the holdout model) and forecast the next horizon with
intervals.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ml.forecast import fit_process
from ml.forecast.baselines import BASELINES, forecast_baselines
from ml.forecast.config import PARTNERS, ForecastConfig, season_length
from ml.forecast.data import DS, ID, Y, check_history, check_series_content, prepare_frame
from ml.forecast.evaluation import (
    HOLDOUT,
    NETWORK,
    FoldResult,
    Verdict,
    aggregate_metrics,
    fold_splits,
    make_scorecard,
    result_verdicts,
    run_fold,
    summarise_scorecard,
)
from ml.forecast.forecaster import NETWORK_ALONE, NeuralForecaster, partner_shares
from ml.forecast.intervals import (
    ConformalWidths,
    cross_conformal_coverage,
    fit_conformal,
    min_calibration_size,
)
from ml.forecast.metrics import coverage
from ml.jsonable import to_jsonable
from ml.keras_runtime import DEFAULT_BACKEND
from ml.progress import ProgressSink, as_progress
from ml.schema import ConfigError


@dataclass
class ForecastResult:
    """What ``run_forecast`` returns. Frames are long/tidy; see each field.

    - ``metrics``: model -> {mae, rmse, mape, smape, mase}, averaged over series and folds.
    - ``scorecard``: one row per fold x series x model; ``summary``: per series x model averaged over folds,
      with ``best`` flagged (lowest MASE).
    - ``history``: [unique_id, ds, y] all input rows; ``holdout``: [unique_id, ds, y, network, <baselines>,
      lower, upper]; ``future``: [unique_id, ds, yhat, lower, upper, <baselines>] (each baseline refitted on all
      rows, so the forecast file can hold every model's forecast beside the winner's).
    - ``coverage``: {level, holdout (achieved on the holdout), backtest (cross-conformal over folds, or NaN),
      n_calibration, reliable, source: 'backtest' | 'validation_windows' | 'backtest_and_validation_windows'}.
    """

    config: ForecastConfig
    freq: str
    season_length: int
    metrics: dict[str, dict[str, float | None]]
    scorecard: pd.DataFrame
    summary: pd.DataFrame
    history: pd.DataFrame
    holdout: pd.DataFrame
    future: pd.DataFrame
    verdicts: list[Verdict]
    coverage: dict[str, Any]
    train_seconds: float
    epochs_run: int
    loss_history: dict[str, list[float]]
    baseline_models: dict[str, dict[str, str]]
    cancelled: bool
    forecaster: NeuralForecaster = field(repr=False)
    total_seconds: float = 0.0
    backend: str = "jax"  # the Keras backend that trained the network ("tensorflow" or "jax")
    # series id -> {"network": share, partner: share, ...} of the blend the future forecast uses (config.combine);
    # taken from the forecaster when empty, kept by a saved run
    blend_shares: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.blend_shares and self.forecaster is not None and self.config.combine != "none":
            partners = partner_shares(self.forecaster)
            self.blend_shares = {
                str(uid): {"network": round(float(w), 3),
                           **{n: round(float(v), 3) for n, v in partners.get(uid, {}).items()}}
                for uid, w in getattr(self.forecaster, "combine_weights_", {}).items()}

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: metrics, train_seconds, epochs_run, forecast [{unique_id, date, value, lower,
        upper}], plus config, frequency, coverage, verdicts and per-series scores."""
        forecast = [
            {"unique_id": str(r.unique_id), "date": pd.Timestamp(r.ds).date().isoformat(), "value": _num(r.yhat),
             "lower": _num(r.lower), "upper": _num(r.upper)}
            for r in self.future.itertuples(index=False)
        ]
        summary = [
            {k: (_num(v) if isinstance(v, float) else (bool(v) if isinstance(v, np.bool_) else v))
             for k, v in row.items()}
            for row in self.summary.to_dict(orient="records")
        ]
        return {
            "metrics": {m: {k: v for k, v in vals.items() if k in ("mae", "rmse", "mape", "smape", "mase")}
                        for m, vals in self.metrics.items()},
            "train_seconds": round(self.train_seconds, 3),
            "epochs_run": int(self.epochs_run),
            "forecast": forecast,
            "frequency": self.freq,
            "season_length": self.season_length,
            "config": self.config.to_dict(),
            "coverage": {k: (_num(v) if isinstance(v, float) else v) for k, v in self.coverage.items()},
            "verdicts": [v.to_dict() for v in self.verdicts],
            "series": summary,
            "baseline_models": self.baseline_models,
            "cancelled": self.cancelled,
            # the network's share in its blend with exponential smoothing, per series (config.combine)
            "network_share": {k: round(float(v), 3) for k, v in getattr(self.forecaster, "combine_weights_", {}).items()},
            # each partner's share of that blend, per series (ETS, ARIMA, seasonal naive, the two-season mean)
            "partner_shares": {k: {n: w for n, w in v.items() if n != "network"} for k, v in self.blend_shares.items()},
            "total_seconds": round(self.total_seconds, 3),
            "backend": self.backend,
        }

    # A saved run (``ml.workspace.runs``) keeps the frames as Parquet and the rest in run.json: its record holds
    # config, metrics, train_seconds, epochs_run and backend; ``saved_details`` is the rest, under "result".
    def saved_details(self) -> dict[str, Any]:
        """What a saved run keeps of this result besides its frames and its record (plain JSON data)."""
        return {
            "freq": self.freq, "season_length": int(self.season_length),
            "coverage": to_jsonable(self.coverage), "verdicts": [v.to_dict() for v in self.verdicts],
            "loss_history": to_jsonable(self.loss_history), "baseline_models": to_jsonable(self.baseline_models),
            "cancelled": bool(self.cancelled), "total_seconds": float(self.total_seconds),
            "blend_shares": to_jsonable(self.blend_shares),
        }

    @classmethod
    def from_saved(cls, details: dict[str, Any], frames: dict[str, pd.DataFrame],
                   record: dict[str, Any]) -> ForecastResult:
        """The result a saved run holds, without its forecaster: ``details`` as ``saved_details`` wrote them, the
        frames by field name, and the run's record."""
        coverage = dict(details["coverage"])
        for key in _COVERAGE_FLOATS:
            coverage[key] = float("nan") if coverage.get(key) is None else float(coverage[key])
        metrics = {m: {k: (None if v is None else float(v)) for k, v in vals.items()}
                   for m, vals in record["metrics"].items()}
        return cls(
            config=ForecastConfig.from_dict(record["config"]), freq=str(details["freq"]),
            season_length=int(details["season_length"]), metrics=metrics,
            scorecard=frames["scorecard"], summary=frames["summary"], history=frames["history"],
            holdout=frames["holdout"], future=frames["future"],
            verdicts=[Verdict(str(v["message_id"]), dict(v["params"])) for v in details["verdicts"]],
            coverage=coverage, train_seconds=float(record["train_seconds"]), epochs_run=int(record["epochs_run"]),
            loss_history={k: [float("nan") if x is None else float(x) for x in v]
                          for k, v in details.get("loss_history", {}).items()},
            baseline_models=dict(details.get("baseline_models", {})), cancelled=bool(details.get("cancelled")),
            forecaster=None, total_seconds=float(details.get("total_seconds", 0.0)),
            backend=record.get("backend") or DEFAULT_BACKEND,
            blend_shares=_saved_blend_shares(details.get("blend_shares", {})),
        )


_COVERAGE_FLOATS = ("level", "holdout", "backtest")  # saved as null when NaN, read back as NaN


def _saved_blend_shares(raw: Any) -> dict[str, dict[str, float]]:
    """A saved run's (or an uploaded bundle's) blend shares, checked: series -> {network or a partner: share in
    [0, 1]}; anything else raises ValueError, which a bundle's import turns into "invalid bundle"."""
    names = {"network", *PARTNERS}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) and set(v) <= names for v in raw.values()):
        raise ValueError("blend_shares")
    out = {str(uid): {str(n): float(w) for n, w in shares.items()} for uid, shares in raw.items()}
    if not all(0.0 <= w <= 1.0 for shares in out.values() for w in shares.values()):
        raise ValueError("blend_shares")
    return out


def _num(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def run_forecast(df_long: pd.DataFrame, config: ForecastConfig | None = None, baselines: bool | tuple[str, ...] = True,
                 backtest_folds: int = 0, progress: ProgressSink | None = None, interval_level: float = 0.9,
                 refit: bool = True, overlap_baselines: bool | None = None) -> ForecastResult:
    """Train, evaluate against baselines, calibrate intervals and forecast the next horizon.

    ``baselines``: True for all of naive/snaive/ma/ets/arima, False for none, or a tuple of names.
    ``backtest_folds``: extra rolling-origin folds before the holdout (each retrains the network).
    ``refit``: retrain on all rows for the future forecast (else reuse the holdout model on the latest window; so
    does ``config.future_fit == "holdout_model"``).
    ``overlap_baselines``: fit the baselines on a second thread while the network trains (same results); None (the
    default): only for a single series (OVERLAP_MAX_SERIES) when the fits are not made ahead in a helper process
    (``ml.forecast.fit_process``: from 2 series up unless ``SALESLENS_FIT_PROCESS=0``; True never uses it).
    ``progress`` gets "epoch" events counted across all trainings (metrics: ``loss``, ``val_loss`` and
    ``epochs_per_training``, the epochs the analyst set, so a view can say "training 2 of 3"). Setting ``progress.stop`` stops the
    current training (best weights kept), skips the remaining ones and reuses the holdout model.
    """
    started = time.perf_counter()
    config = config if config is not None else ForecastConfig()
    frame, freq = check_inputs(df_long, config, backtest_folds, interval_level)
    models = BASELINES if baselines is True else (tuple(baselines) if baselines else ())

    # every training runs config.ensemble networks; the future fit runs warm_start_epochs when it is warm-started
    refit = refit and config.future_fit == "retrain"  # "holdout_model": the future from the holdout model as is
    final_epochs = (config.warm_start_epochs or config.epochs) if refit else 0
    total_epochs = (config.epochs * (backtest_folds + 1) + final_epochs) * config.ensemble
    offset = {"epochs": 0}
    sink = as_progress(progress)
    counted = sink.mapped(lambda event: replace(event, done=offset["epochs"] + event.done, total=total_epochs,
                                                metrics={**event.metrics, "epochs_per_training": config.epochs}))
    splits = fold_splits(frame, config.horizon, backtest_folds)
    # The baselines do not depend on the network: with ``overlap_baselines`` they are fitted on a second thread
    # while the network trains (statsmodels' fits and the backend's training steps then share the two cores; the
    # forecasts are the same as one after the other). Holdout first, the future's last.
    # Many series' statsmodels fits hold the GIL for long stretches and starve the training loop: on the 40-product
    # sample the network trained 4.4x slower beside them (bench/RESULTS.md, "Time levers"), so they then run after it.
    # Unless the thread is asked for, the statsmodels fits (scorecard and blend partners, every fold and all rows)
    # are made ahead in a helper process from 2 series up (ml.forecast.fit_process; SALESLENS_FIT_PROCESS): the
    # same forecasts, off the training's core and its GIL.
    n_series = frame[ID].nunique()
    ahead = None
    if overlap_baselines is not True and fit_process.wanted(n_series):
        tasks = fit_process.plan_fits(splits, frame, freq, config, models)
        ahead = fit_process.FitAhead(tasks).start() if tasks else None
    if overlap_baselines is None:
        overlap_baselines = ahead is None and n_series <= OVERLAP_MAX_SERIES
    pool = ThreadPoolExecutor(1, thread_name_prefix="saleslens-baselines") if models and overlap_baselines else None
    pending: dict[str, Future[pd.DataFrame]] = {}
    if pool is not None:
        for name, train, _ in splits:
            pending[name] = pool.submit(forecast_baselines, train, config.horizon, freq, models)
        pending[_FUTURE] = pool.submit(forecast_baselines, frame, config.horizon, freq, models)
    try:
        return _run(frame, freq, config, models, splits, pending, sink, counted, offset, interval_level, refit,
                    started)
    finally:
        if pool is not None:  # after a stop or an error: drop what has not started, do not wait for the rest
            pool.shutdown(wait=False, cancel_futures=True)
        if ahead is not None:  # the helper ends with the run, however it ended
            ahead.close()


OVERLAP_MAX_SERIES = 1  # the baselines overlap the network's training by default up to this many series
_FUTURE = "future"  # key of the baselines' forecast from every row, beside the folds' names


def _run(frame: pd.DataFrame, freq: str, config: ForecastConfig, models: tuple[str, ...],
         splits: list[tuple[str, pd.DataFrame, pd.DataFrame]], pending: dict[str, Future[pd.DataFrame]],
         sink: Any, counted: ProgressSink, offset: dict[str, int], interval_level: float, refit: bool,
         started: float) -> ForecastResult:
    """The body of ``run_forecast`` once its checks passed and the baselines' thread (if any) started."""

    def stopped() -> bool:
        return sink.stopped

    folds: list[FoldResult] = []
    train_seconds, epochs_run = 0.0, 0
    for name, train, actual in splits:
        if folds and stopped():
            break
        fold = run_fold(name, train, actual, freq, config, models, True, counted, pending.get(name))
        folds.append(fold)
        offset["epochs"] += config.epochs * config.ensemble
        train_seconds += fold.forecaster.train_seconds_
        epochs_run += fold.forecaster.epochs_run_
    holdout_fold = folds[0]
    scorecard = make_scorecard(folds, freq)
    summary = summarise_scorecard(scorecard)

    # Conformal intervals: backtest residuals when there are enough, else the holdout model's validation windows.
    backtest_res = [f.network_residuals() for f in folds[1:]]
    needed = min_calibration_size(interval_level)
    calib_rows = sum(len(r) for r in backtest_res)
    if calib_rows >= needed:
        calibration, source = np.concatenate(backtest_res), "backtest"
    else:
        parts = [*backtest_res, holdout_fold.forecaster.calibration_residuals_]
        calibration, source = np.concatenate([p for p in parts if len(p)] or [np.zeros((0, config.horizon))]), \
            "validation_windows" if not backtest_res else "backtest_and_validation_windows"
    holdout = holdout_fold.predictions.copy()
    floor = value_floor(holdout_fold.train)  # from training rows only: a holdout value must not move the bounds
    cov: dict[str, Any] = {"level": interval_level, "holdout": float("nan"), "backtest": float("nan"),
                           "n_calibration": 0, "reliable": False, "source": source}
    widths: ConformalWidths | None = None
    if len(calibration):
        widths = fit_conformal(calibration, interval_level)
        holdout["lower"], holdout["upper"] = _apply(widths, holdout, config.horizon, floor)
        cov.update(holdout=coverage(holdout[Y], holdout["lower"], holdout["upper"]),
                   backtest=cross_conformal_coverage(backtest_res, interval_level),
                   n_calibration=widths.n_calibration, reliable=widths.reliable)
    else:
        holdout["lower"] = holdout["upper"] = np.nan
    holdout = holdout.drop(columns="scale")

    # Future: refit on everything (or reuse), intervals calibrated on all out-of-sample residuals incl. holdout.
    final = holdout_fold.forecaster
    if refit and not stopped():
        # warm start (config.warm_start_epochs > 0): continue the holdout model on every row instead of a new fit
        final = NeuralForecaster(config).fit(frame, counted, warm_start=holdout_fold.forecaster)
        train_seconds += final.train_seconds_
        epochs_run += final.epochs_run_
    future = final.predict_with_scale(frame).drop(columns=NETWORK_ALONE, errors="ignore")
    floor = value_floor(frame)  # the future's training rows are all rows
    if floor is not None:  # a shop that never sold fewer than zero units will not next month either
        value_column = NETWORK if NETWORK in future.columns else "yhat"
        future[value_column] = future[value_column].clip(lower=floor)
    future_calibration = [calibration, holdout_fold.network_residuals()]
    future_calibration = np.concatenate([c for c in future_calibration if len(c)])
    if len(future_calibration):
        future_widths = fit_conformal(future_calibration, interval_level)
        future["lower"], future["upper"] = _apply(future_widths, future, config.horizon, floor)
    else:
        future["lower"] = future["upper"] = np.nan
    future = future.drop(columns="scale")
    if models and not stopped():
        ahead = pending[_FUTURE].result() if _FUTURE in pending else forecast_baselines(frame, config.horizon, freq,
                                                                                          models)
        future = future.merge(ahead[[ID, DS, *models]], on=[ID, DS], how="left")
        if floor is not None:
            future[list(models)] = future[list(models)].clip(lower=floor)

    baseline_models = holdout_fold.baseline_models
    return ForecastResult(
        # the config the network was trained with (a lever may adapt to the data, e.g. no Fourier terms on a short history)
        config=getattr(final, "config", config), freq=freq, season_length=season_length(freq),
        metrics=aggregate_metrics(summary),
        scorecard=scorecard, summary=summary, history=frame[[ID, DS, Y]].copy(), holdout=holdout, future=future,
        verdicts=result_verdicts(summary, holdout), coverage=cov, train_seconds=train_seconds,
        epochs_run=epochs_run,
        loss_history=holdout_fold.forecaster.history_, baseline_models=baseline_models,
        cancelled=any(f.forecaster.cancelled_ for f in folds) or getattr(final, "cancelled_", False) or stopped(),
        forecaster=final, total_seconds=time.perf_counter() - started,
        backend=holdout_fold.forecaster.backend_,
    )


def check_inputs(df_long: pd.DataFrame, config: ForecastConfig, backtest_folds: int,
                 interval_level: float) -> tuple[pd.DataFrame, str]:
    """The checks before any training (typed errors for bad settings or data); the prepared frame and its
    frequency."""
    config.validate()
    if not 0 < interval_level < 1:
        raise ConfigError("forecast.error.out_of_range", setting="interval_level", value=interval_level, low=0, high=1)
    if backtest_folds < 0 or backtest_folds > 20:
        raise ConfigError("forecast.error.out_of_range", setting="backtest_folds", value=backtest_folds, low=0,
                          high=20)
    frame, freq = prepare_frame(df_long)
    check_series_content(frame)
    check_history(frame, config, held_out=config.horizon * (backtest_folds + 1))
    return frame, freq


def _apply(widths: ConformalWidths, frame: pd.DataFrame, horizon: int,
           floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lower/upper columns for a long frame with yhat-like column (network or yhat) and scale, sorted by id, ds.

    ``floor``: the lowest value the target can take (0 for sales that were never negative); a bound below it is
    raised to it, which can only make the interval cover more often."""
    column = NETWORK if NETWORK in frame.columns else "yhat"
    step = frame.groupby(ID, sort=False).cumcount().to_numpy()
    half = frame["scale"].to_numpy() * widths.widths[np.minimum(step, horizon - 1)]
    values = frame[column].to_numpy()
    lower, upper = values - half, values + half
    if floor is not None:
        lower, upper = np.maximum(lower, floor), np.maximum(upper, floor)
    return lower, upper


def value_floor(frame: pd.DataFrame) -> float | None:
    """0 when no series ever went below zero (units, revenue or price with returns netted), else no floor."""
    return 0.0 if len(frame) and bool((frame[Y] >= 0).all()) else None


__all__ = ["ForecastResult", "run_forecast", "HOLDOUT", "NETWORK"]
