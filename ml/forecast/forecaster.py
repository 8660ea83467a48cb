"""NeuralForecaster: windowing + scaling + a Keras network behind scikit-learn conventions.

``__init__`` only stores the config; ``fit`` returns self; what was learned ends in ``_``. Keras is imported on
the first ``fit``/``predict``/load (through ``ml.forecast.network``), never when this module is imported.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ml.forecast.baselines import (
    arima_origin_forecasts,
    ets_origin_forecasts,
    seasonal_naive_origin_forecasts,
    two_season_mean_origin_forecasts,
)
from ml.forecast.config import COMBINE_PARTNERS, ForecastConfig, frequency_kind, season_length
from ml.forecast.data import (
    COVARIATES,
    DS,
    ID,
    Y,
    check_history,
    check_series_content,
    fingerprint,
    future_dates,
    prepare_frame,
)
from ml.forecast.features import calendar_feature_names, calendar_features
from ml.forecast.smoothing import SmootherParams, fit_smoother, smoother_forecasts
from ml.forecast.windows import (
    EPS,
    SeriesScaler,
    Windows,
    fit_scaler,
    make_windows,
    seasonal_baseline,
    split_train_validation,
)
from ml.progress import ProgressSink, as_progress
from ml.schema import ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover
    import keras

GLOBAL_KEY = "__global__"
NETWORK_ALONE = "network_alone"  # the network's forecast before its blend (combine != "none"), scored beside it
WEIGHT_STEP = 0.1  # step of the shares in the combination with the partners (blend_grid)
FOURIER_MIN_YEARS = 1.5  # yearly Fourier inputs need this much history to be learned (see _fourier_order)


def member_key(key: str, member: int) -> str:
    """Key of ensemble member ``member`` of the network ``key`` in ``models_`` (member 0 keeps the plain key)."""
    return key if member == 0 else f"{key}#{member}"


@dataclass
class _SeriesArrays:
    """One series turned into arrays: raw y, past features (calendar + scaled covariates), calendar."""

    uid: str
    dates: pd.DatetimeIndex
    y: np.ndarray  # [T]
    past: np.ndarray  # [T, p]
    calendar: np.ndarray  # [T, f]
    covariates: np.ndarray  # [T, c] raw


def _network():
    from ml.forecast import network

    return network


class NeuralForecaster:
    """A neural forecaster for one or many series of one frequency.

    Learned attributes after ``fit``: ``models_`` (series id or ``"__global__"`` -> keras.Model; ``model_`` is the
    global one), ``scalers_`` (series id -> SeriesScaler), ``history_`` (per-epoch ``loss``/``val_loss``),
    ``epochs_run_``, ``train_seconds_``, ``freq_``, ``series_``, ``covariates_``, ``calendar_names_``,
    ``fingerprint_`` (sha256 of the training frame), ``calibration_residuals_`` ([n, horizon] signed residuals on
    the validation windows, divided by each window's mean absolute level; used for conformal intervals),
    ``cancelled_`` (stopped through ``progress.stop``), ``best_epoch_``, ``backend_`` (the Keras backend that trained it),
    ``batch_sizes_`` (key -> the batch it trained with: ``ForecastConfig.training_batch``),
    ``combine_weights_`` (series id -> network share in the blend with exponential smoothing, chosen on the validation
    windows; 1.0 when ``combine`` is off) and ``smoothers_`` (series id -> SmootherParams).

    The improvements of the config wrap around the network the analyst set: ``baseline`` (the network learns the
    residual over each window's seasonal mean), ``fourier_order`` (yearly terms among the calendar inputs),
    ``ensemble`` (several seeds, forecasts averaged), ``combine`` (blend with the scorecard's ETS and ARIMA, or
    exponential smoothing; ``combine_partners_``: series id -> {partner: share}, the network's share in
    ``combine_weights_``; ``combine_shrink`` moves the shares toward equal ones) and ``lr_schedule``. The holdout is
    never passed to ``fit``; the blend's shares and early stopping see only the validation windows at the end of
    what ``fit`` is given.
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config if config is not None else ForecastConfig()

    # ------------------------------------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame, progress: ProgressSink | None = None,
            warm_start: NeuralForecaster | None = None) -> NeuralForecaster:
        """Train on a long frame (unique_id, ds, y[, price, promo]) — all of it: split off any holdout first.

        ``progress`` gets an "epoch" event after each epoch, counted over every network this fit trains (ensemble
        members, per-series models) with the epochs' ``loss``/``val_loss``; setting ``progress.stop`` stops training
        at the next batch and keeps the best weights so far. ``warm_start``: a forecaster fitted with the same
        config on an earlier part of the same series (the holdout model); its weights are trained on for
        ``warm_start_epochs`` more epochs over every window of ``df`` (no validation windows are kept back), and
        its blend weights and calibration residuals are kept. Raises DataError / ConfigError (message ids) for
        data the config cannot work with, ConfigError ``forecast.error.diverged`` when the loss becomes NaN.
        """
        config = self.config
        config.validate()
        frame, freq = prepare_frame(df)
        check_series_content(frame)
        check_history(frame, config)
        warm = warm_start is not None and config.warm_start_epochs > 0
        fourier = warm_start.config.fourier_order if warm else _fourier_order(config, frame, freq)
        if fourier != config.fourier_order:  # the network's inputs follow what it can learn from (saved in bundles)
            config = self.config = config.replace(fourier_order=fourier)
        self.freq_ = freq
        self.covariates_ = [c for c in COVARIATES if c in frame.columns] if config.use_covariates else []
        self.calendar_names_ = calendar_feature_names(config, freq)
        self.fingerprint_ = fingerprint(frame)
        self.scalers_: dict[str, SeriesScaler] = {}
        m = season_length(freq)
        series: list[_SeriesArrays] = []
        for uid, group in frame.groupby(ID, sort=True):
            uid = str(uid)
            covs = {c: group[c].to_numpy() for c in self.covariates_}
            self.scalers_[uid] = fit_scaler(group[Y].to_numpy(), config.scaler, covs)
            series.append(self._series_arrays(uid, group))
        self.series_ = [s.uid for s in series]

        steps, horizon = config.output_steps, config.horizon
        train_parts: dict[str, list[Windows]] = {}
        val_parts: dict[str, list[Windows]] = {}
        calib_parts: dict[str, list[tuple[str, Windows, np.ndarray]]] = {}  # key -> (uid, windows, origin rows)
        stride = config.training_stride(len(series))
        self.smoothers_: dict[str, SmootherParams] = {}
        for s in series:
            key = GLOBAL_KEY if config.global_model else s.uid
            scaler = self.scalers_[s.uid]
            w = make_windows(s.y, s.past, s.calendar, config.window, steps, scaler)
            if warm:
                tr, va = np.arange(len(w)), np.arange(0)
            else:
                tr, va = split_train_validation(len(w), config.validation_split, steps)
            if stride > 1:  # every stride-th training window, counted back from the latest one
                tr = tr[::-1][::stride][::-1]
            train_parts.setdefault(key, []).append(w.take(tr))
            val_parts.setdefault(key, []).append(w.take(va))
            first_origin = int(va[0]) + config.window if len(va) else len(s.y)
            if config.combine == "ets":  # parameters from the rows before the validation windows only
                self.smoothers_[s.uid] = fit_smoother(s.y, m, fit_end=first_origin)
            if len(va):
                # the same validation origins, with horizon-long targets, to measure multi-step residuals
                wh = make_windows(s.y, s.past, s.calendar, config.window, horizon, scaler)
                index = np.arange(int(va[0]), len(wh))
                calib_parts.setdefault(key, []).append((s.uid, wh.take(index), index + config.window))

        net = _network()
        self.backend_ = net.backend_name()  # "tensorflow" or "jax": recorded in bundles and runs
        self.models_: dict[str, keras.Model] = {}
        self.history_: dict[str, list[float]] = {}
        self.epochs_run_ = 0
        self.best_epoch_ = -1
        self.cancelled_ = False
        self.batch_sizes_: dict[str, int] = {}  # key -> the batch it trained with (config.training_batch)
        keys = list(train_parts)
        run_config = config.replace(epochs=config.warm_start_epochs, patience=0) if warm else config
        total_epochs = run_config.epochs * len(keys) * config.ensemble
        start = time.perf_counter()
        done = 0
        sink = as_progress(progress)
        for key in keys:
            train = Windows.concat(train_parts[key])
            val = Windows.concat(val_parts[key])
            batch = config.training_batch(len(train), len(train_parts[key]))
            patience = run_config.training_patience(len(train_parts[key]))
            key_config = run_config if (batch, patience) == (run_config.batch_size, run_config.patience) else \
                run_config.replace(batch_size=batch, patience=patience)
            self.batch_sizes_[key] = batch
            for member in range(config.ensemble):
                mkey = member_key(key, member)
                net.set_seed(config.seed + member)
                model = net.build_network(key_config, train.past.shape[2], train.future.shape[2])
                if warm:
                    model.set_weights(warm_start.models_[mkey].get_weights())

                offset = done * run_config.epochs
                member_progress = sink.mapped(
                    lambda event, offset=offset: replace(event, done=offset + event.done, total=total_epochs))
                monitor = net.train_network(
                    model, self._inputs(train), train.target, self._inputs(val) if len(val) else None,
                    val.target if len(val) else None, key_config, member_progress,
                )
                done += 1
                if monitor.diverged:
                    raise ConfigError(
                        "forecast.error.diverged", learning_rate=config.learning_rate,
                        suggested=config.learning_rate / 10, epoch=monitor.epochs_run,
                    )
                self.models_[mkey] = model
                for name, values in monitor.history.items():
                    self.history_.setdefault(name if member == 0 else f"{name}_{member}", []).extend(values)
                self.epochs_run_ += monitor.epochs_run
                if member == 0:
                    self.best_epoch_ = monitor.best_epoch
                self.cancelled_ = self.cancelled_ or monitor.cancelled
                if self.cancelled_:
                    break
            if self.cancelled_:
                break
        self.train_seconds_ = time.perf_counter() - start

        self.combine_weights_ = {uid: 1.0 for uid in self.series_}
        self.combine_partners_: dict[str, dict[str, float]] = {}  # uid -> {partner: share}; shares sum to 1
        self.combine_errors_: dict[str, list[float]] = {}  # uid -> validation MAE of each blend_grid point
        if warm:
            self.combine_weights_.update(getattr(warm_start, "combine_weights_", {}))
            self.combine_partners_.update(partner_shares(warm_start))
            self.combine_errors_.update(getattr(warm_start, "combine_errors_", {}))
            self.calibration_residuals_ = warm_start.calibration_residuals_
            if config.combine == "ets":  # the smoother's parameters from every row now
                self.smoothers_ = {s.uid: fit_smoother(s.y, m) for s in series}
            return self
        residuals: list[np.ndarray] = []
        y_of = {s.uid: s.y for s in series}
        for key, parts in calib_parts.items():
            if self.cancelled_ or key not in self.models_:
                continue
            calib = Windows.concat([w for _, w, _ in parts])
            yhat_all = self._forecast_windows(key, calib)
            offset = 0
            for uid, w, origins in parts:
                yhat = yhat_all[offset:offset + len(w)]
                offset += len(w)
                actual = w.target * w.scale[:, None] + w.loc[:, None]
                if config.combine != "none":
                    partners = self._partner_forecasts(y_of[uid], uid, origins)
                    grid = blend_grid(len(partners) + 1)
                    errors = _blend_errors(actual, [yhat, *partners.values()], grid)
                    shares = _best_shares(errors, grid, config.combine_shrink)
                    self.combine_weights_[uid] = float(shares[0])
                    self.combine_partners_[uid] = {n: float(w) for n, w in zip(partners, shares[1:], strict=True)}
                    self.combine_errors_[uid] = [float(e) for e in errors]
                    yhat = _blend([yhat, *partners.values()], shares)
                residuals.append((actual - yhat) / _origin_scale(w)[:, None])
        self.calibration_residuals_ = np.concatenate(residuals) if residuals else np.zeros((0, horizon))
        if config.combine == "ets":  # weights chosen; the smoother itself now learns from every row it was given
            self.smoothers_ = {s.uid: fit_smoother(s.y, m) for s in series}
        return self

    @property
    def model_(self) -> keras.Model:
        """The global model (one model across all series)."""
        if GLOBAL_KEY not in getattr(self, "models_", {}):
            raise AttributeError("model_ exists for a fitted global model; per-series models are in models_")
        return self.models_[GLOBAL_KEY]

    # ------------------------------------------------------------------------------------------------ predict
    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        """Forecast the ``horizon`` periods after the end of each series in ``df``.

        ``df`` follows the input contract and must hold at least ``window`` periods of each series the model was
        trained on (the most recent ones are used). Returns a long frame [unique_id, ds, yhat]. Covariates, when
        used, are carried forward at their last value over the horizon.
        """
        return self.predict_with_scale(df).drop(columns=["scale", NETWORK_ALONE], errors="ignore")

    def predict_with_scale(self, df: pd.DataFrame) -> pd.DataFrame:
        """Like ``predict``, plus ``scale``: the mean absolute level of each input window (for intervals), and,
        when ``combine`` is on, ``network_alone``: the network's own forecast before the blend."""
        self._check_fitted()
        frame, freq = prepare_frame(df)
        if freq != self.freq_:
            raise DataError("forecast.error.frequency_changed", expected=self.freq_, found=freq)
        unknown = sorted(set(frame[ID]) - set(self.series_))
        if unknown:
            raise DataError("forecast.error.unknown_series", series=unknown[0], count=len(unknown))
        missing_cov = [c for c in self.covariates_ if c not in frame.columns]
        if missing_cov:
            raise DataError("forecast.error.missing_columns", columns=", ".join(missing_cov))
        config = self.config
        groups: dict[str, list[tuple[str, Windows, pd.DatetimeIndex]]] = {}
        smooth: dict[str, np.ndarray] = {}
        for uid, group in frame.groupby(ID, sort=True):
            uid = str(uid)
            if len(group) < config.window:
                raise ConfigError("forecast.error.window_too_long", series=uid, window=config.window,
                                  available=len(group), held_out=0)
            raw = group[Y].to_numpy(dtype=np.float64)
            guarded = _without_absurd_values(raw, season_length(self.freq_))
            if guarded is not raw:  # a one-off absurd value (1e9 units) must not pass the baseline's linear skip
                group = group.assign(**{Y: guarded})
            s = self._series_arrays(uid, group.iloc[-config.window:])
            dates = future_dates(s.dates[-1], self.freq_, config.horizon)
            cal = calendar_features(dates, config, self.freq_)
            scaler = self.scalers_[uid]
            loc, scale = scaler.loc_scale(s.y[None, :])
            past = np.concatenate([((s.y[None, :] - loc[:, None]) / scale[:, None])[..., None], s.past[None]], 2)
            w = Windows(past.astype(np.float32), cal[None].astype(np.float32),
                        np.zeros((1, config.horizon), np.float32), loc, scale)
            key = GLOBAL_KEY if config.global_model else uid
            groups.setdefault(key, []).append((uid, w, dates))
            if config.combine != "none":
                y = group[Y].to_numpy(dtype=np.float64)
                smooth[uid] = {n: f[0] for n, f in self._partner_forecasts(y, uid, np.array([len(y)])).items()}
        rows = []
        for key, items in groups.items():
            batch = Windows.concat([w for _, w, _ in items])
            yhat = self._forecast_windows(key, batch)
            origin_scale = _origin_scale(batch)
            for i, (uid, _, dates) in enumerate(items):
                values = yhat[i]
                part = {}
                if uid in smooth:
                    weight = self.combine_weights_.get(uid, 1.0)
                    shares = partner_shares(self).get(uid, {})
                    part = {NETWORK_ALONE: values}  # what the analyst's network forecast before the blend
                    values = weight * values + sum(shares.get(n, 0.0) * f for n, f in smooth[uid].items())
                rows.append(pd.DataFrame({ID: uid, DS: dates, "yhat": values, **part, "scale": origin_scale[i]}))
        return pd.concat(rows, ignore_index=True).sort_values([ID, DS], kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------------------------------------ internals
    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise RuntimeError("NeuralForecaster is not fitted: call fit() or load a bundle first")

    def _series_arrays(self, uid: str, group: pd.DataFrame) -> _SeriesArrays:
        dates = pd.DatetimeIndex(group[DS])
        cal = calendar_features(dates, self.config, self.freq_)
        covs = group[self.covariates_].to_numpy(dtype=np.float64) if self.covariates_ else np.zeros((len(group), 0))
        scaled = self.scalers_[uid].transform_covariates(covs, self.covariates_) if self.covariates_ else covs
        past = np.concatenate([cal, scaled.astype(np.float32)], axis=1)
        return _SeriesArrays(uid, dates, group[Y].to_numpy(dtype=np.float64), past, cal, covs)

    def _inputs(self, w: Windows, future: np.ndarray | None = None) -> list[np.ndarray]:
        """The network's inputs: past, future calendar (when there is one), baseline (when on)."""
        fut = w.future if future is None else future
        inputs = [w.past, fut] if fut.shape[2] else [w.past]
        if self.config.baseline != "none":
            inputs.append(self._baseline(w.past, self.config.output_steps))
        return inputs

    def _baseline(self, past: np.ndarray, steps: int) -> np.ndarray:
        """Scaled seasonal-mean baseline [n, steps] of windows whose channel 0 is scaled y (zeros when off)."""
        if self.config.baseline == "none":
            return np.zeros((past.shape[0], steps), np.float32)
        m = season_length(self.freq_)
        return seasonal_baseline(past[:, :, 0].astype(np.float64), steps, m).astype(np.float32)

    def _members(self, key: str) -> list[keras.Model]:
        out = [self.models_[key]]
        out += [self.models_[k] for k in (member_key(key, i) for i in range(1, self.config.ensemble))
                if k in self.models_]
        return out

    def _forecast_windows(self, key: str, w: Windows) -> np.ndarray:
        """Raw-scale network forecasts [n, horizon] (mean over the ensemble) from windows whose ``future`` holds
        the calendar of all horizon steps.

        Direct head: one pass. Recursive head: one step at a time, each prediction appended to the window (and the
        window's scale recomputed for ``window_mean``); calendar of the next step from ``future``, covariates carried
        forward, the seasonal-mean baseline of the current window.
        """
        net = _network()
        models = self._members(key)
        horizon = self.config.horizon
        if self.config.head == "direct":
            inputs = self._inputs(w)
            out = np.mean([net.predict(model, inputs) for model in models], axis=0)
            return out * w.scale[:, None] + w.loc[:, None]
        n_cal = w.future.shape[2]
        y_buf = w.past[:, :, 0].astype(np.float64) * w.scale[:, None] + w.loc[:, None]  # raw look-back values
        feat_buf = w.past[:, :, 1:].copy()  # [n, window, p]
        kind = self.config.scaler
        preds = np.zeros((len(w), horizon))
        for h in range(horizon):
            if kind == "window_mean":
                scale = np.abs(y_buf).mean(axis=1)
                scale = np.where(scale > EPS, scale, 1.0)
                loc = np.zeros(len(w))
            else:
                loc, scale = w.loc, w.scale
            past = np.concatenate([((y_buf - loc[:, None]) / scale[:, None])[..., None], feat_buf], axis=2)
            past = past.astype(np.float32)
            step = Windows(past, w.future[:, h:h + 1, :], np.zeros((len(w), 1), np.float32), loc, scale)
            inputs = self._inputs(step)
            out = np.mean([net.predict(model, inputs)[:, 0] for model in models], axis=0)
            value = out * scale + loc
            preds[:, h] = value
            next_feat = np.concatenate([w.future[:, h, :], feat_buf[:, -1, n_cal:]], axis=1)[:, None, :]
            y_buf = np.concatenate([y_buf[:, 1:], value[:, None]], axis=1)
            feat_buf = np.concatenate([feat_buf[:, 1:], next_feat], axis=1)
        return preds

    def _partner_forecasts(self, y: np.ndarray, uid: str, origins: np.ndarray) -> dict[str, np.ndarray]:
        """Partner name -> [len(origins), horizon] forecasts from each origin of y of the models the network is
        blended with (``COMBINE_PARTNERS[config.combine]``): the fast smoother (combine "ets"), the scorecard's
        statsmodels ETS fitted on y ("ets_model"), that ETS and the scorecard's ARIMA ("ets_arima"), those and
        the scorecard's seasonal naive ("ets_arima_snaive"), and those and the mean of the last two seasons
        ("ets_arima_snaive_snaive2")."""
        if self.config.combine == "ets":
            return {"ets": smoother_forecasts(y, self.smoothers_[uid], self.config.horizon, origins)}
        m = season_length(self.freq_)
        y = _without_absurd_values(y, m)
        horizon, out = self.config.horizon, {}
        for name in COMBINE_PARTNERS[self.config.combine]:
            if name == "ets":
                out[name] = ets_origin_forecasts(y, m, horizon, origins)
            elif name == "arima":
                out[name] = arima_origin_forecasts(y, m, frequency_kind(self.freq_), horizon, origins)
            elif name == "snaive":  # the last season before each origin, repeated (the scorecard's baseline)
                out[name] = seasonal_naive_origin_forecasts(y, m, horizon, origins)
            else:  # "snaive2": the mean of the same period in the two seasons before each origin
                out[name] = two_season_mean_origin_forecasts(y, m, horizon, origins)
        return out

    def get_params(self) -> dict[str, Any]:
        return {"config": self.config}


def _fourier_order(config: ForecastConfig, frame: pd.DataFrame, freq: str) -> int:
    """The yearly Fourier pairs the network gets: ``config.fourier_order`` when the longest series holds at least
    FOURIER_MIN_YEARS of history, else 0. On a shorter history the held-out days sit at positions of the year the
    network never saw, and the terms extrapolate (additive trend, 1 year: MASE 5.2 with 2 pairs, 0.65 without)."""
    if not config.fourier_order:
        return 0
    per_year = {"D": 365, "W": 52, "M": 12}[frequency_kind(freq)]
    longest = int(frame.groupby(ID, sort=False).size().max())
    return config.fourier_order if longest >= FOURIER_MIN_YEARS * per_year else 0


ABSURD_FACTOR = 1000.0  # see _without_absurd_values


def _without_absurd_values(y: np.ndarray, m: int) -> np.ndarray:
    """y with values further than ABSURD_FACTOR median absolute seasonal differences from its median clipped to that
    bound, for the ETS the network is blended with and for the window the network forecasts from: a maximum-likelihood
    ETS follows a one-off absurd value (a typo, 1e9 units) into every forecast, and so does the seasonal-mean
    baseline's linear skip. Series without such values (every battery series' training rows) are passed unchanged,
    so the partner is then exactly the scorecard's ETS."""
    lag = m if len(y) > m else 1
    diffs = np.abs(y[lag:] - y[:-lag])
    scale = float(np.median(diffs)) if len(diffs) else 0.0
    if not scale > 0:
        return y
    centre = float(np.median(y))
    low, high = centre - ABSURD_FACTOR * scale, centre + ABSURD_FACTOR * scale
    return y if bool(((y >= low) & (y <= high)).all()) else np.clip(y, low, high)


def blend_grid(models: int) -> np.ndarray:
    """[points, models] shares on the simplex in steps of WEIGHT_STEP, network first (its share descending, so a
    tie goes to the larger network share: the first minimum)."""
    n = round(1 / WEIGHT_STEP)
    points = [c for c in itertools.product(range(n, -1, -1), repeat=models - 1) if sum(c) <= n]
    return np.array([(*c, n - sum(c)) for c in points], dtype=np.float64) / n


def _blend(forecasts: list[np.ndarray], shares: np.ndarray) -> np.ndarray:
    return sum(w * f for w, f in zip(shares, forecasts, strict=True))


def _blend_errors(actual: np.ndarray, forecasts: list[np.ndarray], grid: np.ndarray) -> np.ndarray:
    """Mean absolute error on the validation origins of the blend at each grid point (network first)."""
    return np.array([np.nanmean(np.abs(actual - _blend(forecasts, w))) for w in grid])


def _best_shares(errors: np.ndarray, grid: np.ndarray, shrink: float) -> np.ndarray:
    """The grid point with the lowest validation error (ties: the first, the larger network share), moved a
    fraction ``shrink`` toward equal shares (ForecastConfig.combine_shrink)."""
    best = grid[int(np.argmin(np.where(np.isfinite(errors), errors, np.inf)))]
    return (1 - shrink) * best + shrink * np.full(len(best), 1 / len(best))


def partner_shares(forecaster: Any) -> dict[str, dict[str, float]]:
    """uid -> {partner: share} of a fitted forecaster; a forecaster from before partners were saved blended with
    ETS alone, at 1 - its network share."""
    saved = getattr(forecaster, "combine_partners_", None)
    if saved:
        return saved
    return {uid: {"ets": 1.0 - w} for uid, w in getattr(forecaster, "combine_weights_", {}).items()}


def _origin_scale(w: Windows) -> np.ndarray:
    """Mean absolute level of each window's look-back values: the unit of the conformal residuals."""
    raw = w.past[:, :, 0].astype(np.float64) * w.scale[:, None] + w.loc[:, None]
    scale = np.abs(raw).mean(axis=1)
    return np.where(scale > EPS, scale, 1.0)
