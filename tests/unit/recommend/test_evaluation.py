"""Ranking metrics against hand-computed values; the time split; evaluation errors."""

from __future__ import annotations

import numpy as np
import pytest

from ml.recommend.evaluation import evaluate_algorithms, ranking_metrics, relevant_items, time_split
from ml.recommend.interactions import build_interactions
from ml.schema import Col, ConfigError, DataError
from tests.unit.recommend.conftest import tiny_frame


def test_metrics_hand_computed():
    # user 1: relevant {1, 3}; top-3 = [1, 2, 3] -> hits at ranks 1 and 3
    # user 2: relevant {4};    top-3 = [0, 2, 5] -> no hit
    top = np.array([[1, 2, 3], [0, 2, 5]])
    m = ranking_metrics(top, [np.array([1, 3]), np.array([4])], k=3, n_products=10)
    assert m["precision"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall"] == pytest.approx((1.0 + 0) / 2)
    dcg = 1 / np.log2(2) + 1 / np.log2(4)
    idcg = 1 / np.log2(2) + 1 / np.log2(3)
    assert m["ndcg"] == pytest.approx((dcg / idcg + 0) / 2)
    assert m["map"] == pytest.approx(((1 / 1 + 2 / 3) / 2 + 0) / 2)
    assert m["hit_rate"] == pytest.approx(0.5)
    assert m["coverage"] == pytest.approx(5 / 10)  # 0, 1, 2, 3, 5


def test_metrics_at_k_cut_and_empty_slots():
    top = np.array([[7, -1, -1, 4]])
    m = ranking_metrics(top, [np.array([4])], k=2, n_products=8)
    assert m["recall"] == 0 and m["coverage"] == pytest.approx(1 / 8)
    m = ranking_metrics(top, [np.array([7])], k=2, n_products=8)
    assert m["precision"] == pytest.approx(0.5) and m["ndcg"] == pytest.approx(1.0) and m["map"] == pytest.approx(1.0)


ROWS = [
    ("2024-01-01", "O1", "c1", "A", 1), ("2024-01-02", "O2", "c2", "B", 1), ("2024-01-03", "O3", "c3", "A", 1),
    ("2024-01-03", "O3", "c3", "C", 1),
    ("2024-02-01", "O4", "c1", "B", 1), ("2024-02-01", "O4", "c1", "A", 1),  # A again: not new
    ("2024-02-02", "O5", "c9", "A", 1),  # unknown in training
]


def test_time_split_model_sees_only_earlier_purchases():
    frame = tiny_frame(ROWS)
    train, test = time_split(frame, 10)
    assert train[Col.DATE].max() < test[Col.DATE].min()
    it = build_interactions(train)
    relevant = relevant_items(test, it)
    assert {it.customer_ids[r]: [it.product_ids[i] for i in v] for r, v in relevant.items()} == {"c1": ["B"]}
    relevant = relevant_items(test, it, new_only=False)
    assert sorted(it.product_ids[i] for i in relevant[it.customer_index("c1")]) == ["A", "B"]


def test_evaluation_errors_are_specific():
    frame = tiny_frame(ROWS)
    with pytest.raises(DataError) as err:
        evaluate_algorithms(frame, ["popularity"], k=2, test_days=400)
    assert err.value.message_id == "recommend.error.test_too_long"
    with pytest.raises(ConfigError) as err:
        evaluate_algorithms(frame, ["popularity"], k=50, test_days=10)
    assert err.value.message_id == "recommend.error.k_too_large"
    with pytest.raises(DataError) as err:
        evaluate_algorithms(frame[frame[Col.DATE] < "2024-01-20"], ["popularity"], k=2, test_days=1)
    assert err.value.message_id == "recommend.error.empty_test"
    with pytest.raises(ConfigError):
        evaluate_algorithms(frame, ["magic"], k=2, test_days=10)
    one = tiny_frame([("2024-01-01", "O1", "c1", "A", 1), ("2024-01-01", "O1", "c1", "B", 1), ("2024-02-01", "O2", "c1", "C", 1)])
    with pytest.raises(DataError) as err:
        evaluate_algorithms(one, ["popularity"], k=1, test_days=5)
    assert err.value.message_id == "recommend.error.one_customer"


def test_one_table_for_all_algorithms(small_shop):
    frame, _ = small_shop
    names = ["popularity", "item-knn", "content"]
    result = evaluate_algorithms(frame, names, k=5, test_days=21)
    assert list(result.table["algorithm"]) == names
    assert set(result.metrics_json()["item-knn"]) == {"precision", "recall", "ndcg", "map", "hit_rate", "coverage"}
    assert result.best in names and result.n_customers > 20


def test_one_product_is_a_specific_message():
    frame = tiny_frame([("2024-01-01", "O1", "c1", "A", 1), ("2024-01-02", "O2", "c2", "A", 1), ("2024-02-01", "O3", "c1", "A", 1)])
    with pytest.raises(DataError) as err:
        evaluate_algorithms(frame, ["popularity"], k=1, test_days=5)
    assert err.value.message_id == "recommend.error.one_product"


def test_a_k_larger_than_the_catalogue_stops_the_run_before_the_fit_on_all_data(monkeypatch):
    from ml.recommend import service

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted although k cannot be met")

    monkeypatch.setattr(service, "fit_recommender", no_fit)
    with pytest.raises(ConfigError) as err:
        service.run_recommendations(tiny_frame(ROWS), service.RecommendSettings(["popularity"], k=50, test_days=10))
    assert err.value.message_id == "recommend.error.k_too_large"
