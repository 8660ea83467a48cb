"""The Explore page through the real app: KPIs equal the hand-computed values of tests/unit/test_explore.py's
nine-line shop, filters change them and survive page switches, both languages render, missing columns degrade.
"""

from __future__ import annotations

import hashlib
import time
from datetime import date

import numpy as np
import pandas as pd
import pytest

from components import state
from components.common.filters import (
    FilterOptions,
    clean_filters,
    describe_filters,
    detect_preset,
    preset_range,
)
from ml.dataset import Dataset, ValidationReport
from ml.i18n import translate
from ml.schema import ColumnMapping
from ml.series import Filters
from tests.app.conftest import (
    dataset_from_csv,
    metrics,
    new_app,
    open_page,
    plotly_array,
    plotly_figures,
    texts,
)
from tests.unit.test_explore import ROWS

PAGE = "pages/explore_page.py"
HEADER = "date,order_id,product_id,product_name,category,customer_id,quantity,unit_price,region"
CSV = HEADER + "\n" + "\n".join(",".join(str(v) for v in row) for row in ROWS) + "\n"
WHOLE = {
    "Revenue": ("$100.00", ""),
    "Units": ("17", ""),
    "Orders": ("6", ""),
    "Customers": ("4", ""),
    "Average order value": ("$16.67", ""),
}
SECOND_WEEK = {
    "Revenue": ("$55.00", "+22.2%"),
    "Units": ("9", "+12.5%"),
    "Orders": ("3", "+0.0%"),
    "Customers": ("3", "+0.0%"),
    "Average order value": ("$18.33", "+22.2%"),
}
SECOND_WEEK_FRUIT = {
    "Revenue": ("$50.00", "+42.9%"),
    "Units": ("7", "+75.0%"),
    "Orders": ("3", "+50.0%"),
    "Customers": ("3", "+50.0%"),
    "Average order value": ("$16.67", "-4.8%"),
}


@pytest.fixture(scope="module")
def tiny():
    return dataset_from_csv(CSV, "tiny.csv")


def explore(dataset, language="en"):
    return open_page(new_app(dataset, language), PAGE)


def choose_second_week(at):
    return at.date_input(key=state.EXPLORE_DATES).set_value((date(2024, 1, 8), date(2024, 1, 14))).run()


# ------------------------------------------------------------------------------------------------- KPIs


def test_uploaded_file_reaches_the_kpis():
    at = new_app()
    at.run()
    at.file_uploader(key=state.DATA_UPLOAD).upload("tiny.csv", CSV.encode(), "text/csv")
    at.run()
    assert not at.exception
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert metrics(at) == WHOLE
    assert translate("explore.kpi.no_previous", "en", period="2023-12-18 to 2023-12-31") in texts(at)


def test_date_range_and_category_change_kpis_and_deltas(tiny):
    at = explore(tiny)
    choose_second_week(at)
    assert not at.exception
    assert metrics(at) == SECOND_WEEK
    assert at.session_state[state.EXPLORE_PERIOD] == "custom"
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Fruit"]).run()
    assert metrics(at) == SECOND_WEEK_FRUIT
    stored = at.session_state[state.FILTERS]
    assert stored == Filters(date_from=date(2024, 1, 8), date_to=None, categories=("Fruit",))


def test_region_and_product_filters(tiny):
    at = explore(tiny)
    at.multiselect(key=state.EXPLORE_REGIONS).set_value(["North"]).run()
    assert metrics(at)["Revenue"] == ("$60.00", "")
    assert metrics(at)["Customers"] == ("2", "")
    assert at.multiselect(key=state.EXPLORE_PRODUCTS).options == ["Apple (P1)", "Banana (P2)", "Carrot (P3)"]
    at.multiselect(key=state.EXPLORE_PRODUCTS).set_value(["P2"]).run()
    assert metrics(at)["Revenue"] == ("$25.00", "")  # Banana in the North: 5 + 20
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Veg"]).run()
    assert at.multiselect(key=state.EXPLORE_PRODUCTS).options == ["Carrot (P3)"]
    assert at.multiselect(key=state.EXPLORE_PRODUCTS).value == []  # Banana is not a vegetable: dropped
    assert metrics(at)["Revenue"] == ("$5.00", "")


def test_comparison_with_last_year_without_data_shows_no_delta(tiny):
    at = explore(tiny)
    choose_second_week(at)
    at.selectbox(key=state.EXPLORE_COMPARE).set_value("year").run()
    assert metrics(at)["Revenue"] == ("$55.00", "")
    assert translate("explore.kpi.no_previous", "en", period="2023-01-08 to 2023-01-14") in texts(at)


