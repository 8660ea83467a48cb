"""Every recommender through one shared suite, hand-computed similarities, and recovery of the planted truth."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from ml.progress import Progress
from ml.recommend import (
    ALGORITHMS,
    Explainer,
    ItemKNNRecommender,
    build_interactions,
    co_purchase_pairs,
    evaluate_algorithms,
    make_recommender,
    segment_customers,
)
from ml.recommend.evaluation import time_split
from ml.schema import ConfigError
from tests.unit.recommend.conftest import UNSOLD, tiny_frame, unsold_catalogue


@pytest.fixture(scope="module")
def interactions(small_shop):
    frame, _ = small_shop
    return build_interactions(frame, "log", catalogue=unsold_catalogue())


class RecommenderSuite:
    """The contract every algorithm keeps (the shared test mixin, as in ``implicit``'s tests)."""

    algorithm = "popularity"

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls, interactions):
        model = make_recommender(cls.algorithm, seed=0)
        assert model.fit(interactions) is model
        return model

    def test_recommends_n_unseen_products(self, model, interactions):
        for row in (0, 7, interactions.n_customers - 1):
            ranked = model.recommend(row, n=5)
            assert len(ranked.items) == 5 and len(set(ranked.items.tolist())) == 5
            assert not set(ranked.items.tolist()) & set(interactions.seen(row).tolist())
            assert np.all(np.diff(ranked.scores) <= 1e-9)  # best first
            assert ranked.source == "model"

    def test_batch_agrees_with_single(self, model, interactions):
        rows = np.array([1, 2, 3])
        batch = model.recommend_many(rows, n=4)
        for row, items in zip(rows, batch, strict=True):
            assert items.tolist() == model.recommend(int(row), n=4).items.tolist()

    def test_similar_items_exclude_the_item(self, model, interactions):
        sold = int(np.argmax(interactions.popularity))
        ranked = model.similar_items(sold, n=5)
        assert len(ranked.items) == 5 and sold not in ranked.items.tolist()

    def test_a_pickled_copy_recommends_the_same(self, model, interactions):
        """A worker process sends the fitted model back to the server by pickle (the GRU as weights, not Keras)."""
        import pickle

        copy = pickle.loads(pickle.dumps(model))
        sold = int(np.argmax(interactions.popularity))
        for row in (0, 7):
            original, again = model.recommend(row, n=5), copy.recommend(row, n=5)
            assert again.items.tolist() == original.items.tolist()
            np.testing.assert_allclose(again.scores, original.scores, rtol=1e-5, atol=1e-6)
        assert copy.similar_items(sold, n=5).items.tolist() == model.similar_items(sold, n=5).items.tolist()

    def test_unknown_customer_gets_recent_best_sellers(self, model, interactions):
        ranked = model.recommend(None, n=5)
        assert ranked.source == "cold_start"
        best = np.argsort(-interactions.recent_popularity, kind="stable")[:5]
        assert set(ranked.items.tolist()) <= set(np.argsort(-interactions.recent_popularity, kind="stable")[:8].tolist())
        assert ranked.items[0] in best

    def test_product_without_sales_gets_content_neighbours(self, model, interactions):
        unsold = interactions.product_index(UNSOLD["id"])
        ranked = model.similar_items(unsold, n=3)
        assert ranked.source == "content"
        assert all(interactions.product_categories[i] == "Coffee" for i in ranked.items)

    def test_deterministic_with_seed(self, model, interactions):
        again = make_recommender(self.algorithm, seed=0).fit(interactions)
        assert again.recommend(4, n=5).items.tolist() == model.recommend(4, n=5).items.tolist()

    def test_k_larger_than_catalogue(self, model, interactions):
        with pytest.raises(ConfigError) as err:
            model.recommend(0, n=interactions.n_products + 1)
        assert err.value.message_id == "recommend.error.k_too_large"


class TestPopularity(RecommenderSuite):
    algorithm = "popularity"


class TestRecentPopularity(RecommenderSuite):
    algorithm = "recent-popularity"


class TestItemKNN(RecommenderSuite):
    algorithm = "item-knn"


class TestUserKNN(RecommenderSuite):
    algorithm = "user-knn"


class TestUserKNNPearson(RecommenderSuite):
    algorithm = "user-knn-pearson"


class TestALS(RecommenderSuite):
    algorithm = "als"


class TestNMF(RecommenderSuite):
    algorithm = "nmf"


class TestSVD(RecommenderSuite):
    algorithm = "svd"


class TestContent(RecommenderSuite):
    algorithm = "content"


