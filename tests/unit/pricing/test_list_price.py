"""The current price is the usual recent list price; implausible suggestions are held back; the headline names
what drives it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.pricing.config import OptimiserConfig
from ml.pricing.optimise import optimise_price
from ml.pricing.panel import list_prices, make_price_panel
from ml.pricing.portfolio import hold_back_reason, revenue_drivers

REVENUE = OptimiserConfig(objective="revenue", max_change=0.15)


def _cakestand_lines() -> pd.DataFrame:
    """UCI's REGENCY CAKESTAND: most orders pay 12.75, big orders 10.95 (tier), guests 24.96; an old price 14.95."""
    rows = []
    for day in pd.date_range("2011-01-03", periods=120, freq="D"):
        old = day < pd.Timestamp("2011-03-01")
        rows.append((day, 2, 14.95 if old else 12.75, "C1"))
        rows.append((day, 1, 14.95 if old else 12.75, "C2"))
        if day.day % 3 == 0:
            rows.append((day, 32, 10.95, "C3"))  # the tier: more units than all other lines together
        if day.day % 2 == 0:
            rows.append((day, 1, 24.96, None))  # guest
            rows.append((day, 1, 24.96, None))
            rows.append((day, 1, 24.96, None))
    frame = pd.DataFrame(rows, columns=["date", "quantity", "unit_price", "customer_id"])
    frame["product_id"] = "22423"
    frame["revenue"] = frame["quantity"] * frame["unit_price"]
    return frame


def test_current_price_is_the_list_price_not_the_average_or_a_tier_or_a_guest_price():
    frame = _cakestand_lines()
    panel = make_price_panel(frame, "W")
    assert panel.current_price["22423"] == 12.75
    last_day = frame.loc[frame["date"] == frame["date"].max()]
    average = last_day["revenue"].sum() / last_day["quantity"].sum()
    assert abs(average - 12.75) > 0.5  # what the old rule (the last day's average) would have said
    # the weekly panel's price follows the list price, not the tier orders' units
    assert panel.frame["price"].iloc[-1] == pytest.approx(12.75)


def test_guest_prices_count_only_when_there_is_nothing_else():
    days = pd.Series(pd.to_datetime(["2011-01-01"] * 3))
    assert list_prices(pd.Series(["A"] * 3), days, np.array([20.0, 20.0, 10.0]), 0.0,
                       np.array([True, True, False])) == {"A": 10.0}
    assert list_prices(pd.Series(["A"] * 2), days[:2], np.array([20.0, 20.0]), 0.0, np.array([True, True])) == {"A": 20.0}


def test_a_cut_that_needs_an_implausible_unit_change_is_held_back():
    # UCI's cakestand before this change: -15% price, +92% units (elasticity -4.04, interval -5.3 to -2.8)
    s = optimise_price(12.75, -4.04, 200.0, None, REVENUE, ci=(-5.31, -2.77))
    assert s.suggested_price < 12.75 and s.units_change > 0.9
    assert hold_back_reason(s, "revenue") == "implausible_units"
    plausible = optimise_price(12.75, -2.0, 200.0, None, REVENUE, ci=(-2.4, -1.6))
    assert hold_back_reason(plausible, "revenue") is None


def test_a_move_whose_interval_allows_as_large_a_loss_is_held_back():
    s = optimise_price(10.0, -1.3, 100.0, None, REVENUE, ci=(-2.9, 0.3))  # revenue: cut; the interval reaches inelastic
    assert hold_back_reason(s, "revenue") == "interval_too_wide"
    assert math.isfinite(s.revenue_change_low) and -s.revenue_change_low >= s.revenue_change


def test_drivers_are_the_largest_changes_with_their_share():
    ok = pd.DataFrame({"product_id": ["a", "b", "c", "d"], "name": ["A", "B", "C", "D"],
                       "revenue_now": [100.0, 100.0, 100.0, 100.0], "revenue_new": [160.0, 90.0, 120.0, 101.0]})
    drivers = revenue_drivers(ok, 1.0)
    assert [d["product_id"] for d in drivers] == ["a", "c", "b"]
    assert drivers[0]["share"] == pytest.approx(60 / 91)
