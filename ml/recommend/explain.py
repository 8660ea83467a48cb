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
import scipy.sparse as sp

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
        n = it.n_products
        self._lift = sp.csr_matrix((n, n))
        self._count = sp.csr_matrix((n, n))
        if self.pairs is not None and not self.pairs.empty:
            strong = self.pairs[self.pairs["lift"] >= self.min_lift]
            lookup = pd.Index(it.product_ids.astype(str))
            a = lookup.get_indexer(strong["product_a"].astype(str))
            b = lookup.get_indexer(strong["product_b"].astype(str))
            known = (a >= 0) & (b >= 0)
            a, b = a[known], b[known]
            self._lift = sp.csr_matrix((strong["lift"].to_numpy(float)[known], (a, b)), shape=(n, n))
            self._count = sp.csr_matrix((strong["n_customers"].to_numpy(float)[known], (a, b)), shape=(n, n))

    def _name(self, index: int) -> str:
        return str(self.interactions.product_names[index])

    def explain(self, customer_index: int | None, ranked: Ranked) -> list[Explanation]:
        """One reason per recommended product (vectorised over the customer's history)."""
        it = self.interactions
        if customer_index is None or ranked.source == "cold_start":
            return [Explanation("recommend.explain.popular_recent", {"days": it.recent_days}) for _ in ranked.items]
        items = np.asarray(ranked.items, dtype=np.int64)
        history = it.seen(customer_index)
        if len(items) == 0:
            return []
        same = history[:, None] == items[None, :]  # [history, items]: a product does not explain itself
        lift = self._lift[history][:, items].toarray() if len(history) else np.zeros((0, len(items)))
        lift[same] = 0.0
        sim = (self._cosine[:, history].T @ self._cosine[:, items]).toarray() if len(history) else np.zeros((0, len(items)))
        sim[same] = 0.0
        segment_top = self._segment_best(customer_index)
        favourite = self._favourite_category(history)
        out = []
        for j, item in enumerate(items):
            item = int(item)
            if len(history) and lift[:, j].max() > 0:
                a = int(history[int(np.argmax(lift[:, j]))])
                out.append(Explanation("recommend.explain.bought_together", {"product": self._name(a), "count": int(self._count[a, item])}))
                continue
            column = sim[:, j] if len(history) else np.zeros(0)
            if len(column) and column.max() <= 0:
                column = content_similarity(it, item)[history] * ~same[:, j]
            if len(column) and column.max() > 0:
                out.append(Explanation("recommend.explain.similar", {"product": self._name(int(history[int(np.argmax(column))]))}))
            elif segment_top is not None and item in segment_top:
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