@pytest.mark.slow
class TestGRU(RecommenderSuite):
    algorithm = "gru"


def test_every_algorithm_is_in_the_suite():
    suites = {cls.algorithm for cls in RecommenderSuite.__subclasses__()}
    assert suites == set(ALGORITHMS)


def test_item_knn_cosine_by_hand():
    # c1 bought A, B; c2 bought A, B, C; c3 bought C.  cos(A, B) = 2 / (√2·√2) = 1, cos(A, C) = 1 / (√2·√2) = 0.5
    frame = tiny_frame([
        ("2024-01-01", "O1", "c1", "A", 1), ("2024-01-01", "O1", "c1", "B", 1),
        ("2024-01-01", "O2", "c2", "A", 1), ("2024-01-01", "O2", "c2", "B", 1), ("2024-01-01", "O2", "c2", "C", 1),
        ("2024-01-01", "O3", "c3", "C", 1),
    ])
    it = build_interactions(frame)
    model = ItemKNNRecommender().fit(it)
    a, b, c = (it.product_index(p) for p in "ABC")
    ranked = model.similar_items(a, n=2)
    assert ranked.items.tolist() == [b, c]
    assert ranked.scores.tolist() == pytest.approx([1.0, 0.5])
    # c3 bought C: A and B each score cos(C, ·) = 0.5; ties broken by product order
    ranked = model.recommend(it.customer_index("c3"), n=2)
    assert ranked.items.tolist() == [a, b] and ranked.scores.tolist() == pytest.approx([0.5, 0.5])
    # user-kNN: c3's only neighbour is c2 (cosine 1/√3), who bought A and B
    user = make_recommender("user-knn").fit(it)
    ranked = user.recommend(it.customer_index("c3"), n=2)
    assert ranked.scores.tolist() == pytest.approx([1 / np.sqrt(3)] * 2)


# Spreads below: bench/planted_spread.py --families recommend, the shop of the ``shop`` fixture (6 months, 400
# customers, last 30 days held out) with generator seeds 0-4 and 11 x OpenBLAS kernels {SkylakeX (this machine's
# default), Haswell, Zen, Sandybridge}; min-max over all of them.
# recall@10 / popularity's recall@10, one shop: item-knn 1.109-1.169, user-knn 1.150-1.207, als 1.059-1.110 (als is
# the one that moves with the kernel: seed 11 gives 1.059 with SkylakeX, 1.061 Haswell/Zen, 1.060 Sandybridge); the
# non-personal recent-popularity 0.908-1.059. One shop cannot separate als from recent-popularity, so the check is on
# the median recall over three shops (seeds 11, 1, 2) / popularity's median: als 1.091-1.107 over the kernels
# (Sandybridge lowest), item-knn 1.147, user-knn 1.154, recent-popularity 1.007 (the last three on every kernel).
# The threshold sits between: 0.043 above recent-popularity, 0.041 below als's lowest.
MIN_RECALL_RATIO = 1.05


def beats_popularity(recall, name: str) -> bool:
    return recall[name] > MIN_RECALL_RATIO * recall["popularity"]


@pytest.fixture(scope="module")
def recalls(shop, other_shops):
    """recall@10 per algorithm on three shops (the fixture's and two more seeds)."""
    out = []
    for frame in (shop[0], *(f for f, _ in other_shops)):
        result = evaluate_algorithms(frame, ["popularity", "recent-popularity", "item-knn", "als", "user-knn"], k=10,
                                     test_days=30)
        out.append(result.table.set_index("algorithm")["recall"])
    return out


def median_recall(recalls):
    import pandas as pd

    return pd.concat(recalls, axis=1).median(axis=1)


@pytest.mark.parametrize("name", ["item-knn", "als", "user-knn"])
def test_personal_models_beat_popularity_on_planted_segments(recalls, name):
    assert beats_popularity(median_recall(recalls), name), recalls


def test_a_non_personal_model_does_not_pass_the_personal_check(recalls):
    # recent best sellers know nothing about the customer: the same check must fail for them
    assert not beats_popularity(median_recall(recalls), "recent-popularity"), recalls


# planted complement B among A's 5 nearest items (of 6 pairs), item-knn: 4-6 (6 on seed 11, the fixture's), the same
# under every kernel; popularity's "similar items" (the best sellers): 1-3 (1 on seed 11)
MIN_COMPLEMENTS_FOUND = 4


def complements_found(model, it, truth) -> int:
    found = 0
    for planted in truth["complement_pairs"]:
        top = [it.product_ids[i] for i in model.similar_items(it.product_index(planted["a"]), n=5).items]
        found += planted["b"] in top
    return found


