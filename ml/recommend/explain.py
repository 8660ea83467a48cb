"""Why a product is recommended, as a message id with parameters (the UI and the CLI translate it).

The reasons, tried in order for each recommended product B and customer history H:
1. bought together: the product A in H with the highest lift of the pair A -> B (at least ``min_lift``; the count is
   the buyers who bought B with or shortly after A);
2. similar: the product A in H most alike B (cosine over their buyers, else over their descriptions);
3. popular in the segment: B is among the best-sellers of the customer's segment (or favourite category);
4. popular: a best-seller overall (cold start).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.recommend.base import Ranked, content_similarity, cosine_columns
from ml.recommend.interactions import Interactions

REASONS = ["bought_together", "similar", "popular_segment", "popular_category", "popular_recent", "popular"]


@dataclass
class Explanation:
    message_id: str
    params: dict = field(default_factory=dict)


@dataclass
class Explainer:
    """Explains recommendations on one ``Interactions`` with co-purchase pairs (``co_purchase_pairs``)."""

    interactions: Interactions
    pairs: pd.DataFrame | None = None
    segments: np.ndarray | None = None  # [customers] segment number, optional
    min_lift: float = 1.5  # a pair explains a recommendation only when B is this much likelier after A than overall

    def __post_init__(self) -> None:
        it = self.interactions
        self._cosine = cosine_columns(it.matrix).tocsc()
        self._together: dict[tuple[str, str], int] = {}
        if self.pairs is not None and not self.pairs.empty:
            strong = self.pairs[self.pairs["lift"] >= self.min_lift]
            self._together = {(a, b): (float(lift), int(n)) for a, b, n, lift in zip(strong["product_a"], strong["product_b"], strong["n_customers"], strong["lift"], strict=True)}

    def _name(self, index: int) -> str:
        return str(self.interactions.product_names[index])

    def explain(self, customer_index: int | None, ranked: Ranked) -> list[Explanation]:
        it = self.interactions
        if customer_index is None or ranked.source == "cold_start":
            return [Explanation("recommend.explain.popular_recent", {"days": it.recent_days}) for _ in ranked.items]
        history = it.seen(customer_index)
        out = []
        segment_top = self._segment_best(customer_index)
        favourite = self._favourite_category(history)
        for item in ranked.items:
            item = int(item)
            best = max(((self._together.get((str(it.product_ids[a]), str(it.product_ids[item])), (0.0, 0)), int(a)) for a in history if a != item), default=((0.0, 0), -1))
            if best[0][1] > 0:
                out.append(Explanation("recommend.explain.bought_together", {"product": self._name(best[1]), "count": best[0][1]}))
                continue
            others = history[history != item]
            if len(others):
                sim = np.asarray((self._cosine[:, others].T @ self._cosine[:, item]).todense()).ravel()
                if sim.max() <= 0:
                    sim = content_similarity(it, item)[others]
                if sim.max() > 0:
                    out.append(Explanation("recommend.explain.similar", {"product": self._name(int(others[int(np.argmax(sim))]))}))
                    continue
            if segment_top is not None and item in segment_top:
                out.append(Explanation("recommend.explain.popular_segment", {"segment": int(self.segments[customer_index]) + 1}))
            elif favourite and it.product_categories[item] == favourite:
                out.append(Explanation("recommend.explain.popular_category", {"category": favourite}))
            else:
                out.append(Explanation("recommend.explain.popular", {}))
        return out

    def _segment_best(self, customer_index: int, n: int = 20) -> set[int] | None:
        if self.segments is None:
            return None
        members = np.flatnonzero(self.segments == self.segments[customer_index])
        counts = np.asarray((self.interactions.matrix[members] > 0).sum(axis=0)).ravel()
        return set(np.argsort(-counts, kind="stable")[:n].tolist())

    def _favourite_category(self, history: np.ndarray) -> str | None:
        categories = [c for c in self.interactions.product_categories[history] if c]
        if not categories:
            return None
        values, counts = np.unique(np.asarray(categories, dtype=str), return_counts=True)
        return str(values[np.argmax(counts)])
