"""The recommenders' matrix of a saved dataset built by DuckDB in place (``ml.pushdown.interactions``) equals
``build_interactions`` of the same lines in pandas, on the whole data and on the time split's two sides, and the
recommenders' evaluation on it gives the same metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.pushdown import ParquetTable
from ml.pushdown.interactions import query_interactions, query_relevant
from ml.recommend.evaluation import relevant_items, time_split
from ml.recommend.interactions import build_interactions
from ml.schema import Col
from ml.workspace.formats import write_frame
from tests.unit.test_pushdown import make_lines


@pytest.fixture(params=[3, 17])
def lines(request, tmp_path) -> tuple[pd.DataFrame, ParquetTable]:
    frame = make_lines(request.param)
    rng = np.random.default_rng(request.param)
    returned = rng.random(len(frame)) < 0.05  # some lines of an order returned under the order id with -R
    frame.loc[returned, Col.ORDER_ID] = frame.loc[returned, Col.ORDER_ID] + "-R"
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    return frame, ParquetTable(path)


def assert_same(got, expected) -> None:
    assert got.matrix.shape == expected.matrix.shape and got.matrix.nnz == expected.matrix.nnz > 0
    assert (abs(got.matrix - expected.matrix) > 1e-6 * abs(expected.matrix).max()).nnz == 0
    assert np.array_equal(got.matrix.indices, expected.matrix.indices)
    for name in ("customer_ids", "product_ids", "popularity", "recent_popularity", "product_names",
                 "product_categories", "product_text"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
    assert got.end == expected.end
    assert len(got.sequences) == len(expected.sequences)
    assert all(np.array_equal(a, b) for a, b in zip(got.sequences, expected.sequences, strict=True))


@pytest.mark.parametrize("weighting", ["binary", "count", "log"])
@pytest.mark.parametrize("half_life", [None, 30.0])
def test_the_matrix_equals_the_pandas_path(lines, weighting, half_life):
    frame, table = lines
    assert_same(query_interactions(table, weighting, half_life), build_interactions(frame, weighting, half_life))


def test_the_time_splits_sides_equal_the_pandas_path(lines):
    frame, table = lines
    train, test = time_split(frame, 30)
    cut = frame[Col.DATE].max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=30)
    expected = build_interactions(train)
    got = query_interactions(table, before=cut)
    assert_same(got, expected)
    assert got.end < cut <= frame[Col.DATE].max()
    for new_only in (True, False):
        want = relevant_items(test, expected, new_only)
        have = query_relevant(table, cut, got, new_only)
        assert want and have.keys() == want.keys()
        assert all(np.array_equal(have[r], want[r]) for r in want)


def test_the_evaluation_in_place_gives_the_pandas_paths_metrics(lines):
    from ml.pushdown.interactions import query_evaluation
    from ml.recommend.evaluation import METRICS, evaluate_algorithms

    frame, table = lines
    algorithms = ["popularity", "item-knn", "als", "content"]
    expected = evaluate_algorithms(frame, algorithms, k=5, test_days=30)
    got = query_evaluation(table, algorithms, k=5, test_days=30)
    assert (got.n_customers, got.n_products, got.best) == (expected.n_customers, expected.n_products, expected.best)
    assert got.n_customers > 0 and expected.table["ndcg"].notna().all()
    pd.testing.assert_frame_equal(got.table[["algorithm", *METRICS]], expected.table[["algorithm", *METRICS]],
                                  check_exact=False, rtol=1e-9)
    assert got.new_launches is None
