"""The network's combination with the scorecard's ETS (``combine="ets_model"``, issue 18): the blend partner is
the very ETS the scorecard scores, its share is chosen before the holdout, and the network alone stays on the
scorecard beside the blend."""

from __future__ import annotations

import numpy as np
import pytest

from bench.families import FAMILIES
from ml.forecast import ForecastConfig, load_bundle, run_forecast, save_bundle
from ml.forecast.baselines import arima, arima_origin_forecasts, ets, ets_origin_forecasts, naive
from ml.forecast.forecaster import NETWORK_ALONE, _best_shares, blend_grid

TINY = ForecastConfig(window=28, horizon=14, units=8, epochs=4, patience=0, learning_rate=5e-3, seed=3,
                      combine="ets_model")


def _seasonal(seed: int, n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 + 30 * np.sin(2 * np.pi * np.arange(n) / 7) + rng.normal(0, 3, n)


def test_ets_from_the_last_origin_is_the_scorecards_ets():
    y = _seasonal(0)
    forecast, _ = ets(y, 14, 7)
    np.testing.assert_allclose(ets_origin_forecasts(y, 7, 14, np.array([len(y)]))[0], forecast, rtol=1e-10)


def test_ets_from_inner_origins_follows_the_planted_season():
    # planted weekly season of amplitude 30, noise sd 3: from each origin ETS must repeat the season, which a flat
    # forecast (naive) cannot; measured ETS MAE 2.5-2.6 against naive 21-23 (seeds 0-2)
    for seed in (0, 1, 2):
        y = _seasonal(seed)
        origins = np.arange(200, 280, 10)
        paths = ets_origin_forecasts(y, 7, 14, origins)
        actual = np.stack([y[o:o + 14] for o in origins])
        flat = np.stack([naive(y[:o], 14) for o in origins])
        assert np.abs(paths - actual).mean() < 0.3 * np.abs(flat - actual).mean()


@pytest.mark.slow
def test_the_scorecard_shows_the_network_alone_beside_the_blend_and_the_blend_is_bounded_by_its_parts(tmp_path):
    frame = FAMILIES["multiplicative"][0](1, 400)
    result = run_forecast(frame, TINY, baselines=("snaive", "ets"))
    holdout = result.holdout
    weight = result.forecaster.combine_weights_["mult_1"]
    assert 0.0 <= weight <= 1.0
    np.testing.assert_allclose(holdout["network"], weight * holdout[NETWORK_ALONE] + (1 - weight) * holdout["ets"],
                               rtol=1e-6, atol=1e-6)
    models = set(result.summary["model"])
    assert {"network", NETWORK_ALONE, "ets", "snaive"} <= models
    alone = [v for v in result.verdicts if v.message_id == "forecast.verdict.network_alone"]
    assert len(alone) == 1 and alone[0].params["combined"] == pytest.approx(
        result.summary.set_index("model").loc["network", "mase"], abs=1e-3)
    # the network alone is never counted as a baseline beating the network
    assert all(v.params.get("baseline") != NETWORK_ALONE for v in result.verdicts)
    assert NETWORK_ALONE not in result.future.columns
    # the lever is saved in the bundle and the blend forecasts the same after loading
    save_bundle(result.forecaster, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    assert loaded.config.combine == "ets_model" and loaded.combine_weights_ == result.forecaster.combine_weights_
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], result.forecaster.predict(frame)["yhat"], rtol=1e-5)


@pytest.mark.slow
def test_without_a_blend_there_is_no_network_alone_row():
    frame = FAMILIES["multiplicative"][0](1, 400)
    result = run_forecast(frame, TINY.replace(combine="none"), baselines=("snaive",))
    assert NETWORK_ALONE not in set(result.summary["model"]) and NETWORK_ALONE not in result.holdout.columns


