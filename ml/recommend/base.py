"""The one interface every recommender follows (in the style of ``implicit``), and the shared ranking code.

A recommender is fitted on an ``Interactions``; subclasses implement ``_score(rows)`` (a dense block of scores
[len(rows), products]) and may override ``_item_scores(product_index)`` for similar items. Everything else (excluding
what a customer bought, top-n, cold start, products with no sales) lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ml.progress import Progress, ProgressSink, as_progress
from ml.recommend.interactions import Interactions
from ml.schema import ConfigError


@dataclass
class Ranked:
    """Top-n product indices with their scores, best first, and how they were found."""

    items: np.ndarray  # [n] product indices
    scores: np.ndarray  # [n]
    source: str = "model"  # model | cold_start (recent popularity) | content (product without sales)


def stable_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices [rows, k] of each row's k largest scores, best first; ties broken by the lower index, NaN last.

    ``argpartition`` alone picks arbitrarily among scores tied at the cut; here every score above the k-th largest
    is kept and the tied ones are taken in index order, so the result equals a stable full sort's first k."""
    key = np.asarray(scores, dtype=np.float64)
    key = np.where(np.isnan(key), -np.inf, key)
    n_rows, n_cols = key.shape
    k = min(k, n_cols)
    if k <= 0:
        return np.zeros((n_rows, 0), dtype=np.int64)
    if k < n_cols:
        kth = -np.partition(-key, k - 1, axis=1)[:, k - 1 : k]  # [rows, 1] the k-th largest score
        above, tied = key > kth, key == kth
        chosen = above | (tied & (np.cumsum(tied, axis=1) <= k - above.sum(axis=1, keepdims=True)))
        part = np.nonzero(chosen)[1].reshape(n_rows, k)
    else:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    values = np.take_along_axis(key, part, axis=1)
    order = np.lexsort((part, -values), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def top_n(scores: np.ndarray, n: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the n largest scores (ties broken by index), skipping ``exclude``."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    n = min(n, int(np.isfinite(scores).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    best = stable_top_k(scores[None, :], n)[0]
    return best, scores[best]


def top_n_rows(scores: np.ndarray, n: int, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """Row-wise top-n of a dense block [rows, products] (ties by index), excluded cells never chosen."""
    scores = np.asarray(scores, dtype=np.float64)
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = -np.inf
    best = stable_top_k(scores, n)
    best_values = np.take_along_axis(scores, best, axis=1)
    return np.where(np.isfinite(best_values), best, -1)


def cosine_columns(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The matrix with each column scaled to unit length (zero columns stay zero)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(matrix.multiply(1.0 / norms[None, :]))


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(matrix.multiply(1.0 / norms[:, None]))


class Recommender:
    """Base recommender: fit(interactions) -> self, recommend(customer, n), similar_items(product, n)."""

    name = "base"

    def fit(self, interactions: Interactions, progress: ProgressSink | None = None) -> Recommender:
        """Learn from ``interactions``; ``progress`` gets events named after the algorithm (done of total in its
        own units: iterations, epochs, blocks of products; 1 of 1 for a single pass)."""
        self.interactions_ = interactions
        self._fit(interactions, as_progress(progress))
        return self

    # -- what subclasses implement
    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        raise NotImplementedError

    def _score(self, rows: np.ndarray) -> np.ndarray:
        """Dense scores [len(rows), products] for known customers."""
        raise NotImplementedError

    def _item_scores(self, product_index: int) -> np.ndarray:
        """Similarity of every product to one product (default: cosine over the customers who bought them)."""
        if not hasattr(self, "_item_vectors"):
            self._item_vectors = cosine_columns(self.interactions_.matrix).T.tocsr()
        vectors = self._item_vectors
        return np.asarray((vectors @ vectors[product_index].T).todense()).ravel()

    def _item_scores_block(self, product_indices: np.ndarray) -> np.ndarray:
        """``_item_scores`` of many products at once [len(product_indices), products] (one matrix product for the
        default cosine; a subclass with its own ``_item_scores`` is asked product by product unless it overrides this)."""
        if type(self)._item_scores is not Recommender._item_scores:
            return np.stack([np.asarray(self._item_scores(int(i)), dtype=np.float64) for i in product_indices])
        if not hasattr(self, "_item_vectors"):
            self._item_vectors = cosine_columns(self.interactions_.matrix).T.tocsr()
        vectors = self._item_vectors
        return np.asarray((vectors[product_indices] @ vectors.T).todense(), dtype=np.float64)

    # -- the shared interface
    def check_n(self, n: int) -> None:
        if n < 1:
            raise ConfigError("recommend.error.bad_k", k=n)
        if n > self.interactions_.n_products:
            raise ConfigError("recommend.error.k_too_large", k=n, products=self.interactions_.n_products)

    def cold_start(self, n: int) -> Ranked:
        """What a customer the data does not know gets: the products most bought recently (then overall)."""
        it = self.interactions_
        score = it.recent_popularity + it.popularity / (it.popularity.max() + 1.0)
        items, scores = top_n(score, n)
        return Ranked(items, scores, "cold_start")

    def recommend(self, customer_index: int | None, n: int = 10, exclude_seen: bool = True) -> Ranked:
        self.check_n(n)
        if customer_index is None or customer_index < 0 or customer_index >= self.interactions_.n_customers:
            return self.cold_start(n)
        scores = self._score(np.array([customer_index]))[0]
        exclude = self.interactions_.seen(customer_index) if exclude_seen else None
        items, values = top_n(scores, n, exclude)
        return Ranked(items, values)

    def recommend_many(self, rows: np.ndarray, n: int = 10, exclude_seen: bool = True, batch: int = 512) -> np.ndarray:
        """Top-n product indices [len(rows), n] for many known customers (-1 where fewer are left)."""
        return self.recommend_many_scored(rows, n, exclude_seen, batch)[0]

    def recommend_many_scored(self, rows: np.ndarray, n: int = 10, exclude_seen: bool = True,
                              batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """``recommend_many`` with the scores [len(rows), n] beside the indices (NaN where the index is -1)."""
        self.check_n(n)
        out = np.full((len(rows), n), -1, dtype=np.int64)
        values = np.full((len(rows), n), np.nan)
        matrix = self.interactions_.matrix
        for start in range(0, len(rows), batch):
            block = rows[start : start + batch]
            scores = np.asarray(self._score(block), dtype=np.float64)
            exclude = matrix[block] if exclude_seen else None
            best = top_n_rows(scores, n, exclude)  # sets the excluded cells of ``scores`` to -inf
            out[start : start + len(block), : best.shape[1]] = best
            picked = np.take_along_axis(scores, np.maximum(best, 0), axis=1)
            values[start : start + len(block), : best.shape[1]] = np.where(best >= 0, picked, np.nan)
        return out, values

    def similar_items(self, product_index: int, n: int = 10) -> Ranked:
        """The n products most like one product, itself excluded; products with no sales get content neighbours."""
        it = self.interactions_
        n = min(n, it.n_products - 1)
        if n < 1:
            return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0))
        if it.popularity[product_index] == 0 or it.matrix[:, product_index].nnz == 0:
            scores = content_similarity(it, product_index)
            source = "content"
        else:
            scores = self._item_scores(product_index)
            source = "model"
        items, values = top_n(scores, n, np.array([product_index]))
        return Ranked(items, values, source)


def content_similarity(interactions: Interactions, product_index: int) -> np.ndarray:
    vectors = interactions.content_vectors()
    return np.asarray((vectors @ vectors[product_index].T).todense()).ravel()