def test_empty_selection_shows_a_message_not_an_error(tiny):
    at = explore(tiny)
    choose_second_week(at)
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Veg"]).run()
    at.multiselect(key=state.EXPLORE_REGIONS).set_value(["South"]).run()
    assert not at.exception
    assert [i.value for i in at.info] == [translate("explore.empty", "en")]
    assert metrics(at) == {}
    assert plotly_figures(at) == []


def test_filters_survive_a_page_switch_and_reset_clears_them(tiny):
    at = explore(tiny)
    choose_second_week(at)
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Fruit"]).run()
    at.switch_page("pages/data_page.py").run()
    assert at.session_state[state.FILTERS].categories == ("Fruit",)  # what the model pages read
    at.switch_page(PAGE).run()
    assert at.multiselect(key=state.EXPLORE_CATEGORIES).value == ["Fruit"]
    assert at.date_input(key=state.EXPLORE_DATES).value == (date(2024, 1, 8), date(2024, 1, 14))
    assert metrics(at) == SECOND_WEEK_FRUIT
    at.button(key=state.EXPLORE_RESET).click().run()
    assert metrics(at) == WHOLE
    assert at.session_state[state.FILTERS] == Filters()
    assert at.multiselect(key=state.EXPLORE_CATEGORIES).value == []


def test_quick_range_sets_the_dates(tiny):
    at = explore(tiny)
    at.selectbox(key=state.EXPLORE_PERIOD).set_value("ytd").run()  # data ends 2024-01-14: Jan 1 .. Jan 14
    assert at.date_input(key=state.EXPLORE_DATES).value == (date(2024, 1, 1), date(2024, 1, 14))
    assert metrics(at) == WHOLE


# ----------------------------------------------------------------------------------------------- charts


def test_trend_follows_granularity_and_measure(tiny):
    at = explore(tiny)
    at.button_group(key=state.EXPLORE_FREQ).set_value("W").run()
    trend = plotly_figures(at)[0]
    assert plotly_array(trend["data"][0]["y"]).tolist() == [45.0, 55.0]
    at.button_group(key=state.EXPLORE_METRIC).set_value("customers").run()
    trend = plotly_figures(at)[0]
    assert plotly_array(trend["data"][0]["y"]).tolist() == [3.0, 3.0]
    assert trend["layout"]["xaxis"]["rangeslider"]["visible"] is True
    at.toggle(key=state.EXPLORE_SHOW_PREVIOUS).set_value(True).run()
    assert len(plotly_figures(at)[0]["data"]) == 1  # nothing before Jan 1 to overlay
    assert translate("explore.trend.no_previous", "en") in texts(at)
    choose_second_week(at)
    at.button_group(key=state.EXPLORE_FREQ).set_value("D").run()
    trend = plotly_figures(at)[0]
    assert [trace["name"] for trace in trend["data"]] == ["Customers", "Previous period"]
    assert plotly_array(trend["data"][1]["y"]).tolist() == [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]  # Jan 1-7


def test_top_and_heatmap_charts_hold_the_aggregates(tiny):
    at = explore(tiny)
    figures = plotly_figures(at)
    products, categories, regions, heatmap = figures[1:]
    assert plotly_array(products["data"][0]["x"]).tolist() == [60.0, 25.0, 15.0]
    assert products["data"][0]["y"] == ["Apple (P1)", "Banana (P2)", "Carrot (P3)"]
    assert categories["data"][0]["y"] == ["Fruit", "Veg"]
    assert plotly_array(regions["data"][0]["x"]).tolist() == [60.0, 40.0]
    z = plotly_array(heatmap["data"][0]["z"])
    assert z.shape == (7, 2)  # weekdays x the two weeks
    assert z[:, 1].tolist() == [20.0, 0.0, 15.0, 0.0, 0.0, 30.0, -10.0]


# -------------------------------------------------------------------------------------------- languages


