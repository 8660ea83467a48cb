"""The improvements around the network (issue 18): seasonal baseline, yearly Fourier terms, the blend with
exponential smoothing, ensembles, warm start; planted-structure recovery per battery family; no leakage of the
holdout into anything that is fitted or chosen."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from bench.families import FAMILIES
from ml.forecast import ForecastConfig, NeuralForecaster, load_bundle, run_forecast, save_bundle
from ml.forecast.config import LEGACY_LEVERS, LEVERS, default_config
from ml.forecast.features import calendar_feature_names, calendar_features
from ml.forecast.metrics import mae
from ml.forecast.smoothing import fit_smoother, smoother_forecasts
from ml.forecast.windows import seasonal_baseline

# Small and fast on 2 shared cores; every lever at its default.
LEVER_SMALL = ForecastConfig(window=28, horizon=14, units=16, epochs=30, patience=6, learning_rate=5e-3, seed=3)


# ------------------------------------------------------------------------------------------ plain functions
def test_every_lever_is_a_config_field_with_a_default_and_old_runs_read_back_without_them():
    config = ForecastConfig()
    for name in LEVERS:
        assert name in {f.name for f in dataclasses.fields(ForecastConfig)}
    data = {k: v for k, v in config.to_dict().items() if k not in LEVERS}
    old = ForecastConfig.from_dict(data)  # a run saved before the levers existed
    assert {name: getattr(old, name) for name in LEVERS} == LEGACY_LEVERS
    assert ForecastConfig.from_dict(config.to_dict()) == config


def test_seasonal_baseline_repeats_the_mean_of_the_last_cycles():
    profile = np.array([1.0, 2, 3, 4, 5, 6, 7])
    y = np.concatenate([np.tile(profile, 3) + 10, np.tile(profile, 1)])[None, :]  # [1, 28]: 3 cycles at +10, 1 plain
    base = seasonal_baseline(y, 10, 7)
    expected = np.resize(profile + 7.5, 10)  # mean of 4 cycles: (3 * 10 + 0) / 4 = 7.5 above the profile
    np.testing.assert_allclose(base[0], expected)
    short = seasonal_baseline(np.arange(26.0)[None, :], 3, 52)  # window shorter than a season: last-4 mean
    np.testing.assert_allclose(short[0], [23.5] * 3)


def test_yearly_fourier_terms_are_known_for_future_dates_and_named():
    config = ForecastConfig(fourier_order=2)
    dates = pd.date_range("2024-01-01", periods=400, freq="D")
    feats = calendar_features(dates, config, "D")
    names = calendar_feature_names(config, "D")
    assert feats.shape == (400, len(names)) and names[-4:] == ["year_sin_1", "year_cos_1", "year_sin_2", "year_cos_2"]
    sin1 = feats[:, names.index("year_sin_1")]
    assert abs(sin1[0]) < 0.01 and sin1[91] > 0.99 and abs(sin1[366] - sin1[0]) < 0.02  # one cycle a year


def test_smoother_recovers_a_planted_seasonal_level_better_than_seasonal_naive():
    pattern = np.array([0, 5, 10, 15, 20, 40, -30.0])
    for seed in range(4):
        rng = np.random.default_rng(seed)
        y = 100 + pattern[np.arange(400) % 7] + rng.normal(0, 5, 400)
        train = y[:-14]
        params = fit_smoother(train, 7)
        fc = smoother_forecasts(train, params, 14, np.array([len(train)]))[0]
        truth = 100 + pattern[np.arange(386, 400) % 7]
        snaive = train[-7:][np.arange(14) % 7]  # carries one week's noise (sd 5)
        assert mae(truth, fc) < 2.5  # measured 0.81-1.86 over seeds 0-5
        assert mae(truth, fc) < 0.85 * mae(truth, snaive)  # measured ratio 0.19-0.71 over seeds 0-5


def test_smoother_forecasts_from_an_origin_use_only_rows_before_it():
    y = np.random.default_rng(1).normal(50, 5, 300)
    params = fit_smoother(y, 7)
    changed = y.copy()
    changed[200:] += 1000
    a = smoother_forecasts(y, params, 7, np.array([150, 200]))
    b = smoother_forecasts(changed, params, 7, np.array([150, 200]))
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------ networks
FAMILY_LENGTHS = {"D": 400, "W": 800}


def _family_split(name: str, seed: int):
    make, freq = FAMILIES[name]
    frame = make(seed, FAMILY_LENGTHS[freq])
    horizon = 8 if freq == "W" else 14
    if name == "promotions":
        return (*_after_a_promotion(frame, horizon), freq, horizon)
    return frame.iloc[:-horizon].reset_index(drop=True), frame.iloc[-horizon:].reset_index(drop=True), freq, horizon


def _after_a_promotion(frame: pd.DataFrame, horizon: int, days_after: int = 2):
    """(train, test) cut two days after the last promotion whose next ``horizon`` days hold none: the last week of
    training holds promoted days (x1.5-2 uplift at a 20% lower price, price and promo columns given), the holdout
    none. The planted structure is that a promotion's uplift ends with it: seasonal naive copies the promoted days
    into the holdout; a model that learned the promo and price effects forecasts the unpromoted level."""
    promo = frame["promo"].to_numpy()
    ends = [i for i in range(1, len(promo)) if promo[i - 1] > 0 and promo[i] == 0]
    for end in reversed(ends):
        cut = end + days_after
        if cut + horizon <= len(promo) and promo[cut:cut + horizon].sum() == 0:
            return frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:cut + horizon].reset_index(drop=True)
    raise AssertionError("the generator planted no promotion to cut after")


def _config_for(freq: str, horizon: int) -> ForecastConfig:
    if freq == "W":
        # weekly: the default network (LSTM(64), 60 epochs; a few hundred windows, so still small). A 26-week window
        # holds no yearly season, which reaches the network through the Fourier inputs only; the tiny config below
        # did not learn it (MAE ratio to seasonal naive 0.88, 1.26, 1.65 on seeds 5, 6, 7)
        return default_config("W-SUN", horizon=horizon, seed=LEVER_SMALL.seed)
    return LEVER_SMALL.replace(units=8, epochs=12, patience=4, horizon=horizon)


# Per family: the planted structure the forecast must recover, as a ratio of the forecaster's holdout MAE to
# seasonal naive's (which copies last season, noise included); with the model swapped for seasonal naive every
# ratio is 1.0 and each test fails. Measured with this tiny config (every lever at its default, so the forecast is the
# blend with the scorecard's ETS and ARIMA) on the generator seeds the test runs (2026-12-01; spreads beside each limit).
FAMILY_LIMITS = {
    "multiplicative": 0.95,  # weekly x yearly, Poisson: measured 0.75 (seed 5)
    "additive_trend": 1.0,  # trend + yearly cycle: measured 0.77 (seed 5)
    "level_shift": 0.9,  # permanent shift before the holdout: measured 0.55 (seed 5)
    "promotions": 0.5,  # holdout after a promotion (see _after_a_promotion): measured 0.20, 0.15, 0.26 (seeds 5-7)
    "intermittent": 0.8,  # sparse demand, the MAE-optimal forecast is the median: measured 0.61 (seed 5)
}
FAMILY_SEEDS = {"promotions": (5, 6, 7)}  # the others: seed 5
# |forecast mean - holdout mean| / holdout mean (the forecast sits at the level the holdout is at: the new one after
# a shift, the unpromoted one after a promotion): measured level_shift 0.05 (seed 5); promotions 0.29, 0.02, 0.05 (seeds 5-7;
# seasonal naive: 1.65, 0.86, 0.80)
LEVEL_FAMILIES = {"level_shift": 0.15, "promotions": 0.4}


@pytest.mark.slow
@pytest.mark.parametrize(("family", "seed"), [(f, s) for f in FAMILIES if f != "weekly_yearly"
                                               for s in FAMILY_SEEDS.get(f, (5,))])
def test_planted_structure_is_recovered_per_family(family, seed):
    train, test, freq, horizon = _family_split(family, seed)
    forecaster = NeuralForecaster(_config_for(freq, horizon)).fit(train)
    pred = forecaster.predict(train)["yhat"].to_numpy()
    m = 52 if freq == "W" else 7
    y = train["y"].to_numpy()
    snaive = y[-m:][np.arange(horizon) % m]
    ratio = mae(test["y"], pred) / mae(test["y"], snaive)
    assert ratio < FAMILY_LIMITS[family], f"{family} seed {seed}: forecaster/seasonal-naive MAE ratio {ratio:.2f}"
    if family in LEVEL_FAMILIES:
        level = abs(pred.mean() - test["y"].mean()) / test["y"].mean()
        assert level < LEVEL_FAMILIES[family], f"{family} seed {seed}: level off by {level:.2f}"


# Weekly data with a yearly cycle (two years of weekly history: about 60 training windows). The network alone is NOT
# stable across seeds here: with a 15% validation split its MAE ratio to seasonal naive measured 0.65, 0.97, 2.29,
# 0.55, 0.62 on generator seeds 5-9 (2026-12-01). So this test checks what the Forecast page shows, the network blended
# with the scorecard's models (shares chosen on the validation windows), and
# asserts on the median over the five seeds, which seasonal naive (1.0 on every seed) fails. With the weekly default's
# 25% validation split (config.WEEKLY_VALIDATION_SPLIT) the blend measured 0.76, 1.10, 0.84, 0.52, 0.59 (median 0.76;
# with 15%: 0.65, 0.97, 1.81, 0.61, 0.61, median 0.65). The bound on the worst seed only catches a blow-up (measured
# 1.10; 1.81 with 15%); the blend still loses to seasonal naive on seed 6, which is why the median is asserted.
# Since the weekly default also gives seasonal naive a share (combine="ets_arima_snaive"): 0.77, 1.02, 0.84, 0.52,
# 0.59 (median 0.77, worst 1.02; 2026-12-02). With the mean of the last two years as a fifth share
# ("ets_arima_snaive_snaive2", later on 2026-12-02): 0.766, 1.025, 0.836, 0.522, 0.589 (median 0.77, worst 1.03).
WEEKLY_SEEDS = (5, 6, 7, 8, 9)
WEEKLY_MEDIAN_LIMIT = 0.85  # measured median 0.77 (spread 0.52-1.03)
WEEKLY_WORST_LIMIT = 2.5  # measured worst 1.03 (seed 6)


@pytest.mark.slow
def test_weekly_yearly_cycle_is_recovered_by_the_blend_on_the_median_of_five_seeds():
    ratios = []
    for seed in WEEKLY_SEEDS:
        train, test, freq, horizon = _family_split("weekly_yearly", seed)
        forecaster = NeuralForecaster(_config_for(freq, horizon)).fit(train)
        assert forecaster.config.combine == "ets_arima_snaive_snaive2"  # the weekly default: the Forecast page's
        pred = forecaster.predict(train)["yhat"].to_numpy()
        y = train["y"].to_numpy()
        snaive = y[-52:][np.arange(horizon) % 52]
        ratios.append(mae(test["y"], pred) / mae(test["y"], snaive))
    assert np.median(ratios) < WEEKLY_MEDIAN_LIMIT, f"weekly blend/seasonal-naive MAE ratios {np.round(ratios, 2)}"
    assert max(ratios) < WEEKLY_WORST_LIMIT, f"weekly blend/seasonal-naive MAE ratios {np.round(ratios, 2)}"


@pytest.mark.slow
def test_holdout_values_cannot_change_the_fitted_model_or_the_blend():
    make, _ = FAMILIES["multiplicative"]
    frame = make(2, 420)
    config = LEVER_SMALL.replace(epochs=8, ensemble=2)
    changed = frame.copy()
    changed.loc[changed.index[-config.horizon:], "y"] *= 50  # wild holdout values
    seen = []
    original_fit = NeuralForecaster.fit

    def spy(self, df, *args, **kwargs):
        seen.append(pd.to_datetime(df["ds"]).max())
        return original_fit(self, df, *args, **kwargs)

    results = []
    for data in (frame, changed):
        NeuralForecaster.fit = spy
        try:
            results.append(run_forecast(data, config, baselines=("snaive", "ets"), refit=False))
        finally:
            NeuralForecaster.fit = original_fit
    holdout_start = frame["ds"].iloc[-config.horizon]
    assert seen and all(last < holdout_start for last in seen)
    a, b = (r.forecaster for r in results)
    for key in a.models_:
        for wa, wb in zip(a.models_[key].get_weights(), b.models_[key].get_weights(), strict=True):
            np.testing.assert_array_equal(wa, wb)
    assert a.combine_weights_ == b.combine_weights_ and a.smoothers_ == b.smoothers_
    assert a.combine_partners_ == b.combine_partners_
    assert a.epochs_run_ == b.epochs_run_ and a.best_epoch_ == b.best_epoch_
    np.testing.assert_array_equal(results[0].holdout["network"], results[1].holdout["network"])
    np.testing.assert_array_equal(a.calibration_residuals_, b.calibration_residuals_)
    # the scores do see the holdout: the same forecasts score far worse against the wild values
    assert results[1].metrics["network"]["mae"] > 10 * results[0].metrics["network"]["mae"]


@pytest.mark.slow
def test_blend_ensemble_and_warm_start_round_trip_through_a_bundle(tmp_path):
    make, _ = FAMILIES["additive_trend"]
    frame = make(1, 400)
    config = LEVER_SMALL.replace(epochs=6, ensemble=2, warm_start_epochs=2)
    result = run_forecast(frame, config, baselines=False)
    final = result.forecaster
    assert sorted(final.models_) == ["__global__", "__global__#1"]
    assert final.epochs_run_ == 2 * config.warm_start_epochs  # warm start: 2 more epochs per member, not a refit
    assert 0.0 <= final.combine_weights_["trend_1"] <= 1.0
    save_bundle(final, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], final.predict(frame)["yhat"], rtol=1e-5)
    assert loaded.combine_weights_ == final.combine_weights_ and loaded.smoothers_ == final.smoothers_