def test_arima_from_the_last_origin_is_the_scorecards_arima_and_inner_origins_follow_the_season():
    y = _seasonal(0)
    forecast, _ = arima(y, 14, 7, "D")
    np.testing.assert_allclose(arima_origin_forecasts(y, 7, "D", 14, np.array([len(y)]))[0], forecast, rtol=1e-8)
    # from inner origins the seasonal ARIMA repeats the planted weekly season, which a flat forecast cannot;
    # measured ARIMA MAE 2.7 against naive 22 (seed 0)
    origins = np.arange(200, 280, 10)
    paths = arima_origin_forecasts(y, 7, "D", 14, origins)
    actual = np.stack([y[o:o + 14] for o in origins])
    flat = np.stack([naive(y[:o], 14) for o in origins])
    assert np.abs(paths - actual).mean() < 0.3 * np.abs(flat - actual).mean()


def test_blend_grid_covers_the_simplex_network_first_and_shrink_moves_toward_equal_shares():
    grid = blend_grid(3)
    assert grid.shape == (66, 3) and np.allclose(grid.sum(axis=1), 1.0) and (grid >= 0).all()
    assert tuple(grid[0]) == (1.0, 0.0, 0.0)  # ties go to the network: the first minimum
    errors = np.abs(grid - np.array([0.2, 0.3, 0.5])).sum(axis=1)  # planted best point
    np.testing.assert_allclose(_best_shares(errors, grid, 0.0), [0.2, 0.3, 0.5])
    np.testing.assert_allclose(_best_shares(errors, grid, 0.5), [(0.2 + 1 / 3) / 2, (0.3 + 1 / 3) / 2,
                                                                 (0.5 + 1 / 3) / 2])
    np.testing.assert_allclose(_best_shares(errors, grid, 1.0), [1 / 3] * 3)


@pytest.mark.slow
def test_three_way_blend_is_the_saved_shares_of_network_ets_and_arima(tmp_path):
    frame = FAMILIES["multiplicative"][0](1, 400)
    result = run_forecast(frame, TINY.replace(combine="ets_arima", combine_shrink=0.3), baselines=("ets", "arima"))
    f = result.forecaster
    w, partners = f.combine_weights_["mult_1"], f.combine_partners_["mult_1"]
    assert set(partners) == {"ets", "arima"} and w + sum(partners.values()) == pytest.approx(1.0)
    assert min(w, *partners.values()) >= 0.3 / 3 - 1e-9  # shrink 0.3: every share keeps at least 0.3 x 1/3
    holdout = result.holdout
    np.testing.assert_allclose(
        holdout["network"], w * holdout[NETWORK_ALONE] + partners["ets"] * holdout["ets"]
        + partners["arima"] * holdout["arima"], rtol=1e-6, atol=1e-6)
    save_bundle(f, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    assert loaded.config.combine_shrink == 0.3 and loaded.combine_partners_ == f.combine_partners_
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], f.predict(frame)["yhat"], rtol=1e-5)


def _repeating_year(seed: int, years: int = 3):
    """Weekly sales whose year repeats exactly: a level with a few irregular holiday spikes (planted truth: the
    seasonal naive forecast is exact from every origin after the first year)."""
    rng = np.random.default_rng(seed)
    year = 200 + 20 * rng.standard_normal(52)
    year[rng.choice(52, 5, replace=False)] += rng.uniform(150, 300, 5)
    return _weekly_frame(np.tile(year, years))


def _weekly_frame(y: np.ndarray):
    import pandas as pd

    return pd.DataFrame({"unique_id": "wk", "ds": pd.date_range("2015-01-04", periods=len(y), freq="W-SUN"), "y": y})


def _weekly_partners(y: np.ndarray, combine: str, origins: np.ndarray) -> dict[str, np.ndarray]:
    """The blend partners' forecasts (8 weeks) from each origin, as a weekly forecaster with ``combine`` makes them."""
    from ml.forecast.forecaster import NeuralForecaster

    forecaster = NeuralForecaster(TINY.replace(combine=combine, horizon=8, window=26))
    forecaster.freq_ = "W-SUN"
    return forecaster._partner_forecasts(y, "wk", origins)