@pytest.mark.parametrize(("algorithm", "finds"), [("item-knn", True), ("popularity", False)])
def test_item_knn_finds_planted_complements(shop, algorithm, finds):
    frame, truth = shop
    it = build_interactions(frame)
    model = make_recommender(algorithm).fit(it)
    assert (complements_found(model, it, truth) >= MIN_COMPLEMENTS_FOUND) == finds


# adjusted Rand index against the planted segments: factors 0.886-0.942 (0.910 on seed 11), RFM 0.012-0.023
MIN_SEGMENT_ARI = 0.6


@pytest.mark.parametrize(("method", "recovers"), [("factors", True), ("rfm", False)])
def test_factor_segments_recover_planted_segments(shop, method, recovers):
    frame, truth = shop
    it = build_interactions(frame)
    segments = segment_customers(it, frame, n_segments=4, method=method)
    planted = [truth["customer_segments"][c] for c in it.customer_ids]
    # RFM clusters by how recently, often and much customers buy, not what: it must not pass the same check
    assert (adjusted_rand_score(planted, segments.labels) > MIN_SEGMENT_ARI) == recovers
    if method == "factors":
        favourites = {s["favourite_category"] for s in truth["segments"]}
        tops = {row[0][0] for row in segments.summary["top_categories"]}
        assert len(tops & favourites) >= 3
    assert segments.summary["customers"].sum() == it.n_customers


def test_explanations_name_the_complement(shop):
    frame, truth = shop
    train, _ = time_split(frame, 30)
    it = build_interactions(train)
    explainer = Explainer(it, co_purchase_pairs(train))
    planted = truth["complement_pairs"][0]
    a, b = it.product_index(planted["a"]), it.product_index(planted["b"])
    buyers = [r for r in range(it.n_customers) if a in it.seen(r) and b not in it.seen(r)]
    assert buyers
    from ml.recommend.base import Ranked

    explanation = explainer.explain(buyers[0], Ranked(np.array([b]), np.array([1.0])))[0]
    assert explanation.message_id in ("recommend.explain.bought_together", "recommend.explain.similar")
    cold = explainer.explain(None, Ranked(np.array([b]), np.array([1.0]), "cold_start"))[0]
    assert cold.message_id == "recommend.explain.popular_recent"


@pytest.mark.slow
def test_gru_beats_popularity_and_reports_progress(shop):
    frame, _ = shop
    seen = []
    result = evaluate_algorithms(frame, ["popularity", "recent-popularity", "gru"], k=10, test_days=30,
                                 progress=Progress(lambda e: seen.append((e.step, e.fraction))))
    recall = result.table.set_index("algorithm")["recall"]
    # gru / popularity recall@10 over generator seeds 11, 0-3 (TensorFlow's kernels): 1.104-1.196 (1.144 on seed 11);
    # recent-popularity on seed 11 (the negative case, no BLAS): 0.908
    assert recall["gru"] > 1.05 * recall["popularity"], result.table
    assert not recall["recent-popularity"] > 1.05 * recall["popularity"], result.table
    assert seen[-1] == ("gru", 1.0) and any(name == "gru" and 0 < f < 1 for name, f in seen)


def test_item_knn_sparse_and_dense_paths_keep_the_same_neighbours():
    import scipy.sparse as sp

    from ml.recommend.base import cosine_columns
    from ml.recommend.interactions import Interactions

    rng = np.random.default_rng(0)
    n_users, n_items = 400, 600
    matrix = sp.random(n_users, n_items, density=0.01, random_state=1, format="csr", dtype=np.float32)
    matrix.data[:] = 1.0
    ids = np.arange(n_items).astype(str).astype(object)
    it = Interactions(matrix, np.arange(n_users).astype(str).astype(object), ids, np.ones(n_items), np.ones(n_items), ids,
                      np.full(n_items, "", dtype=object), ids, None)
    model = ItemKNNRecommender(neighbours=5, block=128).fit(it)  # sparse blocks (few co-occurrences)
    x = cosine_columns(matrix).toarray()
    full = x.T @ x
    np.fill_diagonal(full, 0.0)
    kept = model.similarity_.toarray()
    for j in rng.choice(n_items, 40, replace=False):
        column = full[:, j]
        positive = np.sort(column[column > 0])[::-1][:5]
        assert np.allclose(np.sort(kept[:, j][kept[:, j] > 0])[::-1], positive, atol=1e-6)
