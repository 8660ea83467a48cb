"""Recommendations engine: interaction matrix, one recommender interface, algorithms, evaluation, explanations.

Never imports Streamlit; Keras is imported only when the GRU trains or predicts.
"""

from ml.recommend.algorithms import (
    ALSRecommender,
    ContentRecommender,
    FactorizationRecommender,
    ItemKNNRecommender,
    PopularityRecommender,
    UserKNNRecommender,
)
from ml.recommend.base import Ranked, Recommender
from ml.recommend.basket import bought_together, co_purchase_pairs
from ml.recommend.evaluation import (
    METRICS,
    EvaluationResult,
    evaluate_algorithms,
    ranking_metrics,
    time_split,
)
from ml.recommend.explain import REASONS, Explainer, Explanation
from ml.recommend.interactions import WEIGHTINGS, Interactions, build_interactions
from ml.recommend.registry import ALGORITHMS, BASELINE, SLOW_ALGORITHMS, make_recommender
from ml.recommend.segments import SEGMENT_METHODS, Segmentation, segment_customers

__all__ = [
    "ALGORITHMS", "ALSRecommender", "BASELINE", "ContentRecommender", "EvaluationResult", "Explainer", "Explanation",
    "FactorizationRecommender", "Interactions", "ItemKNNRecommender", "METRICS", "MESSAGE_FAMILIES",
    "PopularityRecommender", "REASONS", "Ranked", "Recommender", "SEGMENT_METHODS", "SLOW_ALGORITHMS", "Segmentation",
    "UserKNNRecommender", "WEIGHTINGS", "bought_together", "build_interactions", "co_purchase_pairs",
    "evaluate_algorithms", "make_recommender", "ranking_metrics", "segment_customers", "time_split",
]

# Message ids built at run time (t(f"recommend.algo.{name}") ...): prefix -> every value.
MESSAGE_FAMILIES: dict[str, list[str]] = {
    "recommend.algo.": ALGORITHMS,
    "recommend.metric.": METRICS,
    "recommend.weighting.": WEIGHTINGS,
    "recommend.segment_method.": SEGMENT_METHODS,
    "recommend.source.": ["model", "cold_start", "content"],
    "recommend.view.": ["customer", "product", "segments", "evaluation"],
    "recommend.segment.caption_": SEGMENT_METHODS,
    "recommend.explain.": REASONS,
}