def test_seasonal_naive_partner_repeats_the_last_season_before_each_origin():
    from ml.forecast.baselines import seasonal_naive

    y = _repeating_year(0)["y"].to_numpy()
    origins = np.array([60, 100, 140])
    partners = _weekly_partners(y, "ets_arima_snaive", origins)
    assert list(partners) == ["ets", "arima", "snaive"]
    for row, o in zip(partners["snaive"], origins, strict=True):
        np.testing.assert_array_equal(row, seasonal_naive(y[:o], 8, 52))
        np.testing.assert_array_equal(row, y[o:o + 8])  # the planted year repeats exactly
    assert list(_weekly_partners(y, "ets_arima", origins)) == ["ets", "arima"]


@pytest.mark.slow
def test_a_year_that_repeats_exactly_gives_seasonal_naive_the_blend_and_the_bundle_keeps_it(tmp_path):
    # planted: the weekly year repeats exactly, so from every validation origin seasonal naive has error 0 and the
    # validation choice must give it the blend. Measured on seeds 0-2 (2026-12-02): snaive share 1.0 each time, blend
    # holdout MAE 0.0; network alone 41-80, ETS 18.6-21.7, ARIMA 18.3-23.9; without the partner ("ets_arima") the
    # blend's MAE 19.5-21.7. The limits (share >= 0.9, MAE below 0.1x the network's and 0.5x the blend without it)
    # fail for "ets_arima", which has no seasonal naive to give a share to.
    frame = _repeating_year(1)
    config = TINY.replace(window=26, horizon=8, combine="ets_arima_snaive", validation_split=0.25)
    result = run_forecast(frame, config, baselines=("snaive", "ets", "arima"))
    f = result.forecaster
    assert f.combine_partners_["wk"]["snaive"] >= 0.9, f.combine_partners_
    holdout = result.holdout
    blend_mae = float(np.abs(holdout["network"] - holdout["y"]).mean())
    assert blend_mae < 0.1 * float(np.abs(holdout[NETWORK_ALONE] - holdout["y"]).mean())
    without = run_forecast(frame, config.replace(combine="ets_arima"), baselines=("snaive",))
    assert "snaive" not in without.forecaster.combine_partners_["wk"]
    assert blend_mae < 0.5 * float(np.abs(without.holdout["network"] - without.holdout["y"]).mean())
    save_bundle(f, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    assert loaded.config.combine == "ets_arima_snaive" and loaded.combine_partners_ == f.combine_partners_
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], f.predict(frame)["yhat"], rtol=1e-5)
    # the future is the blend of the same partners from the last origin: here the planted year again
    future = f.predict(frame)["yhat"].to_numpy()
    np.testing.assert_allclose(future, frame["y"].to_numpy()[-52:][:8], rtol=0.02)


def _steady_year_with_noise(seed: int, years: int = 3):
    """Weekly sales with the same yearly profile every year (a level and a few holiday spikes) plus independent
    weekly noise: the planted truth is the profile, which the mean of the last two years estimates with 3/4 of
    seasonal naive's error variance (noise sd 40: expected absolute error 0.98 x 40 against 1.13 x 40)."""
    rng = np.random.default_rng(seed)
    profile = np.full(52, 300.0)
    profile[rng.choice(52, 6, replace=False)] += rng.uniform(200, 400, 6)
    return _weekly_frame(np.tile(profile, years) + rng.normal(0, 40, 52 * years))


