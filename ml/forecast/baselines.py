"""Classical baselines every network is measured against, fitted on exactly the rows the network trains on.

Why statsmodels and not statsforecast: statsforecast 2.1.1 (the faster library, PERF_NOTES) requires pandas < 3
and SalesLens pins pandas 3.1.1, so the two cannot be installed together. statsmodels 0.15 works with pandas 3.
It has no automatic ARIMA and its ETS fits cost 0.1-2 s each, so for interactive use the model spaces are small
and fixed (measured on a 700-day daily series, 2-core CPU):

- ``naive``: the last value, repeated.
- ``snaive``: the value one season (m) earlier; m = 7 daily, 52 weekly, 12 monthly (naive when history < m).
- ``ma``: the mean of the last 28 days / 4 weeks / 3 months.
- ``ets``: additive-error ETS chosen by AICc among A,N,N / A,Ad,N / A,N,A (seasonal only with two full seasons
  and m <= 12 or three seasons for m = 52): about 1 s a series. Additive error because sales series hold zeros
  and returns make them negative. (AutoETS on the real shop series also picks A,N,A; realdata/README.md.)
- ``arima``: one fixed seasonal ARIMA(1,1,1)(0,1,1)m (the "airline" family), ~1 s a daily series; ARIMA(1,1,1)
  for weekly data, where a 52-lag seasonal fit takes ~9 s. Not an order search.

If ETS or ARIMA fails on a series, its forecast falls back to seasonal naive and ``df.attrs['notes']`` says so.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ml.blas import one_blas_thread
from ml.forecast.config import frequency_kind, season_length
from ml.forecast.data import DS, ID, Y, future_dates
from ml.forecast.fit_cache import FitCache, content_key

BASELINES: tuple[str, ...] = ("naive", "snaive", "ma", "ets", "arima")
MA_WINDOW = {"D": 28, "W": 4, "M": 3}


def naive(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.full(horizon, float(y[-1]))


def seasonal_naive(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    if len(y) < m or m < 2:
        return naive(y, horizon)
    last = np.asarray(y[-m:], dtype=np.float64)
    return np.resize(last, horizon)  # repeats the last season


def two_season_mean(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """The mean of the same period one and two seasons earlier (seasonal naive with half its noise when the seasonal
    profile is steady); seasonal naive when the history holds one season only, naive when it holds less."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < 2 * m or m < 2:
        return seasonal_naive(y, horizon, m)
    return (seasonal_naive(y, horizon, m) + seasonal_naive(y[:-m], horizon, m)) / 2


def moving_average(y: np.ndarray, horizon: int, window: int) -> np.ndarray:
    return np.full(horizon, float(np.mean(y[-window:])))


def ets(y: np.ndarray, horizon: int, m: int) -> tuple[np.ndarray, str]:
    """Additive-error ETS selected by AICc over a small model space; returns (forecast, model name)."""
    result, name = ets_fit(y, m)
    forecast = np.asarray(result.forecast(horizon), dtype=np.float64)
    if not np.all(np.isfinite(forecast)):
        raise ValueError("no ETS model could be fitted")
    return forecast, name


# The fitted ETS of the series seen last, by content: the scorecard's ETS and the network's combination with ETS
# (ForecastConfig.combine == "ets_model") fit the same rows, so the second asks for what the first fitted. Only the
# chosen specification and its parameters are kept (a few hundred bytes); a hit rebuilds the results by smoothing
# once with them (identical forecasts, ~1/70 of a fit), so the cache stays small in a long-running server.
_FIT_CACHE_SIZE = 128
_FIT_CACHE_BYTES = 1 << 20
_ENTRY_OVERHEAD = 512  # the key, the specification and the tuples around the parameters, roughly
_ETS_CACHE = FitCache(_FIT_CACHE_SIZE, _FIT_CACHE_BYTES)
# One fit at a time across threads (the scorecard's thread and the network's combination): whoever comes second for
# the same rows waits and finds the fit in the cache instead of fitting it again.
_FIT_LOCK = threading.RLock()


