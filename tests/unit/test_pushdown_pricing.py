"""The Pricing page's numbers on a saved dataset queried in place (``ml.pushdown``) under the analyst's filters:
the price panel, the elasticities fitted on it and the what-if baseline equal the pandas path's on the same lines
filtered in memory."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.pricing import ElasticityConfig, estimate_elasticities, make_price_panel
from ml.pricing.whatif import baseline_forecast
from ml.pushdown import ParquetTable
from ml.schema import Col
from ml.series import Filters, apply_filters
from ml.workspace.formats import write_frame
from tests.unit.test_pushdown import make_lines

FILTERS = [
    None,
    Filters(date_from=date(2024, 2, 1), date_to=date(2024, 5, 20)),
    Filters(categories=("Fruit", "Veg"), regions=("North", "South")),
    Filters(date_from=date(2024, 1, 20), products=("P01", "P04", "P07")),
]


@pytest.fixture(params=[13, 29])
def lines(request, tmp_path) -> tuple[pd.DataFrame, ParquetTable]:
    frame = make_lines(request.param)
    rng = np.random.default_rng(request.param)
    frame.loc[rng.random(len(frame)) < 0.03, Col.UNIT_PRICE] = 0.0  # invalid prices, left out and counted
    cut = rng.random(len(frame)) < 0.3
    frame.loc[cut, Col.UNIT_PRICE] = frame.loc[cut, Col.UNIT_PRICE] * 0.8  # price moves to estimate from
    frame[Col.REVENUE] = frame[Col.QUANTITY] * frame[Col.UNIT_PRICE]
    frame[Col.UNIT_COST] = np.where(rng.random(len(frame)) < 0.5, 1.0 + rng.random(len(frame)), np.nan)
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    return frame, ParquetTable(path)


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("freq", ["D", "W"])
def test_filtered_panel_and_elasticities_equal_the_pandas_path(lines, filters, freq):
    frame, table = lines
    selected = apply_filters(frame, filters)
    expected, got = make_price_panel(selected, freq), make_price_panel(table, freq, filters)
    assert len(expected.frame) > 0
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_exact=False, rtol=1e-12)
    assert (got.start, got.end, got.invalid_price_lines) == (expected.start, expected.end, expected.invalid_price_lines)
    assert got.current_price == expected.current_price and got.names == expected.names
    assert got.unit_cost == expected.unit_cost
    if filters is not None and filters.products:
        assert set(got.frame["product_id"]) <= set(filters.products)
    config = ElasticityConfig(freq=freq)
    pd.testing.assert_frame_equal(estimate_elasticities(got, config), estimate_elasticities(expected, config),
                                  check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("filters", [None, FILTERS[1]])
def test_the_what_if_baseline_equals_the_pandas_path(lines, filters):
    frame, table = lines
    expected = baseline_forecast(apply_filters(frame, filters), "P03", 8)
    got = baseline_forecast(table, "P03", 8, filters)
    pd.testing.assert_frame_equal(got.history, expected.history, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(got.forecast, expected.forecast, check_exact=False, rtol=1e-9)
    assert got.method == expected.method


def test_an_absurd_price_on_a_few_lines_neither_breaks_nor_decides_the_days_price(tmp_path):
    """A barcode typed into the price column (10^20, 10^40) on one line of a busy day: the in-place panel still
    equals the pandas path (the day's price is the one on most lines) instead of overflowing its rank."""
    frame = make_lines(13)
    line = frame.iloc[[len(frame) // 2]]
    extra = pd.concat([line] * 5, ignore_index=True)  # five more lines of that product on that day
    extra.loc[3, Col.UNIT_PRICE] = 1e20
    extra.loc[4, Col.UNIT_PRICE] = 1e40
    frame = pd.concat([frame, extra], ignore_index=True).sort_values(Col.DATE, kind="stable", ignore_index=True)
    product, day = line[Col.PRODUCT_ID].iloc[0], line[Col.DATE].dt.normalize().iloc[0]
    frame[Col.REVENUE] = frame[Col.QUANTITY] * frame[Col.UNIT_PRICE]
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    expected, got = make_price_panel(frame, "D"), make_price_panel(ParquetTable(path), "D")
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_exact=False, rtol=1e-12)
    day_row = got.frame[(got.frame["product_id"] == product) & (got.frame["period"] == day)]
    assert len(day_row) == 1 and float(day_row["price"].iloc[0]) < 1e6