def test_two_season_mean_partner_averages_the_two_seasons_before_each_origin():
    from ml.forecast.baselines import seasonal_naive, two_season_mean

    y = _steady_year_with_noise(0)["y"].to_numpy()
    origins = np.array([60, 110, 150])
    partners = _weekly_partners(y, "ets_arima_snaive_snaive2", origins)
    assert list(partners) == ["ets", "arima", "snaive", "snaive2"]
    for row, o in zip(partners["snaive2"], origins, strict=True):
        expected = [(y[o - 52 + i] + y[o - 104 + i]) / 2 for i in range(8)] if o >= 104 else seasonal_naive(y[:o], 8, 52)
        np.testing.assert_allclose(row, expected, rtol=1e-12)
    np.testing.assert_array_equal(two_season_mean(y[:30], 8, 52), seasonal_naive(y[:30], 8, 52))  # naive: < 1 season
    # from the last origin, the horizon wraps within the season as seasonal naive does (a 60-week horizon)
    long = two_season_mean(y, 60, 52)
    np.testing.assert_allclose(long[52:], long[:8])


# Measured 2026-12-02 on seeds 0-7 (TINY network, three years of the steady profile, so the scorecard's ETS has too few
# seasons to be seasonal; 8-week holdout): the two-season mean's share of the blend 0.4, 0.5, 0.9, 0.8, 1.0, 0.7,
# 1.0, 0.6 (mean 0.74) against seasonal naive's 0.4, 0.3, 0.0, 0.1, 0.0, 0.2, 0.0, 0.3: larger on 7 seeds, level on
# one. The blend's holdout MAE with the partner over the blend without it ("ets_arima_snaive"): 0.889, 1.025, 0.875,
# 0.720, 1.269, 0.776, 0.685, 0.872 per seed, 0.862 pooled over the eight (sum of MAEs). With seasonal naive in the
# partner's place both blends are the same and the pooled ratio is 1.0, which the limit fails.
SEEDS_TWO_SEASON = (0, 1, 2, 3, 4, 5, 6, 7)
POOLED_RATIO_LIMIT = 0.95  # measured 0.862 (per seed 0.685-1.269)
LARGER_SHARE_MIN_SEEDS = 6  # measured 7 of 8 (one level)
MEAN_SHARE_MIN = 0.5  # measured 0.74


@pytest.mark.slow
def test_a_steady_yearly_profile_gives_the_two_season_mean_the_larger_share_and_a_smaller_error(tmp_path):
    shares, errors = [], []
    for seed in SEEDS_TWO_SEASON:
        frame = _steady_year_with_noise(seed)
        config = TINY.replace(window=26, horizon=8, combine="ets_arima_snaive_snaive2", validation_split=0.25)
        with_mean = run_forecast(frame, config, baselines=("snaive",))
        without = run_forecast(frame, config.replace(combine="ets_arima_snaive"), baselines=("snaive",))
        partners = with_mean.forecaster.combine_partners_["wk"]
        shares.append((partners["snaive2"], partners["snaive"]))
        errors.append([float(np.abs(r.holdout["network"] - r.holdout["y"]).mean()) for r in (with_mean, without)])
    e = np.array(errors)
    pooled = e[:, 0].sum() / e[:, 1].sum()
    detail = f"shares (two-season mean, seasonal naive) {shares}; MAE ratios {np.round(e[:, 0] / e[:, 1], 3)}"
    assert pooled < POOLED_RATIO_LIMIT, f"pooled MAE ratio {pooled:.3f}; {detail}"
    assert sum(a > b for a, b in shares) >= LARGER_SHARE_MIN_SEEDS, detail
    assert np.mean([a for a, _ in shares]) >= MEAN_SHARE_MIN, detail
    # the bundle keeps the kind and the shares, and its future is the same blend
    save_bundle(with_mean.forecaster, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    assert loaded.config.combine == "ets_arima_snaive_snaive2"
    assert loaded.combine_partners_ == with_mean.forecaster.combine_partners_
    np.testing.assert_allclose(loaded.predict(frame)["yhat"], with_mean.forecaster.predict(frame)["yhat"], rtol=1e-5)
