"""The weekday insight names closed days instead of calling them the quietest (UCI's shop never trades Saturdays)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.explore import describe_trading_week, make_weekday_matrix


def _days(closed: tuple[int, ...]) -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=84, freq="D")
    rng = np.random.default_rng(0)
    revenue = 100 + 10 * rng.standard_normal(len(days)) + np.where(days.day_of_week == 0, 60, 0)  # busy Mondays
    revenue = np.where(np.isin(days.day_of_week, closed), 0.0, revenue)
    return pd.DataFrame({"date": days, "revenue": revenue, "quantity": np.ones(len(days))})


def test_closed_saturday_is_named_closed_and_the_quietest_is_a_trading_day():
    busiest, above, quietest, below, closed = describe_trading_week(make_weekday_matrix(_days((5,)), None))
    assert closed == [5] and busiest == 0 and quietest != 5
    assert 0.8 < below < 1.0  # a trading day near the average, not "100% below"


def test_a_shop_open_every_day_has_no_closed_day():
    *_, closed = describe_trading_week(make_weekday_matrix(_days(()), None))
    assert closed == []


def test_weekends_closed():
    *_, closed = describe_trading_week(make_weekday_matrix(_days((5, 6)), None))
    assert closed == [5, 6]