def test_chinese_through_the_url(tiny):
    at = explore(tiny, language="zh")
    assert not at.exception
    assert metrics(at) == {
        "销售额": ("¥100.00", ""),
        "销量": ("17", ""),
        "订单数": ("6", ""),
        "客户数": ("4", ""),
        "客单价": ("¥16.67", ""),
    }
    assert at.title[0].value == "探索"
    assert "已选 9 行 · 2024年1月1日 至 2024年1月14日（共 14 天）" in texts(at)
    assert plotly_figures(at)[0]["layout"]["yaxis"]["title"]["text"] == "销售额（CNY）"
    choose_second_week(at)
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Fruit"]).run()
    at.button_group(key=state.EXPLORE_FREQ).set_value("W").run()
    assert not at.exception
    assert metrics(at)["销售额"] == ("¥50.00", "+42.9%")
    assert metrics(at)["客单价"] == ("¥16.67", "-4.8%")
    assert at.selectbox(key=state.EXPLORE_PERIOD).value == "custom"


def test_switching_language_in_the_sidebar_keeps_the_filters(tiny):
    at = explore(tiny)
    choose_second_week(at)
    at.selectbox(key=state.SIDEBAR_LANGUAGE).set_value("zh").run()
    assert not at.exception
    assert metrics(at)["销售额"] == ("US$55.00", "+22.2%")  # the dollars chosen in English stay, written the Chinese way
    assert "较上一周期" in [m.proto.delta_description for m in at.metric]


# --------------------------------------------------------------------------------------- missing columns


def test_missing_order_and_customer_columns_degrade():
    header = "date,product_id,product_name,category,quantity,unit_price,region"
    lines = [",".join(str(v) for i, v in enumerate(row) if i not in (1, 5)) for row in ROWS]
    at = explore(dataset_from_csv(header + "\n" + "\n".join(lines) + "\n"))
    assert not at.exception
    shown = metrics(at)
    assert "Orders" not in shown
    assert shown["Customers"] == ("–", "")
    assert shown["Average line value"] == ("$12.50", "")  # 100 over 8 sale lines
    words = texts(at)
    assert translate("explore.kpi.no_customers", "en") in words
    assert translate("explore.kpi.aov_per_line", "en") in words


def test_missing_category_and_region_hide_their_filters_and_charts():
    header = "date,order_id,product_id,customer_id,quantity,unit_price"
    lines = [",".join(str(v) for i, v in enumerate(row) if i in (0, 1, 2, 5, 6, 7)) for row in ROWS]
    at = explore(dataset_from_csv(header + "\n" + "\n".join(lines) + "\n"))
    assert not at.exception
    keys = {w.key for w in at.multiselect}
    assert keys == {state.EXPLORE_PRODUCTS}
    assert len(plotly_figures(at)) == 3  # trend, products, heatmap
    assert metrics(at)["Revenue"] == ("$100.00", "")


@pytest.mark.parametrize(
    ("columns", "expected", "charts"),
    [
        # quantity only: no money anywhere, products ranked by units
        ((0, 1, 2, 5, 6), {"Revenue": ("–", ""), "Units": ("17", ""), "Average order value": ("–", "")}, 3),
        # revenue only (no quantity, no product): no units, no ranking
        ((0, 1, 5, "revenue"), {"Revenue": ("$100.00", ""), "Units": ("–", ""), "Average order value": ("$16.67", "")}, 2),
    ],
)
def test_one_measure_is_enough(columns, expected, charts):
    names = HEADER.split(",") + ["revenue"]
    header = ",".join(names[c] if c != "revenue" else "revenue" for c in columns)
    lines = [",".join(str(row[c]) if c != "revenue" else str(row[6] * row[7]) for c in columns) for row in ROWS]
    at = explore(dataset_from_csv(header + "\n" + "\n".join(lines) + "\n"))
    assert not at.exception
    shown = metrics(at)
    assert {k: shown[k] for k in expected} == expected
    assert shown["Orders"] == ("6", "")
    assert len(plotly_figures(at)) == charts


def test_no_dataset_says_where_to_get_one():
    at = open_page(new_app(), PAGE)
    assert not at.exception
    assert translate("explore.no_dataset", "en") in [i.value for i in at.info]


# ---------------------------------------------------------------------------------------- filter helpers


def test_quick_ranges_end_on_the_last_day_of_data():
    first, last = date(2023, 1, 1), date(2024, 3, 15)
    assert preset_range("last_30", first, last) == (date(2024, 2, 15), last)
    assert preset_range("ytd", first, last) == (date(2024, 1, 1), last)
    assert preset_range("last_365", date(2024, 1, 1), last) == (date(2024, 1, 1), last)  # clamped to the data
    assert detect_preset(date(2024, 2, 15), last, first, last) == "last_30"
    assert detect_preset(date(2024, 2, 16), last, first, last) == "custom"