@contextmanager
def statsmodels_section() -> Iterator[None]:
    """Hold the fit lock and run OpenBLAS on one thread meanwhile (reentrant).

    statsmodels' fits solve many tiny systems (a 9x9 Lyapunov equation per likelihood evaluation of the seasonal
    ARIMA): on two OpenBLAS threads each call waits for a second thread to wake and ends 10-20x slower, worse on a
    busy machine. On one thread the forecasts are bitwise the same (bench/RESULTS.md, "statsmodels on one BLAS
    thread"). The limit is process-wide while any thread holds it (``ml.blas.one_blas_thread``), so other threads'
    numpy calls then run on one BLAS thread too (same results, only their speed can change)."""
    with _FIT_LOCK:
        import statsmodels.tsa.arima.model  # noqa: F401 (scipy's OpenBLAS loaded before it is limited)
        import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401

        with one_blas_thread():
            yield


def ets_fit(y: np.ndarray, m: int) -> tuple[object, str]:
    """``_ets_fit`` in the statsmodels section (fit lock, one BLAS thread)."""
    with statsmodels_section():
        return _ets_fit(y, m)


def _ets_fit(y: np.ndarray, m: int) -> tuple[object, str]:
    """The AICc-best of A,N,N / A,Ad,N / A,N,A fitted to y: (statsmodels ETSResults, model name); ValueError when
    none fits. The choice and its parameters are cached by the content of y, so fitting the same rows twice costs
    one fit and one smoothing; a fit another process made for the same rows (``ml.forecast.fit_process``) counts as
    cached."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = np.ascontiguousarray(y, dtype=np.float64)
    key = content_key(y, int(m))
    kept = _ETS_CACHE.get(key) or _fitted_elsewhere(_ETS_CACHE, "ets", key)
    if kept is not None:
        return _rebuilt(kept, lambda spec, params: ETSModel(y, **spec).smooth(params))
    result, name, spec = _ets_search(y, m)
    _remember(_ETS_CACHE, key, spec, result, name)
    return result, name


def _ets_search(y: np.ndarray, m: int) -> tuple[object, str, dict]:
    """(results, name, specification) of the AICc-best ETS fitted to y (no cache); ValueError when none fits."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal_ok = m >= 2 and ((m <= 12 and len(y) >= 2 * m + 2) or len(y) >= 3 * m)
    candidates = [("N", False, None), ("A", True, None)]
    if seasonal_ok:
        candidates.append(("N", False, "add"))
    best: tuple[float, object, str, dict] | None = None
    for trend, damped, seasonal in candidates:
        spec = {"error": "add", "trend": None if trend == "N" else "add", "damped_trend": damped,
                "seasonal": seasonal, "seasonal_periods": m if seasonal else None}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = ETSModel(y, **spec).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
        aicc = float(result.aicc)
        if not np.isfinite(aicc):
            continue
        if best is None or aicc < best[0]:
            name = f"ETS(A,{trend + ('d' if damped else '')},{'A' if seasonal else 'N'})"
            best = (aicc, result, name, spec)
    if best is None:
        raise ValueError("no ETS model could be fitted")
    return best[1], best[2], best[3]


def _rebuilt(kept: tuple, run: Callable[[dict, np.ndarray], object]) -> tuple[object, str]:
    """(results, name) of a cached fit: ``run(spec, params)`` smooths or filters the series once with them."""
    spec, params, name = kept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(spec, params), name


def _remember(cache: FitCache, key: tuple, spec: dict, result: object, name: str) -> None:
    """Keep what rebuilds ``result``: its model's specification and fitted parameters (a copy, a few floats)."""
    params = np.array(result.params, dtype=np.float64)
    cache.put(key, (dict(spec), params, name), nbytes=params.nbytes + _ENTRY_OVERHEAD)


def ets_origin_forecasts(y: np.ndarray, m: int, horizon: int, origins: np.ndarray) -> np.ndarray:
    """[len(origins), horizon]: ETS forecasts made from each origin o (after seeing y[:o]; o <= len(y)), with the
    model and parameters fitted on all of y, the states filtered on y[:o] only. Seasonal naive from each origin
    when no ETS model fits (as the scorecard's ETS falls back)."""
    y = np.asarray(y, dtype=np.float64)
    with statsmodels_section():
        try:
            result, _ = ets_fit(y, m)
        except Exception:  # statsmodels raises many types; the combination then uses seasonal naive
            result = None
        return _origin_forecasts(result, y, m, horizon, origins)


