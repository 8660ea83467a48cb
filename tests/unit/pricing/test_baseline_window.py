"""The units a suggestion is scaled by: the recent window, or, when the data cover a year, the lower of that and the
last year's average week, so a seasonal peak at the end of the data (UCI ends in the Christmas rush) is not taken
for the next 30 days. Planted weekly units: the expected baselines are exact averages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.pricing.elasticity import baseline_window_start, typical_units

END = pd.Timestamp("2011-12-05")  # a Monday: the last (complete) week starts here


def _weeks(n: int) -> np.ndarray:
    return np.array(pd.date_range(end=END, periods=n, freq="7D").to_numpy())


def _baseline(units: np.ndarray, year: bool = True) -> tuple[float, str]:
    periods = _weeks(len(units))
    keep = units > 0  # the panel holds periods with sales only
    year_start = baseline_window_start(END, 52, "W") if year else None
    return typical_units(periods[keep], units[keep].astype(float), np.full(keep.sum(), 2.0), np.zeros(keep.sum()), 2.0,
                         float("nan"), END, "W", baseline_window_start(END, 8, "W"), 8, year_start)


def test_a_peak_in_the_last_weeks_gives_the_years_average():
    units = np.r_[np.full(44, 10.0), np.full(8, 30.0)]  # a Christmas product: triple in the last 8 weeks
    value, source = _baseline(units)
    assert source == "year" and value == pytest.approx((44 * 10 + 8 * 30) / 52)
    assert _baseline(units, year=False) == (pytest.approx(30.0), "recent_only")  # the old window: the peak


def test_a_dip_in_the_last_weeks_keeps_the_recent_window():
    units = np.r_[np.full(44, 10.0), np.full(8, 4.0)]  # fading: the year's average would overstate it
    assert _baseline(units) == (pytest.approx(4.0), "recent")


def test_a_product_launched_within_the_year_is_averaged_from_its_launch():
    units = np.r_[np.zeros(32), np.full(12, 10.0), np.full(8, 20.0)]  # launched 20 weeks ago, then a peak
    value, source = _baseline(units)
    assert source == "year" and value == pytest.approx((12 * 10 + 8 * 20) / 20)  # not diluted by weeks before launch
