"""The Explore aggregates and the series to forecast computed by DuckDB over a saved dataset's Parquet
(``ml.pushdown``) equal the pandas path's on the same data, and both equal totals planted in that data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.explore import make_kpis, make_top, make_trend, make_weekday_matrix, prepare_frame
from ml.products import product_names
from ml.pushdown import ParquetTable
from ml.pushdown.explore import query_distinct, query_first_values, query_product_names, query_ranked_products
from ml.schema import Col
from ml.series import Filters, make_series, partial_periods
from ml.workspace.formats import write_frame

DAYS = 150
PRODUCTS = 12
PLANTED_UNITS = {f"P{i:02d}": 40 + 7 * i for i in range(PRODUCTS)}  # units sold per product, returns netted


def make_lines(seed: int) -> pd.DataFrame:
    """Order lines over 150 days starting on a Wednesday: each product sells exactly ``PLANTED_UNITS`` units net
    (sales minus one return each), at a list price of 2 + product number, with categories, regions, promo, guest
    lines (no customer), lines with an empty order id, a missing category and names that vary (a typo line)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-03")
    rows = []
    for product, units in PLANTED_UNITS.items():
        left = units + 2  # one return of 2 units below
        while left > 0:
            qty = int(min(left, rng.integers(1, 6)))
            left -= qty
            rows.append((start + pd.Timedelta(days=int(rng.integers(0, DAYS)), hours=int(rng.integers(8, 20))),
                         product, qty))
        rows.append((start + pd.Timedelta(days=int(rng.integers(0, DAYS))), product, -2))
    frame = pd.DataFrame(rows, columns=[Col.DATE, Col.PRODUCT_ID, Col.QUANTITY]).sort_values(Col.DATE, kind="stable")
    n = len(frame)
    number = frame[Col.PRODUCT_ID].str[1:].astype(int).to_numpy()
    frame[Col.QUANTITY] = frame[Col.QUANTITY].astype(float)
    frame[Col.UNIT_PRICE] = 2.0 + number
    frame[Col.REVENUE] = frame[Col.QUANTITY] * frame[Col.UNIT_PRICE]
    frame[Col.ORDER_ID] = [f"O{k}" for k in rng.integers(0, n // 2, n)]
    frame.loc[rng.random(n) < 0.03, Col.ORDER_ID] = ""
    frame[Col.CUSTOMER_ID] = pd.Series([f"C{k}" for k in rng.integers(0, 40, n)], index=frame.index).where(
        rng.random(n) > 0.1)
    frame[Col.PRODUCT_NAME] = [f"Item {k}" for k in number]
    frame.loc[rng.random(n) < 0.05, Col.PRODUCT_NAME] = "typo"
    category = np.where(number % 3 == 0, "Fruit", np.where(number % 3 == 1, "Veg", "Bread")).astype(object)
    category[rng.random(n) < 0.02] = None
    frame[Col.CATEGORY] = category
    frame[Col.REGION] = rng.choice(["North", "South", "East"], n)
    frame[Col.PROMO] = rng.random(n) < 0.2
    for column in (Col.PRODUCT_ID, Col.PRODUCT_NAME, Col.CATEGORY, Col.REGION):
        frame[column] = pd.Categorical(frame[column])
    return frame.reset_index(drop=True)


@pytest.fixture(params=[3, 11])
def both(request, tmp_path) -> tuple[pd.DataFrame, ParquetTable]:
    """The frame as a page holds it (ids coded) and the same lines saved as a workspace Parquet."""
    frame = make_lines(request.param)
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    return prepare_frame(frame), ParquetTable(path)


FILTERS = [
    None,
    Filters(date_from=date(2024, 3, 1), date_to=date(2024, 4, 15)),
    Filters(categories=("Fruit", "Veg"), regions=("North",)),
    Filters(date_from=date(2024, 2, 10), products=("P01", "P04", "P07")),
]


def test_the_planted_totals_come_back_from_the_parquet(both):
    frame, table = both
    report = make_kpis(table, None)
    assert report.current.units == pytest.approx(sum(PLANTED_UNITS.values()))
    planted_revenue = sum(u * (2.0 + int(p[1:])) for p, u in PLANTED_UNITS.items())
    assert report.current.revenue == pytest.approx(planted_revenue)
    assert report.current.lines == len(frame) == len(table)
    top = make_top(table, None, "product", "units", n=PRODUCTS)
    assert dict(zip(top.table["key"], top.table["units"], strict=True)) == pytest.approx(PLANTED_UNITS)


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("compare", ["previous", "year"])
def test_kpis_equal_the_pandas_path(both, filters, compare):
    frame, table = both
    expected, got = make_kpis(frame, filters, compare), make_kpis(table, filters, compare)
    assert got.period == expected.period and got.previous_period == expected.previous_period
    assert got.coverage == expected.coverage and got.aov_per_line == expected.aov_per_line
    for values, wanted in ((got.current, expected.current), (got.previous, expected.previous)):
        if wanted is None:
            assert values is None
            continue
        assert (values.lines, values.orders, values.customers) == (wanted.lines, wanted.orders, wanted.customers)
        for measure in ("revenue", "units", "aov"):
            assert values.get(measure) == pytest.approx(wanted.get(measure), rel=1e-12)
    assert expected.current.orders > 0 and expected.current.customers > 0  # the comparison compared something


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_trends_equal_the_pandas_path(both, filters, freq):
    frame, table = both
    expected, got = make_trend(frame, filters, freq), make_trend(table, filters, freq)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert expected["lines"].sum() > 0


@pytest.mark.parametrize("dimension", ["product", "category", "region"])
@pytest.mark.parametrize("measure", ["revenue", "units"])
def test_rankings_equal_the_pandas_path(both, dimension, measure):
    frame, table = both
    filters = FILTERS[1]
    expected, got = make_top(frame, filters, dimension, measure, n=5), make_top(table, filters, dimension, measure, n=5)
    pd.testing.assert_frame_equal(got.table, expected.table, check_exact=False, rtol=1e-12)
    assert (got.total, got.rest_count) == pytest.approx((expected.total, expected.rest_count))
    assert got.rest_value == pytest.approx(expected.rest_value)


@pytest.mark.parametrize("layout", ["week", "month"])
@pytest.mark.parametrize("measure", ["units", "customers", "aov"])
def test_weekday_matrices_equal_the_pandas_path(both, layout, measure):
    frame, table = both
    expected = make_weekday_matrix(frame, None, measure, layout)
    got = make_weekday_matrix(table, None, measure, layout)
    pd.testing.assert_frame_equal(got.values, expected.values)
    pd.testing.assert_series_equal(got.profile, expected.profile)


@pytest.mark.parametrize("level", ["total", "category:Veg", "categories", "product:P03", "products", "products:P02|P09"])
@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("target", ["units", "revenue", "price"])
def test_series_to_forecast_equal_the_pandas_path(both, level, freq, target):
    frame, table = both
    filters = Filters(regions=("North", "South"))
    expected = make_series(frame, target, level, freq, filters)
    got = make_series(table, target, level, freq, filters)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got.attrs == expected.attrs
    assert partial_periods(table, freq, filters) == partial_periods(frame, freq, filters)


def test_a_products_series_sums_to_its_planted_units(both):
    _, table = both
    series = make_series(table, "units", "products", "D", complete_periods=False)
    assert series.groupby("unique_id")["y"].sum().to_dict() == pytest.approx(PLANTED_UNITS)


def test_names_categories_and_choices_equal_the_pandas_path(both):
    frame, table = both
    expected = product_names(frame)
    got = query_product_names(table)
    assert got.to_dict() == expected.to_dict()
    assert set(got) <= {f"Item {i}" for i in range(PRODUCTS)}  # the usual name, never the typo
    cats = frame.groupby(Col.PRODUCT_ID, observed=True)[Col.CATEGORY].first().dropna()
    assert query_first_values(table, None, Col.PRODUCT_ID, Col.CATEGORY).to_dict() == {
        str(k): str(v) for k, v in cats.items()}
    assert query_distinct(table, Col.REGION) == ("East", "North", "South")
    assert query_ranked_products(table) == sorted(PLANTED_UNITS, key=lambda p: -PLANTED_UNITS[p])


@pytest.mark.parametrize("freq", ["D", "W"])
def test_price_panel_equals_the_pandas_path(tmp_path, freq):
    from ml.pricing import make_price_panel

    frame = make_lines(13)
    rng = np.random.default_rng(13)
    frame.loc[rng.random(len(frame)) < 0.03, Col.UNIT_PRICE] = 0.0  # invalid prices, left out and counted
    frame.loc[frame[Col.PRODUCT_ID] == "P05", Col.UNIT_PRICE] = np.nan  # sold, never priced
    tier = rng.random(len(frame)) < 0.25
    frame.loc[tier, Col.UNIT_PRICE] = frame.loc[tier, Col.UNIT_PRICE] * 0.9  # a quantity tier on some lines
    frame[Col.UNIT_COST] = np.where(rng.random(len(frame)) < 0.5, 1.0 + rng.random(len(frame)), np.nan)
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    expected, got = make_price_panel(frame, freq), make_price_panel(ParquetTable(path), freq)
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_exact=False, rtol=1e-12)
    assert (got.start, got.end, got.invalid_price_lines) == (expected.start, expected.end, expected.invalid_price_lines)
    assert got.products_without_price == expected.products_without_price == ["P05"]
    assert got.current_price == expected.current_price and got.names == expected.names
    assert got.unit_cost == expected.unit_cost and len(expected.unit_cost) == PRODUCTS
    assert expected.invalid_price_lines > 0 and len(expected.frame) > 0