def seasonal_naive_origin_forecasts(y: np.ndarray, m: int, horizon: int, origins: np.ndarray) -> np.ndarray:
    """[len(origins), horizon]: the seasonal naive forecast made from each origin o (after seeing y[:o]), the
    scorecard's baseline at each validation origin."""
    return np.stack([seasonal_naive(y[:int(o)], horizon, m) for o in np.asarray(origins)])


def two_season_mean_origin_forecasts(y: np.ndarray, m: int, horizon: int, origins: np.ndarray) -> np.ndarray:
    """[len(origins), horizon]: ``two_season_mean`` from each origin o (after seeing y[:o])."""
    return np.stack([two_season_mean(y[:int(o)], horizon, m) for o in np.asarray(origins)])


def _origin_forecasts(result: object | None, y: np.ndarray, m: int, horizon: int, origins: np.ndarray) -> np.ndarray:
    """[len(origins), horizon] dynamic forecasts of a fitted statsmodels model from each origin (seasonal naive
    where it has none or they are not finite)."""
    out = np.zeros((len(origins), horizon))
    for i, origin in enumerate(np.asarray(origins, dtype=int)):
        values = None
        if result is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = np.asarray(result.predict(start=int(origin), end=int(origin) + horizon - 1, dynamic=0),
                                    dtype=np.float64)
        if values is None or not np.all(np.isfinite(values)):
            values = seasonal_naive(y[:origin], horizon, m)
        out[i] = values
    return out


def arima(y: np.ndarray, horizon: int, m: int, freq_kind: str) -> tuple[np.ndarray, str]:
    """A fixed seasonal ARIMA(1,1,1)(0,1,1)m (non-seasonal for weekly data or short histories)."""
    result, name = arima_fit(y, m, freq_kind)
    forecast = np.asarray(result.forecast(horizon), dtype=np.float64)
    if not np.all(np.isfinite(forecast)):
        raise ValueError("ARIMA forecast is not finite")
    return forecast, name


# Fitted ARIMAs by content, like _ETS_CACHE: the scorecard's ARIMA and the network's combination with it
# (ForecastConfig.combine == "ets_arima") fit the same rows, so the second asks for what the first fitted. Keeping
# the results themselves retained ~26 MB of Kalman filter output per 730-day series (the test suite grew to 2.8 GB):
# a hit filters once with the kept parameters instead (identical forecasts, ~1/20 of a fit).
_ARIMA_CACHE = FitCache(_FIT_CACHE_SIZE, _FIT_CACHE_BYTES)


def arima_fit(y: np.ndarray, m: int, freq_kind: str) -> tuple[object, str]:
    """``_arima_fit`` in the statsmodels section (fit lock, one BLAS thread)."""
    with statsmodels_section():
        return _arima_fit(y, m, freq_kind)


def _arima_fit(y: np.ndarray, m: int, freq_kind: str) -> tuple[object, str]:
    """The fixed ARIMA of ``arima`` fitted to y: (statsmodels ARIMAResults, model name); its parameters are cached
    by the content of y (as ``_ets_fit``'s)."""
    from statsmodels.tsa.arima.model import ARIMA

    y = np.ascontiguousarray(y, dtype=np.float64)
    key = content_key(y, int(m), str(freq_kind))
    kept = _ARIMA_CACHE.get(key) or _fitted_elsewhere(_ARIMA_CACHE, "arima", key)
    if kept is not None:
        return _rebuilt(kept, lambda spec, params: ARIMA(y, **spec).filter(params))
    result, name, spec = _arima_search(y, m, freq_kind)
    _remember(_ARIMA_CACHE, key, spec, result, name)
    return result, name


