"""Explore aggregations on a nine-line shop whose every number is worked out by hand below.

    line  date        day  order  product      category  customer  qty  price  region  revenue
    1     2024-01-01  Mon  O1     P1 Apple     Fruit     C1         2   10     North    20
    2     2024-01-01  Mon  O1     P2 Banana    Fruit     C1         1    5     North     5
    3     2024-01-03  Wed  O2     P3 Carrot    Veg       C2         4    2.5   South    10
    4     2024-01-06  Sat  O3     P1 Apple     Fruit     C3         1   10     South    10
    5     2024-01-08  Mon  O4     P2 Banana    Fruit     C1         4    5     North    20
    6     2024-01-10  Wed  O5     P3 Carrot    Veg       C2         2    2.5   North     5
    7     2024-01-10  Wed  O5     P1 Apple     Fruit     C2         1   10     North    10
    8     2024-01-13  Sat  O6     P1 Apple     Fruit     C5         3   10     South    30
    9     2024-01-14  Sun  O7     P1 Apple     Fruit     C5        -1   10     South   -10   (a return)

Week 1 (Jan 1-7): revenue 45, units 8, orders O1 O2 O3, customers C1 C2 C3, AOV 15.
Week 2 (Jan 8-14): revenue 55, units 9, orders O4 O5 O6 (O7 is a return, not an order), customers C1 C2 C5, AOV 55/3.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ml.explore import (
    available_measures,
    comparison_period,
    daily_values,
    data_coverage,
    describe_weekdays,
    make_kpis,
    make_top,
    make_trend,
    make_weekday_matrix,
    measure_kpis,
    prepare_frame,
    resolve_period,
)
from ml.schema import Col, ConfigError
from ml.series import Filters

ROWS = [
    ("2024-01-01", "O1", "P1", "Apple", "Fruit", "C1", 2, 10.0, "North"),
    ("2024-01-01", "O1", "P2", "Banana", "Fruit", "C1", 1, 5.0, "North"),
    ("2024-01-03", "O2", "P3", "Carrot", "Veg", "C2", 4, 2.5, "South"),
    ("2024-01-06", "O3", "P1", "Apple", "Fruit", "C3", 1, 10.0, "South"),
    ("2024-01-08", "O4", "P2", "Banana", "Fruit", "C1", 4, 5.0, "North"),
    ("2024-01-10", "O5", "P3", "Carrot", "Veg", "C2", 2, 2.5, "North"),
    ("2024-01-10", "O5", "P1", "Apple", "Fruit", "C2", 1, 10.0, "North"),
    ("2024-01-13", "O6", "P1", "Apple", "Fruit", "C5", 3, 10.0, "South"),
    ("2024-01-14", "O7", "P1", "Apple", "Fruit", "C5", -1, 10.0, "South"),
]
WEEK2 = Filters(date_from=date(2024, 1, 8), date_to=date(2024, 1, 14))


def make_frame() -> pd.DataFrame:
    """The table above with the dtypes ml.dataset.load_dataset produces."""
    cols = ["date", "order_id", "product_id", "product_name", "category", "customer_id", "quantity", "unit_price", "region"]
    f = pd.DataFrame(ROWS, columns=cols)
    f["date"] = pd.to_datetime(f["date"])
    for c in ("order_id", "customer_id"):
        f[c] = f[c].astype("str")
    for c in ("product_id", "product_name", "category", "region"):
        f[c] = pd.Categorical(f[c])
    f["quantity"] = f["quantity"].astype(float)
    f["revenue"] = f["quantity"] * f["unit_price"]
    return f


@pytest.fixture(params=["raw", "prepared"])
def frame(request) -> pd.DataFrame:
    """Every aggregate must give the same numbers on the raw frame and on prepare_frame's coded copy."""
    f = make_frame()
    return f if request.param == "raw" else prepare_frame(f)


# ------------------------------------------------------------------------------------------- periods


