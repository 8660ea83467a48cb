"""The Recommendations page's line-level sections on a saved dataset queried in place (``ml.pushdown.customers``)
equal the pandas path on the same lines: a customer's purchase history, the RFM segments, and what is bought with a
product (the pairs of ``co_purchase_pairs`` counted among that product's buyers alone)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.pushdown import ParquetTable
from ml.pushdown.customers import query_history, query_product_pairs, query_rfm_sums
from ml.pushdown.interactions import query_interactions
from ml.recommend.basket import bought_together, co_purchase_pairs
from ml.recommend.interactions import build_interactions
from ml.recommend.segments import rfm_sums, segment_customers
from ml.recommend.service import purchase_history
from ml.schema import Col
from ml.workspace.formats import read_frame, write_frame
from tests.unit.test_pushdown import PLANTED_UNITS, make_lines

PLANTED_PAIR = ("P03", "P08")  # bought together by customers C0..C11 (beside the random lines)


def planted_lines(seed: int) -> pd.DataFrame:
    """The planted lines of ``make_lines``, order returns (``-R``), and twelve customers who buy P08 within a week
    after P03 (each also one P08 line more than a fortnight later, outside the window)."""
    frame = make_lines(seed)
    rng = np.random.default_rng(seed)
    returned = rng.random(len(frame)) < 0.05
    frame[Col.ORDER_ID] = frame[Col.ORDER_ID].astype(object)
    frame.loc[returned, Col.ORDER_ID] = frame.loc[returned, Col.ORDER_ID] + "-R"
    extra = []
    for k in range(12):
        day = pd.Timestamp("2024-02-01") + pd.Timedelta(days=7 * k, hours=10)
        for product, shift in ((PLANTED_PAIR[0], 0), (PLANTED_PAIR[1], int(rng.integers(0, 7))), (PLANTED_PAIR[1], 20)):
            extra.append({Col.DATE: day + pd.Timedelta(days=shift), Col.PRODUCT_ID: product, Col.QUANTITY: 1.0,
                          Col.CUSTOMER_ID: f"C{k}", Col.ORDER_ID: f"X{k}-{shift}"})
    extra = pd.DataFrame(extra)
    base = frame.drop(columns=list(extra.columns)).iloc[[0] * len(extra)].reset_index(drop=True)
    out = pd.concat([frame.astype({c: object for c in (Col.PRODUCT_ID, Col.CUSTOMER_ID)}),
                     pd.concat([extra, base], axis=1)[frame.columns]], ignore_index=True)
    out[Col.REVENUE] = out[Col.QUANTITY] * out[Col.UNIT_PRICE]
    return out.sort_values(Col.DATE, kind="stable").reset_index(drop=True)


@pytest.fixture(params=[5, 19])
def lines(request, tmp_path) -> tuple[pd.DataFrame, ParquetTable]:
    frame = planted_lines(request.param)
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    return frame, ParquetTable(path)


def test_a_customers_history_is_one_query_with_the_pandas_lines(lines):
    frame, table = lines
    saved = read_frame(table.path)  # the frame of the saved dataset, as the pandas path reads it
    for customer in ("C0", "C7", "C39", "nobody"):
        expected = purchase_history(saved, customer)
        got = query_history(table, customer)
        assert list(got.columns) == list(expected.columns)
        assert got.dtypes.astype(str).to_dict() == expected.dtypes.astype(str).to_dict()  # names' categories aside
        # typed: the same values and types; a categorical's categories are those of the lines shown
        pd.testing.assert_frame_equal(got, expected, check_categorical=False)
        pd.testing.assert_frame_equal(got, purchase_history(frame, customer), check_dtype=False,
                                      check_categorical=False)  # the lines as they were before saving
    assert len(query_history(table, "C0")) > 3  # the planted lines are there
    assert (query_history(table, "C0")[Col.DATE].diff().dropna() <= pd.Timedelta(0)).all()  # newest first


def test_rfm_sums_and_segments_in_place_equal_the_pandas_path(lines):
    frame, table = lines
    expected, got = rfm_sums(frame), query_rfm_sums(table)
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False)
    assert expected["frequency"].sum() > 0 and expected["monetary"].sum() > 0
    interactions = build_interactions(frame)
    in_place = query_interactions(table)
    for seed in (0, 1):
        a = segment_customers(interactions, frame, 3, "rfm", seed)
        b = segment_customers(in_place, table, 3, "rfm", seed)
        assert np.array_equal(a.labels, b.labels)
        pd.testing.assert_frame_equal(a.summary, b.summary)


@pytest.mark.parametrize("least", [1, 5])
def test_one_products_pairs_in_place_equal_the_pandas_pairs(lines, least):
    frame, table = lines
    pairs = co_purchase_pairs(frame, min_customers=least)
    assert len(pairs) > 0
    for product in [*PLANTED_UNITS, "unknown"]:
        expected = pairs[pairs["product_a"] == product].reset_index(drop=True)
        got = query_product_pairs(table, product, min_customers=least)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        pd.testing.assert_frame_equal(bought_together(got, product, 5), bought_together(pairs, product, 5))
    # the planted pair: all twelve planted buyers (and perhaps a random one) bought P08 within the window after P03
    top = query_product_pairs(table, PLANTED_PAIR[0], min_customers=least)
    assert top.set_index("product_b").loc[PLANTED_PAIR[1], "n_customers"] >= 12


def test_pairs_with_a_narrower_window_or_smaller_baskets_follow_the_pandas_rules(lines):
    frame, table = lines
    for window, basket in ((0, 100), (3, 2), (30, None)):
        pairs = co_purchase_pairs(frame, window_days=window, min_customers=1, max_basket=basket)
        for product in PLANTED_UNITS:
            expected = pairs[pairs["product_a"] == product].reset_index(drop=True)
            got = query_product_pairs(table, product, window_days=window, min_customers=1, max_basket=basket)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("dropped", [Col.CUSTOMER_ID, Col.ORDER_ID])
def test_pairs_of_data_without_customers_or_without_orders_equal_the_pandas_pairs(tmp_path, dropped):
    frame = planted_lines(5).drop(columns=[dropped])  # every order a buyer; or customers alone, guests left out
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    table = ParquetTable(path)
    pairs = co_purchase_pairs(frame, min_customers=1)
    assert len(pairs) > 0
    for product in PLANTED_UNITS:
        expected = pairs[pairs["product_a"] == product].reset_index(drop=True)
        pd.testing.assert_frame_equal(query_product_pairs(table, product, min_customers=1), expected, check_exact=True)