def test_clean_filters_drops_what_the_dataset_lacks():
    options = FilterOptions(date(2024, 1, 1), date(2024, 1, 14), ("Fruit",), ("P1",), {"P1": "P1"}, {}, ("North",))
    chosen = Filters(date(2023, 6, 1), date(2024, 1, 14), ("Fruit", "Toys"), ("P9",), ("North",))
    assert clean_filters(chosen, options) == Filters(None, None, ("Fruit",), (), ("North",))


def test_filter_summary_for_pages_that_only_read_the_filters(tiny):
    assert describe_filters(Filters(), tiny) == "Filters: none (the whole dataset)"
    chosen = Filters(date_from=date(2024, 1, 8), categories=("Fruit",), products=("P1", "P2", "P3", "P9"))
    assert describe_filters(chosen, tiny) == (
        "Filters: 2024-01-08 to 2024-01-14 · Categories: Fruit · "
        "Products: Apple (P1), Banana (P2), Carrot (P3) and 1 more"
    )


# ------------------------------------------------------------------------------------------- performance


def synthetic_dataset(rows: int, seed: int = 0) -> Dataset:
    """A shop of ``rows`` lines over two years: 40 products, 5 categories, 4 regions, 1,500 customers."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D").to_numpy()
    n_orders = rows // 2
    order = np.sort(rng.integers(0, n_orders, rows))
    order_day = np.sort(rng.integers(0, len(days), n_orders))
    product = rng.integers(0, 40, rows)
    quantity = rng.choice([1.0, 2.0, 3.0, 4.0], rows, p=[0.76, 0.17, 0.05, 0.02])
    price = 5 + product * 1.5
    frame = pd.DataFrame(
        {
            "date": days[order_day[order]] + rng.integers(0, 86_400, rows) * np.timedelta64(1, "s"),
            "order_id": pd.array(np.char.add("O", order.astype(str)), dtype="str"),
            "product_id": pd.Categorical.from_codes(product, [f"P{i + 1:03d}" for i in range(40)]),
            "product_name": pd.Categorical.from_codes(product, [f"Product {i + 1}" for i in range(40)]),
            "category": pd.Categorical.from_codes(product // 8, ["Coffee", "Tea", "Kitchenware", "Snacks", "Personal care"]),
            "customer_id": pd.array(np.char.add("C", rng.integers(0, 1500, n_orders)[order].astype(str)), dtype="str"),
            "quantity": quantity,
            "unit_price": price,
            "revenue": quantity * price,
            "region": pd.Categorical.from_codes(rng.integers(0, 4, rows), ["North", "South", "East", "West"]),
        }
    ).sort_values("date", kind="stable", ignore_index=True)
    report = ValidationReport(rows_read=rows, rows_kept=rows)
    fingerprint = hashlib.blake2b(f"synthetic-{rows}-{seed}".encode(), digest_size=16).hexdigest()
    return Dataset(f"synthetic_{rows}.csv", frame, ColumnMapping(), report, list(frame.columns), fingerprint)


def timed_runs(dataset: Dataset) -> dict[str, float]:
    """Seconds for: the first render (cold caches), a filter change, a rerun with nothing changed."""
    at = new_app(dataset)
    at.run()
    at.switch_page(PAGE)
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    assert not at.exception
    started = time.perf_counter()
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Coffee", "Tea"]).run()
    changed = time.perf_counter() - started
    started = time.perf_counter()
    at.run()
    warm = time.perf_counter() - started
    assert not at.exception and len(at.metric) == 5
    return {"cold": cold, "filter_change": changed, "warm": warm}


def test_a_rerun_with_nothing_changed_recomputes_no_aggregate(monkeypatch):
    """The page's speed rests on its caches: a rerun with the same filters must not aggregate again (the timings
    themselves are a benchmark: bench/explore_speed.py)."""
    import components.explore.caches as caches

    calls = []
    for name in ("make_kpis", "make_trend", "make_top", "make_weekday_matrix"):
        original = getattr(caches, name)
        monkeypatch.setattr(caches, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    at = new_app(synthetic_dataset(20_000, seed=7))
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception and {"make_kpis", "make_trend", "make_top"} <= set(calls)  # the first render aggregates
    at.multiselect(key=state.EXPLORE_CATEGORIES).set_value(["Coffee", "Tea"]).run()
    assert calls.count("make_kpis") >= 2  # new filters, new aggregates
    calls.clear()
    at.run()
    assert not at.exception and len(at.metric) == 5
    assert calls == []