def _arima_search(y: np.ndarray, m: int, freq_kind: str) -> tuple[object, str, dict]:
    """(results, name, specification) of the fixed ARIMA fitted to y (no cache)."""
    from statsmodels.tsa.arima.model import ARIMA

    seasonal = freq_kind != "W" and m >= 2 and len(y) >= 3 * m + 2
    spec = {"order": (1, 1, 1), "seasonal_order": (0, 1, 1, m) if seasonal else (0, 0, 0, 0),
            "trend": "n" if seasonal else "t"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ARIMA(y, **spec).fit()
    name = f"ARIMA(1,1,1)(0,1,1)[{m}]" if seasonal else "ARIMA(1,1,1) with drift"
    return result, name, spec


def fit_kept(model: str, y: np.ndarray, m: int, freq_kind: str) -> tuple[tuple, tuple[dict, np.ndarray, str]]:
    """(cache key, what the fit cache keeps: specification, parameters, name) of the ETS (``model`` "ets") or ARIMA
    ("arima") that ``_ets_fit`` / ``_arima_fit`` would fit to y, fitted in the statsmodels section without touching
    the caches: for ``ml.forecast.fit_process``, which fits a run's models ahead. Raises as those fits raise."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    with statsmodels_section():
        if model == "ets":
            key = content_key(y, int(m))
            result, name, spec = _ets_search(y, m)
        else:
            key = content_key(y, int(m), str(freq_kind))
            result, name, spec = _arima_search(y, m, freq_kind)
    return key, (dict(spec), np.array(result.params, dtype=np.float64), name)


# Where fits made ahead come from (``ml.forecast.fit_process``, while its run lasts): callables
# (model, key) -> kept | None, asked on a cache miss before fitting here. A source may wait for a fit under way.
FIT_SOURCES: list[Callable[[str, tuple], tuple | None]] = []


def _fitted_elsewhere(cache: FitCache, model: str, key: tuple) -> tuple | None:
    """What a fit source holds for ``key`` (put in ``cache`` too), else None."""
    for source in list(FIT_SOURCES):
        kept = source(model, key)
        if kept is not None:
            spec, params, name = kept
            cache.put(key, (dict(spec), params, name), nbytes=params.nbytes + _ENTRY_OVERHEAD)
            return kept
    return None


def arima_origin_forecasts(y: np.ndarray, m: int, freq_kind: str, horizon: int, origins: np.ndarray) -> np.ndarray:
    """[len(origins), horizon]: forecasts of the scorecard's ARIMA from each origin o (after seeing y[:o]), with
    the parameters fitted on all of y (as ``ets_origin_forecasts``). Seasonal naive when the fit fails."""
    y = np.asarray(y, dtype=np.float64)
    with statsmodels_section():
        try:
            result, _ = arima_fit(y, m, freq_kind)
        except Exception:  # statsmodels raises many types; the combination then uses seasonal naive
            result = None
        return _origin_forecasts(result, y, m, horizon, origins)


def forecast_baselines(train: pd.DataFrame, horizon: int, freq: str,
                       models: tuple[str, ...] | list[str] = BASELINES) -> pd.DataFrame:
    """Forecast ``horizon`` periods after the end of each series with each baseline.

    ``train``: long frame (unique_id, ds, y), sorted, regular at ``freq``. Returns a wide frame
    [unique_id, ds, <model>...]; ``attrs['models']`` maps series -> {model: fitted model name} and
    ``attrs['notes']`` lists fallbacks.
    """
    unknown = [m for m in models if m not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baselines: {unknown}")
    kind = frequency_kind(freq)
    m = season_length(freq)
    frames, details, notes = [], {}, []
    for uid, group in train.groupby(ID, sort=True):
        y = group[Y].to_numpy(dtype=np.float64)
        out = pd.DataFrame({ID: str(uid), DS: future_dates(group[DS].iloc[-1], freq, horizon)})
        info: dict[str, str] = {}
        for model in models:
            if model == "naive":
                out[model] = naive(y, horizon)
            elif model == "snaive":
                out[model] = seasonal_naive(y, horizon, m)
            elif model == "ma":
                out[model] = moving_average(y, horizon, MA_WINDOW[kind])
            else:
                try:
                    with statsmodels_section():  # the fit and its forecast
                        values, name = ets(y, horizon, m) if model == "ets" else arima(y, horizon, m, kind)
                except Exception as exc:  # statsmodels raises many types; never lose the whole scorecard
                    values, name = seasonal_naive(y, horizon, m), "seasonal naive (fallback)"
                    notes.append({"series": str(uid), "model": model, "error": type(exc).__name__})
                out[model] = values
                info[model] = name
        details[str(uid)] = info
        frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    result.attrs["models"] = details
    result.attrs["notes"] = notes
    return result
