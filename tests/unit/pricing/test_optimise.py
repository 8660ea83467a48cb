"""Price optimiser: closed-form curves and optimum, which limit binds, and every limit respected on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.pricing import OptimiserConfig, demand_curves, optimal_profit_price, optimise_price, price_grid
from ml.schema import ConfigError


def test_revenue_and_profit_curves_match_the_closed_form():
    prices = np.linspace(5, 15, 41)
    units, revenue, profit = demand_curves(prices, 10.0, 50.0, -1.7, unit_cost=4.0)
    assert np.allclose(units, 50.0 * (prices / 10.0) ** -1.7)
    assert np.allclose(revenue, 50.0 * 10.0 ** 1.7 * prices ** -0.7)  # R(p) = Q0·p0^-ε·p^(1+ε)
    assert np.allclose(profit, (prices - 4.0) * units)
    unit_elastic = demand_curves(prices, 10.0, 50.0, -1.0)[1]
    assert np.allclose(unit_elastic, 500.0)  # ε = -1: revenue does not depend on price


@pytest.mark.parametrize(("elasticity", "cost"), [(-1.5, 4.0), (-2.0, 5.0), (-3.0, 6.5), (-4.0, 7.0)])
def test_profit_optimum_is_the_lerner_price_within_one_grid_step(elasticity, cost):
    current = 10.0
    target = optimal_profit_price(cost, elasticity)
    assert target == pytest.approx(cost * elasticity / (1 + elasticity))
    assert 0 < target < 2 * current
    for cfg, step in ((OptimiserConfig(objective="profit", max_change=1.0), 0.01),  # every cent
                      (OptimiserConfig(objective="profit", max_change=1.0, grid_points=11), 2.0),  # 11 even points
                      (OptimiserConfig(objective="profit", max_change=1.0, grid_points=11, endings=(0.99, 0.49)), 0.5)):
        out = optimise_price(current, elasticity, 100.0, cost, cfg)
        assert out.status == "ok" and out.bound is None
        assert abs(out.suggested_price - target) <= step


@pytest.mark.parametrize("objective", ["revenue", "profit"])
@pytest.mark.parametrize("elasticity", [-0.2, -0.6, -0.95, 0.3])
def test_inelastic_demand_raises_only_to_the_limit_and_says_which(objective, elasticity):
    out = optimise_price(10.0, elasticity, 100.0, 4.0, OptimiserConfig(objective=objective, max_change=0.15))
    assert out.suggested_price == pytest.approx(11.5)
    assert out.bound == "max_increase"
    capped = optimise_price(10.0, elasticity, 100.0, 4.0, OptimiserConfig(objective=objective, ceiling=10.8))
    assert capped.suggested_price == pytest.approx(10.8) and capped.bound == "ceiling"


def test_elastic_demand_under_a_revenue_objective_cuts_to_the_lower_limit():
    out = optimise_price(10.0, -2.5, 100.0, 4.0, OptimiserConfig(objective="revenue", max_change=0.2))
    assert out.suggested_price == pytest.approx(8.0) and out.bound == "max_decrease"
    floored = optimise_price(10.0, -2.5, 100.0, 4.0, OptimiserConfig(objective="revenue", floor=9.0))
    assert floored.suggested_price == pytest.approx(9.0) and floored.bound == "floor"
    margin = optimise_price(10.0, -2.5, 100.0, 4.0, OptimiserConfig(objective="revenue", min_margin=0.55))
    assert margin.suggested_price == pytest.approx(8.89) and margin.bound == "min_margin"  # first cent >= 4/0.45
    assert (margin.suggested_price - 4.0) / margin.suggested_price >= 0.55


def test_expected_changes_follow_the_curve_and_the_band_contains_them():
    out = optimise_price(10.0, -0.6, 80.0, 4.0, OptimiserConfig(objective="profit"), ci=(-1.1, -0.1))
    ratio = 1.15 ** -0.6
    assert out.units_change == pytest.approx(ratio - 1)
    assert out.revenue_change == pytest.approx(1.15 * ratio - 1)
    assert out.profit_change == pytest.approx((11.5 - 4) * ratio / 6.0 - 1)
    assert out.units_new == pytest.approx(80.0 * ratio) and out.revenue_now == pytest.approx(800.0)
    for name in ("units", "revenue", "profit"):
        low, mid, high = (getattr(out, f"{name}_change{s}") for s in ("_low", "", "_high"))
        assert low <= mid <= high and low < high


def test_margin_stands_in_for_a_missing_cost_and_profit_without_either_asks_for_it():
    needs = optimise_price(10.0, -2.0, 50.0, None, OptimiserConfig(objective="profit"))
    assert needs.status == "no_cost" and needs.reason == "needs_margin"
    assert optimise_price(10.0, -2.0, 50.0, None, OptimiserConfig(objective="revenue")).status == "ok"
    out = optimise_price(10.0, -2.0, 50.0, math.nan, OptimiserConfig(objective="profit", margin=0.3))
    assert out.cost_source == "margin" and out.unit_cost == pytest.approx(7.0)
    assert out.suggested_price == pytest.approx(11.5)  # Lerner price 14 is above +15%
    assert optimise_price(10.0, -2.0, 50.0, 6.0, OptimiserConfig(margin=0.3)).cost_source == "data"


def test_conflicting_limits_are_infeasible_not_violated():
    out = optimise_price(10.0, -2.0, 50.0, 9.5, OptimiserConfig(min_margin=0.3))  # needs >= 13.57, cap 11.5
    assert out.status == "infeasible" and out.reason == "constraints_conflict"
    assert out.bound == "min_margin+max_increase" and math.isnan(out.suggested_price)


def test_price_endings_and_keeping_the_current_price():
    cfg = OptimiserConfig(objective="revenue", endings=(0.99, 0.49))
    out = optimise_price(10.2, -0.5, 50.0, 4.0, cfg)
    assert out.suggested_price == pytest.approx(11.49)  # highest allowed ending below 11.73
    assert out.bound == "max_increase"
    flat = optimise_price(10.2, -1.0, 50.0, 4.0, cfg)  # revenue flat in price: keep the price
    assert flat.suggested_price == pytest.approx(10.2)
    none = optimise_price(10.2, -0.5, 50.0, 4.0, OptimiserConfig(objective="revenue", endings=(0.99,), max_change=0.03,
                                                                  floor=10.3))
    assert none.status == "infeasible" and none.reason == "no_price_with_ending"


def test_not_estimable_elasticity_gives_no_suggestion():
    out = optimise_price(10.0, math.nan, 50.0, 4.0)
    assert out.status == "not_estimable" and math.isnan(out.suggested_price)


@pytest.mark.parametrize("bad", [{"objective": "volume"}, {"max_change": 0}, {"max_change": 1.5}, {"floor": -1},
                                 {"floor": 12, "ceiling": 11}, {"min_margin": 1.0}, {"endings": (1.5,)},
                                 {"grid_points": 3}])
def test_bad_optimiser_settings_are_config_errors(bad):
    with pytest.raises(ConfigError):
        OptimiserConfig(**bad).validate()


@settings(max_examples=300, deadline=None)
@given(
    current=st.floats(0.5, 500),
    elasticity=st.floats(-5, 1),
    cost_share=st.one_of(st.none(), st.floats(0.05, 1.2)),
    objective=st.sampled_from(["revenue", "profit"]),
    max_change=st.floats(0.01, 1.0),
    floor_share=st.one_of(st.none(), st.floats(0.3, 1.5)),
    ceiling_share=st.one_of(st.none(), st.floats(0.5, 2.0)),
    min_margin=st.one_of(st.none(), st.floats(0.0, 0.8)),
    margin=st.one_of(st.none(), st.floats(0.0, 0.9)),
    endings=st.sampled_from([(), (0.99,), (0.99, 0.49)]),
)
def test_every_suggestion_respects_every_limit(current, elasticity, cost_share, objective, max_change, floor_share,
                                               ceiling_share, min_margin, margin, endings):
    floor = None if floor_share is None else current * floor_share
    ceiling = None if ceiling_share is None else current * ceiling_share
    if floor is not None and ceiling is not None and floor > ceiling:
        floor, ceiling = ceiling, floor
    cost = None if cost_share is None else current * cost_share
    cfg = OptimiserConfig(objective=objective, max_change=max_change, floor=floor, ceiling=ceiling,
                          min_margin=min_margin, margin=margin, endings=endings)
    out = optimise_price(current, elasticity, 40.0, cost, cfg, ci=(elasticity - 0.3, elasticity + 0.3))
    if out.status != "ok":
        assert math.isnan(out.suggested_price)
        assert out.status in ("no_cost", "infeasible")
        return
    p, tol = out.suggested_price, 1e-6 * max(1.0, current)
    assert abs(p / current - 1) <= max_change + 1e-9
    assert floor is None or p >= floor - tol
    assert ceiling is None or p <= ceiling + tol
    if min_margin is not None and np.isfinite(out.unit_cost):
        assert (p - out.unit_cost) / p >= min_margin - 1e-9
    if endings and not math.isclose(p, current):
        assert any(math.isclose(round(p % 1, 2), e) for e in endings)
    lows = [current * (1 - max_change)] + [x for x in (floor,) if x is not None]
    if min_margin is not None and np.isfinite(out.unit_cost):
        lows.append(out.unit_cost / (1 - min_margin))
    highs = [current * (1 + max_change)] + [x for x in (ceiling,) if x is not None]
    # the suggestion is the best allowed candidate, and candidates are at most a cent (or one ending) apart
    grid = price_grid(max(lows), min(highs), current, cfg)
    _, revenue, profit = demand_curves(grid, current, 40.0, elasticity, out.unit_cost)
    values = revenue if objective == "revenue" else profit
    _, best_r, best_m = demand_curves(p, current, 40.0, elasticity, out.unit_cost)
    best = best_r if objective == "revenue" else best_m
    assert best >= values.max() - 1e-9 * max(1.0, abs(values.max()))
    if out.bound in ("max_increase", "ceiling"):
        assert p >= current or out.bound == "ceiling"
    assert out.revenue_change_low <= out.revenue_change + 1e-12 <= out.revenue_change_high + 2e-12
