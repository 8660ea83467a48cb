"""Honest recommendation evaluation: candidates known at the cut (a planted launch after it goes to the cold-start
path), purchases on the cut date only in the test side, MAP@k over min(relevant, k), stable top-k ties, and time
decay that cannot make a bought product both excluded and relevant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.recommend.base import stable_top_k, top_n, top_n_rows
from ml.recommend.evaluation import evaluate_algorithms, ranking_metrics, relevant_items, time_split
from ml.recommend.interactions import build_interactions
from ml.schema import Col
from tests.unit.recommend.conftest import tiny_frame


# ------------------------------------------------------------------------------------------------ metrics
def test_map_divides_by_min_of_relevant_and_k():
    # 5 relevant items, k = 2, both slots hits: AP@2 = (1/1 + 2/2) / min(5, 2) = 1 (not 2/5)
    top = np.array([[0, 1]])
    m = ranking_metrics(top, [np.array([0, 1, 2, 3, 4])], k=2, n_products=10)
    assert m["map"] == pytest.approx(1.0)
    assert m["recall"] == pytest.approx(2 / 5)
    # one hit at rank 2 of 3 relevant, k = 2: (1/2) / 2
    m = ranking_metrics(np.array([[9, 1]]), [np.array([1, 2, 3])], k=2, n_products=10)
    assert m["map"] == pytest.approx(0.25)


# ------------------------------------------------------------------------------------------------ time split
def test_a_purchase_on_the_cut_date_is_test_only():
    rows = [("2024-01-01", "O1", "c1", "A", 1), ("2024-01-05", "O2", "c2", "B", 1),
            ("2024-01-22", "O3", "c1", "B", 1),  # on the cut: 2024-01-31 + 1 day - 10 days
            ("2024-01-31", "O4", "c2", "A", 1)]
    train, test = time_split(tiny_frame(rows), 10)
    assert sorted(train[Col.ORDER_ID]) == ["O1", "O2"]
    assert sorted(test[Col.ORDER_ID]) == ["O3", "O4"]
    assert not set(train.index) & set(test.index)


# ------------------------------------------------------------------------------------------------ stable top-k
def test_top_k_ties_at_the_cut_are_broken_by_index():
    rng = np.random.default_rng(0)
    for _ in range(200):
        scores = rng.integers(0, 4, size=(8, 60)).astype(float)  # many ties everywhere
        k = int(rng.integers(1, 60))
        expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(stable_top_k(scores, k), expected)
        np.testing.assert_array_equal(top_n_rows(scores, k), expected)
        np.testing.assert_array_equal(top_n(scores[0], k)[0], expected[0])


def test_top_n_rows_with_exclusions_and_empty_slots():
    import scipy.sparse as sp

    scores = np.array([[1.0, 1.0, 1.0, 0.5], [np.nan, 2.0, 2.0, 2.0]])
    exclude = sp.csr_matrix(np.array([[1, 0, 0, 1], [0, 0, 1, 0]]))
    np.testing.assert_array_equal(top_n_rows(scores, 3, exclude), [[1, 2, -1], [1, 3, -1]])  # NaN is never chosen
    np.testing.assert_array_equal(top_n_rows(np.array([[np.nan, 1.0, np.nan, 0.5]]), 3), [[1, 3, -1]])


def test_popularity_lists_with_tied_counts_are_index_ordered():
    # 30 products each bought by exactly one customer: every popularity score ties
    rows = [("2024-01-01", f"O{i}", f"c{i:02d}", f"P{i:02d}", 1) for i in range(30)]
    it = build_interactions(tiny_frame(rows))
    from ml.recommend.registry import make_recommender

    model = make_recommender("popularity").fit(it)
    top = model.recommend_many(np.arange(it.n_customers), 5)
    for r, row in enumerate(top):
        expected = [p for p in range(30) if p != r][:5]  # own purchase excluded, then lowest indices
        assert row.tolist() == expected


# ------------------------------------------------------------------------------------------------ decay
def test_short_half_life_keeps_every_purchase_as_a_stored_nonzero_entry():
    rows = [("2023-01-02", "O1", "c1", "A", 1), ("2023-01-02", "O2", "c2", "B", 1),
            ("2024-06-01", "O3", "c1", "C", 1), ("2024-06-01", "O4", "c2", "C", 1),
            ("2024-06-20", "O5", "c1", "A", 1), ("2024-06-20", "O6", "c2", "A", 1)]  # c1 re-buys A, c2 new A
    frame = tiny_frame(rows)
    train, test = time_split(frame, 10)
    it = build_interactions(train, half_life_days=1.0)  # 0.5 ** 500 underflows float32 without a floor
    assert (it.matrix.data > 0).all()
    relevant = relevant_items(test, it)
    named = {it.customer_ids[r]: [it.product_ids[i] for i in v] for r, v in relevant.items()}
    assert named == {"c2": ["A"]}  # c1 bought A before: excluded from the list and not counted relevant
    for r, items in relevant.items():
        assert not set(items) & set(it.seen(r))


# ------------------------------------------------------------------------------------------------ candidates at the cut
def _shop_with_a_launch(seed: int = 0) -> pd.DataFrame:
    """40 customers in two taste groups over 60 days; product NEW is first sold in the last 10 days and bought then
    by most customers. A model that sees NEW as a candidate learns it only from the test period."""
    rng = np.random.default_rng(seed)
    lines = []
    tea = [f"T{i}" for i in range(6)]
    coffee = [f"K{i}" for i in range(6)]
    for c in range(40):
        group = tea if c % 2 else coffee
        for d in sorted(rng.choice(50, size=6, replace=False)):
            lines.append((pd.Timestamp("2024-03-01") + pd.Timedelta(days=int(d)), f"O{c}-{d}", f"c{c}",
                          group[int(rng.integers(0, 6))], 1))
        if c % 4:
            lines.append((pd.Timestamp("2024-04-21") + pd.Timedelta(days=int(rng.integers(0, 10))), f"N{c}",
                          f"c{c}", "NEW", 1))
        lines.append((pd.Timestamp("2024-04-21") + pd.Timedelta(days=int(rng.integers(0, 10))), f"X{c}", f"c{c}",
                      group[int(rng.integers(0, 6))], 1))
    frame = tiny_frame(lines)
    names = {**{p: f"Green tea {p}" for p in tea}, **{p: f"Coffee beans {p}" for p in coffee}, "NEW": "Green tea NEW"}
    frame[Col.PRODUCT_NAME] = frame[Col.PRODUCT_ID].map(names).astype("string")
    return frame


def test_a_product_launched_after_the_cut_is_not_a_candidate_and_is_scored_by_the_cold_start_path():
    frame = _shop_with_a_launch()
    returned = tiny_frame([("2024-04-25", "R0", "c0", "NEW", -1)]).assign(**{Col.PRODUCT_NAME: "Green tea NEW"})
    frame = pd.concat([frame, returned.astype({Col.PRODUCT_NAME: "string"})], ignore_index=True)  # a return: no purchase
    result = evaluate_algorithms(frame, ["popularity", "content"], k=3, test_days=10)
    assert result.n_products == 12  # the 12 products sold before the cut; NEW is unknown at the cut
    launches = result.new_launches
    assert launches is not None and launches.n_products == 1 and launches.n_purchases == 30
    assert launches.n_customers == 30 and launches.k == 1
    assert launches.metrics["hit_rate"] == pytest.approx(1.0)  # the only launch, offered to every buyer of it
    # no model can put NEW in its lists: the main metrics are those of the 12 known products only
    train, _ = time_split(frame, 10)
    assert "NEW" not in set(train[Col.PRODUCT_ID])


def test_launch_purchases_do_not_inflate_the_main_table():
    frame = _shop_with_a_launch()
    with_launch = evaluate_algorithms(frame, ["popularity"], k=3, test_days=10).metrics_json()["popularity"]
    without = evaluate_algorithms(frame[frame[Col.PRODUCT_ID] != "NEW"], ["popularity"], k=3,
                                  test_days=10).metrics_json()["popularity"]
    assert with_launch == without


def test_the_cli_says_what_was_left_out_of_the_candidates(tmp_path, capsys):
    import json

    from ml.cli import main

    frame = _shop_with_a_launch()
    path = tmp_path / "launch.csv"
    frame.rename(columns={Col.DATE: "date", Col.ORDER_ID: "order", Col.CUSTOMER_ID: "customer", Col.PRODUCT_ID: "sku",
                          Col.QUANTITY: "qty", Col.PRODUCT_NAME: "product name"}).to_csv(path, index=False)
    args = ["recommend", str(path), "--evaluate", "--algo", "content", "--k", "3", "--test-days", "10"]
    assert main([*args, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["products"] == 12
    assert payload["new_launches"]["products"] == 1 and payload["new_launches"]["purchases"] == 30
    assert main(args) == 0
    assert "first sold after the cut" in capsys.readouterr().out


def test_relevance_reads_the_same_entries_as_exclusion_even_a_stored_zero():
    rows = [("2024-01-01", "O1", "c1", "A", 1), ("2024-01-02", "O2", "c2", "B", 1),
            ("2024-01-30", "O3", "c1", "A", 1), ("2024-01-30", "O4", "c1", "B", 1)]
    train, test = time_split(tiny_frame(rows), 10)
    it = build_interactions(train)
    it.matrix.data[:] = 0.0  # entries kept, weights zero (what float32 underflow produced before the floor)
    named = {it.customer_ids[r]: [it.product_ids[i] for i in v] for r, v in relevant_items(test, it).items()}
    assert named == {"c1": ["B"]}  # A is c1's stored entry: excluded from lists, so never relevant
