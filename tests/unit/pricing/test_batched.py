"""The regressions of many products at once (``ml.pricing.batched``) give the per-product loop's estimates: the same
statuses and refusals, and every number (elasticity, standard error, interval, R², promo effect, baseline) to 1e-9,
on planted products of every kind, weekly and daily, in one block or many."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ml.pricing.batched as batched
import ml.pricing.elasticity as elasticity
from ml.pricing import OK, ElasticityConfig, estimate_elasticities, make_price_panel
from tests.unit.pricing.conftest import constant_elasticity_lines

NUMBERS = ["elasticity", "std_error", "ci_low", "ci_high", "r2", "price_spread", "promo_effect", "current_price",
           "baseline_units"]


def planted_lines() -> pd.DataFrame:
    """Products estimable with and without promos, at several elasticities and lengths, and one of each refusal."""
    parts = [constant_elasticity_lines(e, days=d, seed=s, product=f"OK{s}", promo_every=p)
             for s, (e, d, p) in enumerate([(-0.6, 420, 0), (-2.4, 500, 9), (-1.2, 365, 7), (-3.0, 730, 0),
                                            (-1.0, 300, 11), (-1.8, 610, 0), (0.3, 450, 13), (-2.0, 200, 0)])]
    parts.append(constant_elasticity_lines(-2.0, product="ONE_PRICE", prices=(10.0,)))
    parts.append(constant_elasticity_lines(-2.0, product="TWO_PRICES", prices=(9.0, 11.0)))
    parts.append(constant_elasticity_lines(-2.0, product="SHORT", days=20))
    parts.append(constant_elasticity_lines(-2.0, product="SHORT_W", days=70))
    parts.append(constant_elasticity_lines(-2.0, product="TINY", prices=(10.0, 10.05, 10.1)))
    monthly = constant_elasticity_lines(-2.0, product="MONTHLY", days=365)
    monthly["unit_price"] = 8.0 + monthly["date"].dt.month.to_numpy() * 0.5  # one price per calendar month
    parts.append(monthly)
    invalid = constant_elasticity_lines(-2.0, product="NO_PRICE", days=200)
    invalid["unit_price"] = np.where(np.arange(len(invalid)) % 2, 0.0, -3.0)
    parts.append(invalid)
    # a product selling some weeks only (gaps): fewer periods than the calendar, a month seen once
    sparse = constant_elasticity_lines(-1.5, product="SPARSE", days=500, seed=3)
    parts.append(sparse.iloc[np.random.default_rng(4).random(len(sparse)) < 0.35])
    # weekly: twelve weeks, two in each of six months: more columns (month dummies) than its periods allow
    few = constant_elasticity_lines(-2.0, product="FEW_WEEKS", days=365, seed=6)
    parts.append(few[few["date"].dt.month.isin([1, 3, 5, 7, 9, 11]) & few["date"].dt.day.between(10, 16)])
    lines = pd.concat(parts, ignore_index=True)
    lines["revenue"] = lines["quantity"] * lines["unit_price"]
    return lines


def loop_and_batched(panel, cfg, monkeypatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    with monkeypatch.context() as m:
        m.setattr(elasticity, "BLOCK_PRODUCTS", 1)  # one product at a time: design_matrix + regress
        loop = estimate_elasticities(panel, cfg)
    return loop, estimate_elasticities(panel, cfg)


@pytest.mark.parametrize("freq", ["W", "D"])
def test_batched_regressions_give_the_loops_estimates(freq, monkeypatch):
    panel = make_price_panel(planted_lines(), freq)
    loop, batch = loop_and_batched(panel, ElasticityConfig(freq=freq), monkeypatch)
    reasons = set(loop["reason"].dropna())
    assert {"no_price", "too_few_observations", "too_few_prices", "too_little_variation",
            "price_confounded"} <= reasons, reasons
    if freq == "W":  # refused for its columns, not by the minimum of periods
        few = loop.set_index("product_id").loc["FEW_WEEKS"]
        assert few["reason"] == "too_few_observations" and few["n_obs"] >= ElasticityConfig(freq="W").effective_min_obs
    assert (loop["status"] == OK).sum() >= 8 and loop["promo_effect"].notna().sum() >= 3
    pd.testing.assert_frame_equal(batch.drop(columns=NUMBERS), loop.drop(columns=NUMBERS))
    pd.testing.assert_frame_equal(batch[NUMBERS], loop[NUMBERS], check_exact=False, rtol=1e-9, atol=1e-12)


def test_blocks_of_any_size_give_the_same_estimates(monkeypatch):
    panel = make_price_panel(planted_lines(), "W")
    loop, whole = loop_and_batched(panel, ElasticityConfig(freq="W"), monkeypatch)
    monkeypatch.setattr(elasticity, "BLOCK_PRODUCTS", 3)
    monkeypatch.setattr(batched, "MAX_CELLS", 500)  # a stacked block of one or two products
    small = estimate_elasticities(panel, ElasticityConfig(freq="W"))
    for table in (whole, small):
        pd.testing.assert_frame_equal(table.drop(columns=NUMBERS), loop.drop(columns=NUMBERS))
        pd.testing.assert_frame_equal(table[NUMBERS], loop[NUMBERS], check_exact=False, rtol=1e-9, atol=1e-12)


def test_controls_left_out_give_the_same_estimates(monkeypatch):
    panel = make_price_panel(planted_lines(), "D")
    for controls in ((), ("promo",), ("trend", "weekday")):
        loop, batch = loop_and_batched(panel, ElasticityConfig(freq="D", controls=controls), monkeypatch)
        assert (loop["status"] == OK).any()
        pd.testing.assert_frame_equal(batch.drop(columns=NUMBERS), loop.drop(columns=NUMBERS))
        pd.testing.assert_frame_equal(batch[NUMBERS], loop[NUMBERS], check_exact=False, rtol=1e-9, atol=1e-12)
