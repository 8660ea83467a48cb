"""Algorithm names (as the CLI and the page spell them) -> configured recommenders."""

from __future__ import annotations

from ml.recommend.algorithms import (
    ALSRecommender,
    ContentRecommender,
    FactorizationRecommender,
    ItemKNNRecommender,
    PopularityRecommender,
    UserKNNRecommender,
)
from ml.recommend.base import Recommender
from ml.schema import ConfigError

ALGORITHMS: list[str] = ["popularity", "recent-popularity", "item-knn", "user-knn", "user-knn-pearson", "als", "nmf", "svd", "content", "gru"]
BASELINE = "popularity"
SLOW_ALGORITHMS = frozenset({"gru"})  # trains a network: opt-in where time matters


def make_recommender(name: str, seed: int = 0) -> Recommender:
    """A fresh, unfitted recommender for an algorithm name."""
    if name == "popularity":
        return PopularityRecommender()
    if name == "recent-popularity":
        return PopularityRecommender(recent=True)
    if name == "item-knn":
        return ItemKNNRecommender()
    if name == "user-knn":
        return UserKNNRecommender(similarity="cosine")
    if name == "user-knn-pearson":
        return UserKNNRecommender(similarity="pearson")
    if name == "als":
        return ALSRecommender(seed=seed)
    if name in ("nmf", "svd"):
        return FactorizationRecommender(method=name, seed=seed)
    if name == "content":
        return ContentRecommender()
    if name == "gru":
        from ml.recommend.sequence import GRURecommender

        return GRURecommender(seed=seed)
    raise ConfigError("recommend.error.unknown_algorithm", name=name, allowed=", ".join(ALGORITHMS))