def test_previous_period_has_the_same_length_right_before():
    period = resolve_period(make_frame(), WEEK2)
    assert (period.start, period.end, period.days) == (pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-14"), 7)
    before = comparison_period(period, "previous")
    assert (before.start, before.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-07"))
    year = comparison_period(period, "year")
    assert (year.start, year.end) == (pd.Timestamp("2023-01-08"), pd.Timestamp("2023-01-14"))
    with pytest.raises(ConfigError):
        comparison_period(period, "decade")


def test_open_ends_take_the_data_bounds_and_coverage_counts_days():
    f = make_frame()
    period = resolve_period(f, Filters(date_from=date(2024, 1, 4)))
    assert (period.start, period.end) == (pd.Timestamp("2024-01-04"), pd.Timestamp("2024-01-14"))
    before = comparison_period(period)  # Dec 24 .. Jan 3: the data holds Jan 1-3, 3 of 11 days
    assert data_coverage(f, before) == pytest.approx(3 / 11)


# ---------------------------------------------------------------------------------------------- KPIs


def test_kpis_of_the_whole_range(frame):
    report = make_kpis(frame, None)
    cur = report.current
    assert (cur.revenue, cur.units, cur.orders, cur.customers, cur.lines) == (100.0, 17.0, 6, 4, 9)
    assert cur.aov == pytest.approx(100 / 6)
    assert report.previous is None  # nothing before Jan 1
    assert report.change("revenue") is None
    assert report.coverage == 0.0


def test_kpis_against_the_previous_week(frame):
    report = make_kpis(frame, WEEK2)
    cur, prev = report.current, report.previous
    assert (cur.revenue, cur.units, cur.orders, cur.customers) == (55.0, 9.0, 3, 3)
    assert (prev.revenue, prev.units, prev.orders, prev.customers) == (45.0, 8.0, 3, 3)
    assert prev.aov == 15.0
    assert report.coverage == 1.0
    assert report.change("revenue") == pytest.approx(55 / 45 - 1)
    assert report.change("units") == pytest.approx(0.125)
    assert report.change("orders") == 0.0
    assert report.change("aov") == pytest.approx((55 / 3) / 15 - 1)
    assert report.difference("revenue") == 10.0


def test_kpis_with_a_category_filter(frame):
    report = make_kpis(frame, Filters(date_from=date(2024, 1, 8), date_to=date(2024, 1, 14), categories=("Fruit",)))
    cur, prev = report.current, report.previous
    assert (cur.revenue, cur.units, cur.orders, cur.customers) == (50.0, 7.0, 3, 3)
    assert (prev.revenue, prev.units, prev.orders, prev.customers) == (35.0, 4.0, 2, 2)
    assert report.change("revenue") == pytest.approx(50 / 35 - 1)
    assert report.change("customers") == pytest.approx(0.5)
    assert report.change("aov") == pytest.approx((50 / 3) / 17.5 - 1)


def test_kpis_with_a_region_filter_and_partial_previous_period(frame):
    north = make_kpis(frame, Filters(regions=("North",)))
    assert (north.current.revenue, north.current.units, north.current.orders, north.current.customers) == (60.0, 10.0, 3, 2)
    report = make_kpis(frame, Filters(date_from=date(2024, 1, 4)))
    assert (report.current.revenue, report.current.orders, report.current.customers) == (65.0, 4, 4)
    assert (report.previous.revenue, report.previous.orders, report.previous.customers) == (35.0, 2, 2)
    assert report.coverage == pytest.approx(3 / 11)


def test_same_period_last_year_without_data_gives_no_previous(frame):
    report = make_kpis(frame, WEEK2, compare="year")
    assert report.previous is None and report.change("revenue") is None


def test_empty_selection_gives_zeros_not_errors(frame):
    report = make_kpis(frame, Filters(categories=("Nope",)))
    assert (report.current.lines, report.current.revenue, report.current.orders, report.current.customers) == (0, 0.0, 0, 0)
    assert report.current.aov is None
    trend = make_trend(frame, Filters(categories=("Nope",)), "W")
    assert trend["revenue"].tolist() == [0.0, 0.0]
    assert make_top(frame, Filters(categories=("Nope",))).table.empty


def test_guest_orders_do_not_count_as_customers():
    f = make_frame()
    f.loc[3, "customer_id"] = ""  # line 4 (C3) becomes a guest order
    assert measure_kpis(f).customers == 3
    assert make_trend(f, None, "W")["customers"].tolist() == [2, 3]


def test_missing_columns_degrade():
    f = make_frame()
    no_ids = f.drop(columns=[Col.ORDER_ID, Col.CUSTOMER_ID])
    report = make_kpis(no_ids, None)
    assert report.current.orders is None and report.current.customers is None
    assert report.aov_per_line
    assert report.current.aov == pytest.approx(100 / 8)  # per sale line: the return is not a sale
    assert set(report.missing) == {"orders", "customers"}
    assert available_measures(no_ids.columns) == ["revenue", "units", "aov"]
    assert available_measures(f.drop(columns=[Col.REVENUE]).columns) == ["units", "orders", "customers"]
    units_only = make_kpis(f.drop(columns=[Col.REVENUE]), WEEK2)
    assert units_only.current.revenue is None and units_only.current.aov is None
    assert units_only.change("units") == pytest.approx(0.125)
    with pytest.raises(ConfigError):
        make_top(f.drop(columns=[Col.CATEGORY]), None, "category")


# -------------------------------------------------------------------------------------------- trends


def test_weekly_trend(frame):
    trend = make_trend(frame, None, "W")
    assert list(trend.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert trend["revenue"].tolist() == [45.0, 55.0]
    assert trend["units"].tolist() == [8.0, 9.0]
    assert trend["orders"].tolist() == [3, 3]
    assert trend["customers"].tolist() == [3, 3]
    assert trend["aov"].tolist() == pytest.approx([15.0, 55 / 3])
    assert trend["days"].tolist() == [7, 7]
    assert not trend["partial"].any()


def test_daily_trend_fills_days_without_sales(frame):
    trend = make_trend(frame, None, "D")
    assert len(trend) == 14
    assert trend.loc["2024-01-02", "revenue"] == 0.0 and trend.loc["2024-01-02", "orders"] == 0
    assert trend.loc["2024-01-10", "revenue"] == 15.0 and trend.loc["2024-01-10", "orders"] == 1
    assert trend.loc["2024-01-14", "revenue"] == -10.0 and trend.loc["2024-01-14", "orders"] == 0
    assert np.isnan(trend.loc["2024-01-14", "aov"])


def test_monthly_and_cut_weeks_are_marked_partial(frame):
    month = make_trend(frame, None, "M")
    assert month["revenue"].tolist() == [100.0] and month["customers"].tolist() == [4]
    assert month["days"].tolist() == [14] and month["partial"].tolist() == [True]
    cut = make_trend(frame, Filters(date_from=date(2024, 1, 3), date_to=date(2024, 1, 10)), "W")
    assert cut["days"].tolist() == [5, 3]
    assert cut["partial"].tolist() == [True, True]
    assert cut["revenue"].tolist() == [20.0, 35.0]  # Jan 3 + Jan 6; Jan 8 + Jan 10


def test_trend_of_the_comparison_period(frame):
    before = comparison_period(resolve_period(frame, WEEK2))
    trend = make_trend(frame, WEEK2, "D", period=before)
    assert list(trend.index) == list(pd.date_range("2024-01-01", "2024-01-07"))
    assert trend["revenue"].tolist() == [25.0, 0.0, 10.0, 0.0, 0.0, 10.0, 0.0]


# --------------------------------------------------------------------------------------------- top N


def test_top_products_by_revenue_with_shares(frame):
    top = make_top(frame, None, "product", "revenue", n=10)
    t = top.table
    assert t["key"].tolist() == ["P1", "P2", "P3"]
    assert t["label"].tolist() == ["Apple (P1)", "Banana (P2)", "Carrot (P3)"]
    assert t["category"].tolist() == ["Fruit", "Fruit", "Veg"]
    assert t["revenue"].tolist() == [60.0, 25.0, 15.0]
    assert t["units"].tolist() == [6.0, 5.0, 6.0]
    assert t["share"].tolist() == pytest.approx([0.60, 0.25, 0.15])
    assert t["rank"].tolist() == [1, 2, 3]
    assert top.total == 100.0 and top.rest_count == 0


def test_top_by_units_breaks_ties_by_id_and_sums_the_rest(frame):
    top = make_top(frame, None, "product", "units", n=2)
    assert top.table["key"].tolist() == ["P1", "P3"]  # both 6 units
    assert top.table["share"].tolist() == pytest.approx([6 / 17, 6 / 17])
    assert (top.rest_value, top.rest_count) == (5.0, 1)


def test_top_changes_against_the_previous_period(frame):
    t = make_top(frame, WEEK2, "product", "revenue").table
    assert t["key"].tolist() == ["P1", "P2", "P3"]
    assert t["revenue"].tolist() == [30.0, 20.0, 5.0]
    assert t["previous"].tolist() == [30.0, 5.0, 10.0]
    assert t["change"].tolist() == pytest.approx([0.0, 3.0, -0.5])
    assert t["share"].tolist() == pytest.approx([30 / 55, 20 / 55, 5 / 55])


def test_top_categories_and_regions(frame):
    cats = make_top(frame, None, "category", "revenue").table
    assert cats["label"].tolist() == ["Fruit", "Veg"]
    assert cats["share"].tolist() == pytest.approx([0.85, 0.15])
    assert cats["change"].isna().all()  # no data before Jan 1
    regions = make_top(frame, Filters(categories=("Veg",)), "region", "units").table
    assert list(zip(regions["key"], regions["units"], strict=True)) == [("South", 4.0), ("North", 2.0)]


# -------------------------------------------------------------------------------------- seasonality


def test_weekday_by_week_matrix(frame):
    m = make_weekday_matrix(frame, None, "revenue", "week")
    assert list(m.values.columns) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert m.values[pd.Timestamp("2024-01-01")].tolist() == [25.0, 0.0, 10.0, 0.0, 0.0, 10.0, 0.0]
    assert m.values[pd.Timestamp("2024-01-08")].tolist() == [20.0, 0.0, 15.0, 0.0, 0.0, 30.0, -10.0]
    orders = make_weekday_matrix(frame, None, "orders", "week").values
    assert orders[pd.Timestamp("2024-01-08")].tolist() == [1, 0, 1, 0, 0, 1, 0]


def test_weekday_by_week_leaves_days_outside_the_range_empty(frame):
    m = make_weekday_matrix(frame, Filters(date_from=date(2024, 1, 3), date_to=date(2024, 1, 10)), "revenue", "week")
    first, second = m.values[pd.Timestamp("2024-01-01")], m.values[pd.Timestamp("2024-01-08")]
    assert first.isna().tolist() == [True, True, False, False, False, False, False]
    assert first.tolist()[2:] == [10.0, 0.0, 0.0, 10.0, 0.0]
    assert second.tolist()[:3] == [20.0, 0.0, 15.0] and second.isna().tolist()[3:] == [True] * 4


def test_weekday_by_month_averages_each_weekday(frame):
    m = make_weekday_matrix(frame, None, "revenue", "month")
    assert list(m.values.columns) == [pd.Timestamp("2024-01-01")]
    assert m.values.iloc[:, 0].tolist() == [22.5, 0.0, 12.5, 0.0, 0.0, 20.0, -5.0]
    assert m.days.iloc[:, 0].tolist() == [2] * 7
    assert m.profile.tolist() == [22.5, 0.0, 12.5, 0.0, 0.0, 20.0, -5.0]


def test_weekday_insight_needs_four_weeks_of_non_negative_days():
    f = make_frame()
    assert describe_weekdays(make_weekday_matrix(f, None)) is None  # two weeks and a negative Sunday
    days = pd.date_range("2024-01-01", periods=28)  # four weeks; Saturdays sell 3, other days 1
    longer = pd.DataFrame({Col.DATE: days, Col.QUANTITY: np.where(days.day_of_week == 5, 3.0, 1.0)})
    high, high_index, low, low_index = describe_weekdays(make_weekday_matrix(longer, None, "units"))
    mean = (6 * 1 + 3) / 7
    assert (high, low) == (5, 0)
    assert high_index == pytest.approx(3 / mean) and low_index == pytest.approx(1 / mean)


def test_daily_values_rejects_a_measure_the_data_lacks():
    with pytest.raises(ConfigError):
        daily_values(make_frame().drop(columns=[Col.CUSTOMER_ID]), None, "customers")


def test_prepared_frame_matches_raw_on_random_data():
    rng = np.random.default_rng(3)
    n = 5_000
    raw = pd.DataFrame(
        {
            Col.DATE: pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h"),
            Col.ORDER_ID: pd.array([f"O{i}" for i in rng.integers(0, 1500, n)], dtype="str"),
            Col.CUSTOMER_ID: pd.array([f"C{i}" if i else "" for i in rng.integers(0, 300, n)], dtype="str"),
            Col.CATEGORY: pd.Categorical(rng.choice(["a", "b", "c"], n)),
            Col.QUANTITY: rng.choice([-1.0, 1.0, 2.0], n, p=[0.05, 0.75, 0.2]),
        }
    )
    raw[Col.REVENUE] = raw[Col.QUANTITY] * 3.0
    raw = raw.sort_values(Col.DATE, kind="stable").reset_index(drop=True)
    coded = prepare_frame(raw)
    assert raw[Col.ORDER_ID].dtype == "str" and coded[Col.ORDER_ID].dtype == np.int64  # the original is untouched
    filters = Filters(date_from=date(2024, 2, 1), categories=("a", "c"))
    assert make_kpis(raw, filters) == make_kpis(coded, filters)
    pd.testing.assert_frame_equal(make_trend(raw, filters, "W"), make_trend(coded, filters, "W"))
    # ...and the distinct counts agree with pandas' own nunique
    rows = raw[(raw[Col.DATE] >= "2024-02-01") & raw[Col.CATEGORY].isin(["a", "c"]) & (raw[Col.QUANTITY] > 0)]
    assert make_kpis(coded, filters).current.orders == rows[Col.ORDER_ID].nunique()
    assert make_kpis(coded, filters).current.customers == rows.loc[rows[Col.CUSTOMER_ID] != "", Col.CUSTOMER_ID].nunique()
