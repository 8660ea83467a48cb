"""Elasticity estimation: recovery of planted elasticities, the not-estimable paths, and the second opinion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from ml.pricing import (
    NOT_ESTIMABLE,
    OK,
    ElasticityConfig,
    ElasticityModel,
    GradientBoostingDemandModel,
    confidence_flag,
    estimate_elasticities,
    make_price_panel,
)
from ml.schema import ConfigError, DataError
from tests.unit.pricing.conftest import constant_elasticity_lines, generated_dataset


def coverage_rank_bias(table: pd.DataFrame, truth: dict[str, float]) -> tuple[float, float, float]:
    """Share of products whose interval covers the planted elasticity, Spearman rank correlation, mean bias."""
    ok = table.loc[table["status"] == OK]
    planted = ok["product_id"].map(truth)
    covered = ((ok["ci_low"] <= planted) & (planted <= ok["ci_high"])).mean()
    rho = spearmanr(ok["elasticity"], planted)[0] if ok["elasticity"].nunique() > 1 else 0.0
    return float(covered), float(rho), float((ok["elasticity"] - planted).mean())


# Spread of the statistics below, measured with bench/planted_spread.py (shop of 20 products, half volume, 400
# customers, weekly panel) over generator seeds 0-4 and 11 x OpenBLAS kernels {SkylakeX (this machine's default),
# Haswell, Zen, Sandybridge}; the figures did not change with the kernel:
#   interval coverage 0.85-1.00 (median 0.95), Spearman rho 0.872-0.943 (median 0.934), mean bias -0.094..+0.154.
#   Seed 0 (the ``shop`` fixture): 0.85, 0.917, +0.154; median of seeds 1-3: 0.95, 0.928, -0.023.
MIN_COVERED, MIN_RHO, MAX_BIAS = 0.75, 0.8, 0.25  # one shop: min - 0.10, min - 0.07, max |bias| + 0.1
MIN_RHO_MEDIAN = 0.85  # median of three shops: 0.928 measured, 0.078 of headroom


def recovers_planted_elasticities(table: pd.DataFrame, truth: dict[str, float]) -> bool:
    covered, rho, bias = coverage_rank_bias(table, truth)
    return covered >= MIN_COVERED and rho > MIN_RHO and abs(bias) < MAX_BIAS


def test_weekly_estimates_recover_the_planted_elasticities(shop):
    ds, truth = shop
    table = estimate_elasticities(make_price_panel(ds.frame, "W"), ElasticityConfig(freq="W"))
    assert (table["status"] == OK).all()
    assert recovers_planted_elasticities(table, truth), coverage_rank_bias(table, truth)


@pytest.mark.slow
def test_recovery_holds_on_other_seeds():
    """The median over three more shops, so that one unlucky shop (or BLAS kernel) does not decide."""
    stats = []
    for seed in (1, 2, 3):
        ds, truth = generated_dataset(seed, n_products=20, volume=0.5, n_customers=400)
        stats.append(coverage_rank_bias(estimate_elasticities(make_price_panel(ds.frame, "W")), truth))
    covered, rho, bias = np.median(stats, axis=0)
    assert covered >= MIN_COVERED and rho > MIN_RHO_MEDIAN and abs(bias) < MAX_BIAS, stats


def _constant(table: pd.DataFrame) -> pd.DataFrame:
    """An estimator that ignores the product: every product gets the median estimate, with its own interval width."""
    out = table.copy()
    half = (out["ci_high"] - out["ci_low"]) / 2
    out["elasticity"] = out["elasticity"].median()
    out["ci_low"], out["ci_high"] = out["elasticity"] - half, out["elasticity"] + half
    return out


def _shuffled(table: pd.DataFrame) -> pd.DataFrame:
    """The right estimates on the wrong products: the distribution is kept, the link to the product is not."""
    out = table.copy()
    order = np.random.default_rng(0).permutation(len(out))
    out[["elasticity", "ci_low", "ci_high"]] = out[["elasticity", "ci_low", "ci_high"]].to_numpy()[order]
    return out


@pytest.mark.parametrize("baseline", [_constant, _shuffled])
def test_recovery_check_fails_for_estimators_that_ignore_the_product(shop, baseline):
    ds, truth = shop
    table = estimate_elasticities(make_price_panel(ds.frame, "W"), ElasticityConfig(freq="W"))
    assert recovers_planted_elasticities(table, truth)
    assert not recovers_planted_elasticities(baseline(table), truth), coverage_rank_bias(baseline(table), truth)


@pytest.mark.parametrize(("freq", "cov_type"), [("D", "HC3"), ("D", "HAC"), ("W", "HC3"), ("W", "HAC")])
@pytest.mark.parametrize("elasticity", [-0.6, -2.4])
def test_constant_elasticity_product_is_recovered_with_each_setting(freq, cov_type, elasticity):
    lines = constant_elasticity_lines(elasticity, days=420, seed=5)
    table = estimate_elasticities(make_price_panel(lines, freq), ElasticityConfig(freq=freq, cov_type=cov_type))
    row = table.iloc[0]
    assert row["status"] == OK
    # one draw: a 95% interval may miss; within three standard errors it may not. |error| / this bound, measured
    # over noise seeds 0-5 x these 8 settings x kernels {SkylakeX, Haswell, Sandybridge}: 0.00-0.89 (median 0.15)
    assert abs(row["elasticity"] - elasticity) < min(0.15, 3 * row["std_error"] + 0.02)
    # the negative case for the one-product family: an estimator that answers the middle of the range (-1.5)
    # whatever the data must not pass the same bound
    assert not abs(-1.5 - elasticity) < min(0.15, 3 * row["std_error"] + 0.02)
    assert row["ci_low"] < row["elasticity"] < row["ci_high"] and row["ci_high"] - row["ci_low"] < 0.6
    assert row["n_prices"] >= 5 and 0 < row["r2"] <= 1


def test_promo_discount_is_priced_and_the_uplift_is_separated():
    lines = constant_elasticity_lines(-2.0, days=400, promo_every=9, seed=2)
    # on promo days units also get a 1.3 uplift beyond the price effect, as in the generator
    promo = lines["promo"].to_numpy()
    lines.loc[promo, "quantity"] = np.round(lines.loc[promo, "quantity"] * 1.3)
    model = ElasticityModel(ElasticityConfig(freq="D")).fit(make_price_panel(lines, "D").frame, "X")
    est = model.estimate_
    # over noise seeds 0-5 x kernels {SkylakeX, Haswell, Sandybridge}: the interval covered -2.0 every time and
    # |promo effect - 1.3| was 0.002-0.042 (median 0.019)
    assert est.ci_low <= -2.0 <= est.ci_high
    assert est.promo_effect == pytest.approx(1.3, abs=0.08)
    assert est.current_price in (8.0, 9.0, 10.0, 11.0, 12.0)  # a regular price, not the discounted one


def test_baseline_units_are_the_recent_regular_demand_at_the_current_price():
    lines = constant_elasticity_lines(-1.5, days=360, noise=0.0, base=100.0)
    est = estimate_elasticities(make_price_panel(lines, "D"), ElasticityConfig(freq="D")).iloc[0]
    expected = 100.0 * (est["current_price"] / 10.0) ** -1.5
    assert est["baseline_units"] == pytest.approx(expected, rel=0.02)


def _reason(lines: pd.DataFrame, freq: str = "D", **config) -> str:
    row = estimate_elasticities(make_price_panel(lines, freq), ElasticityConfig(freq=freq, **config)).iloc[0]
    assert row["status"] == NOT_ESTIMABLE and np.isnan(row["elasticity"]) and np.isnan(row["ci_low"])
    assert row["confidence"] == "none"
    return row["reason"]


def test_constant_price_is_not_estimable():
    assert _reason(constant_elasticity_lines(-2.0, prices=(10.0,))) == "too_few_prices"


def test_two_prices_are_too_few_by_default():
    assert _reason(constant_elasticity_lines(-2.0, prices=(9.0, 11.0))) == "too_few_prices"


def test_short_history_is_too_few_observations():
    assert _reason(constant_elasticity_lines(-2.0, days=20), "D") == "too_few_observations"
    assert _reason(constant_elasticity_lines(-2.0, days=70), "W") == "too_few_observations"


def test_tiny_price_moves_are_too_little_variation():
    assert _reason(constant_elasticity_lines(-2.0, prices=(10.0, 10.05, 10.1))) == "too_little_variation"


def test_price_that_moves_only_with_the_month_is_confounded():
    lines = constant_elasticity_lines(-2.0, days=365)
    lines["unit_price"] = 8.0 + lines["date"].dt.month.to_numpy() * 0.5  # one price per calendar month
    assert _reason(lines) == "price_confounded"


def test_zero_and_negative_prices_are_dropped_and_a_product_without_any_valid_price_is_listed():
    good = constant_elasticity_lines(-2.0, days=200)
    bad = constant_elasticity_lines(-2.0, days=200, product="Z")
    bad["unit_price"] = np.where(np.arange(len(bad)) % 2, 0.0, -3.0)
    panel = make_price_panel(pd.concat([good, bad], ignore_index=True), "D")
    assert panel.invalid_price_lines == 200 and panel.products_without_price == ["Z"]
    table = estimate_elasticities(panel, ElasticityConfig(freq="D")).set_index("product_id")
    assert table.loc["Z", "reason"] == "no_price" and table.loc["X", "status"] == OK


def test_no_price_column_is_a_data_error_but_revenue_gives_the_price():
    lines = constant_elasticity_lines(-2.0, days=200)
    with pytest.raises(DataError) as err:
        make_price_panel(lines.drop(columns=["unit_price", "revenue"]))
    assert err.value.message_id == "pricing.error.no_price_column"
    derived = estimate_elasticities(make_price_panel(lines.drop(columns=["unit_price"]), "D"), ElasticityConfig(freq="D"))
    direct = estimate_elasticities(make_price_panel(lines, "D"), ElasticityConfig(freq="D"))
    assert derived.iloc[0]["elasticity"] == pytest.approx(direct.iloc[0]["elasticity"], rel=1e-9)
    assert derived.iloc[0]["ci_low"] <= -2.0 <= derived.iloc[0]["ci_high"] or abs(derived.iloc[0]["elasticity"] + 2) < 0.3


def test_missing_quantity_or_product_is_a_data_error():
    lines = constant_elasticity_lines(-2.0, days=50)
    for column, message in (("quantity", "pricing.error.no_quantity_column"), ("product_id", "pricing.error.no_product_column")):
        with pytest.raises(DataError) as err:
            make_price_panel(lines.drop(columns=[column]))
        assert err.value.message_id == message


def test_bad_settings_are_config_errors():
    for bad in ({"freq": "M"}, {"cov_type": "HC9"}, {"confidence": 1.2}, {"controls": ("moon",)}):
        with pytest.raises(ConfigError):
            ElasticityConfig(**bad).validate()


def test_confidence_flag():
    assert confidence_flag(OK, -2.4, -1.8) == "high"
    assert confidence_flag(OK, -3.5, -1.2) == "medium"
    assert confidence_flag(OK, -1.0, 0.2) == "low"
    assert confidence_flag(NOT_ESTIMABLE, np.nan, np.nan) == "none"
    assert confidence_flag(OK, -14.0, -10.0) == "low"  # implausibly steep: prices set by order size, not demand


def test_baseline_repricing_is_bounded_for_implausible_elasticities():
    from ml.pricing.elasticity import MAX_REPRICE, baseline_units_at

    periods = np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-29"))
    units, price, promo = np.full(28, 10.0), np.full(28, 2.0), np.zeros(28)
    unbounded = 10.0 * (1.0 / 2.0) ** -15
    bounded = baseline_units_at(periods, units, price, promo, 1.0, -15.0, periods[0], 28)
    assert bounded == pytest.approx(10.0 * MAX_REPRICE) and bounded < unbounded
    assert baseline_units_at(periods, units, price, promo, 1.9, -2.0, periods[0], 28) == pytest.approx(10.0 * (1.9 / 2.0) ** -2)


def test_estimation_stops_when_asked():
    import threading

    from ml.progress import Progress

    ds_lines = pd.concat([constant_elasticity_lines(-2.0, product=p, days=120) for p in "ABC"], ignore_index=True)
    stop = threading.Event()
    stop.set()
    assert estimate_elasticities(make_price_panel(ds_lines, "D"), ElasticityConfig(freq="D"),
                                 progress=Progress(stop=stop)).empty


def test_gradient_boosting_second_opinion_finds_the_slope():
    lines = constant_elasticity_lines(-2.0, days=400, seed=3)
    panel = make_price_panel(lines, "D")
    model = GradientBoostingDemandModel(elasticity_config=ElasticityConfig(freq="D")).fit(panel.frame)
    # |implied - (-2)| over noise seeds 0-5 x kernels {SkylakeX, Haswell, Sandybridge}: 0.026-0.072 (median 0.048)
    assert model.implied_elasticity_ == pytest.approx(-2.0, abs=0.5)
    assert np.all(np.diff(model.pd_units_) <= 1e-9 + np.abs(model.pd_units_).max() * 0.05)  # broadly falling


@pytest.mark.parametrize("shuffle", [False, True])
def test_second_opinion_agrees_with_the_planted_ranking(shop, shuffle):
    ds, truth = shop
    table = estimate_elasticities(make_price_panel(ds.frame, "W"), second_opinion=True)
    ml = table["ml_elasticity"].to_numpy()
    if shuffle:  # the negative case: the same estimates on the wrong products must not pass
        ml = ml[np.random.default_rng(0).permutation(len(ml))]
    rho = spearmanr(ml, table["product_id"].map(truth))[0]
    # measured over seeds 0-4 and 11 x kernels {SkylakeX, Haswell, Zen, Sandybridge}: 0.842-0.925 (0.883 on seed 0)
    assert (rho > 0.7) != shuffle, rho
