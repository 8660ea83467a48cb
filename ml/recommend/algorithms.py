"""The recommenders: popularity, item-kNN, user-kNN, ALS (implicit), NMF / truncated SVD, content (TF-IDF).

Each is a small class over ``Recommender``; hyperparameters are stored by ``__init__``, learned state ends in ``_``.
The GRU next-purchase model lives in ``ml.recommend.sequence`` (it imports Keras lazily).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from ml.blas import one_blas_thread
from ml.progress import Progress
from ml.recommend.base import Recommender, cosine_columns, normalise_rows, stable_top_k
from ml.recommend.interactions import Interactions
from ml.schema import ConfigError


def _dense(block) -> np.ndarray:
    return np.asarray(block.todense()) if sp.issparse(block) else np.asarray(block)


def _prune_columns(similarity: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest entries of each column of a dense block (the rest set to 0)."""
    if k >= similarity.shape[0]:
        return similarity
    keep = stable_top_k(similarity.T, k).T  # [k, columns], ties by row
    pruned = np.zeros_like(similarity)
    np.put_along_axis(pruned, keep, np.take_along_axis(similarity, keep, axis=0), axis=0)
    return pruned


def _top_k_per_column(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int, n_cols: int, k: int) -> sp.csc_matrix:
    """Sparse [n_rows, n_cols] keeping the k largest entries of each column (ties by row)."""
    order = np.lexsort((rows, -values, cols))
    rows, cols, values = rows[order], cols[order], values[order]
    starts = np.searchsorted(cols, np.arange(n_cols))
    rank = np.arange(len(cols)) - starts[cols]
    keep = (rank < k) & (values > 0)
    return sp.csc_matrix((values[keep], (rows[keep], cols[keep])), shape=(n_rows, n_cols))


class PopularityRecommender(Recommender):
    """Best-sellers: distinct buyers per product (guests included), over all time or the last ``recent_days``."""

    name = "popularity"

    def __init__(self, recent: bool = False) -> None:
        self.recent = recent

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        base = interactions.popularity / (interactions.popularity.max() + 1.0)  # breaks ties among recent counts
        self.scores_ = (interactions.recent_popularity + base) if self.recent else interactions.popularity.astype(float)
        progress.report(self.name, 1, 1)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.scores_, (len(rows), 1))

    def _item_scores(self, product_index: int) -> np.ndarray:
        return self.scores_.astype(float)


class ItemKNNRecommender(Recommender):
    """Item-based CF: cosine similarity between products over their buyers, the k nearest kept per product."""

    name = "item-knn"

    def __init__(self, neighbours: int = 100, block: int = 1024) -> None:
        self.neighbours = neighbours
        self.block = block

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        x = cosine_columns(interactions.matrix).tocsc()
        xt = x.T.tocsr()
        n = interactions.n_products
        parts = []
        for start in range(0, n, self.block):
            cols = x[:, start : start + self.block]
            product = xt @ cols  # [products, block]
            if product.nnz > 0.2 * n * cols.shape[1]:  # dense block (a small or busy catalogue): argpartition is faster
                sim = _dense(product).astype(np.float32)
                idx = np.arange(start, start + cols.shape[1])
                sim[idx, idx - start] = 0.0  # an item is not its own neighbour
                parts.append(sp.csc_matrix(_prune_columns(sim, self.neighbours)))
                progress.report(self.name, start // self.block + 1, -(-n // self.block))
                continue
            product = product.tocoo()  # sparse: most pairs of a large catalogue never co-occur
            keep = product.row != product.col + start
            rows, columns, values = product.row[keep], product.col[keep], product.data[keep].astype(np.float32)
            parts.append(_top_k_per_column(rows, columns, values, n, cols.shape[1], self.neighbours))
            progress.report(self.name, start // self.block + 1, -(-n // self.block))
        self.similarity_ = sp.hstack(parts).tocsr() if parts else sp.csr_matrix((n, n))  # [products, products]

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return _dense(self.interactions_.matrix[rows] @ self.similarity_)


class UserKNNRecommender(Recommender):
    """User-based CF: the k customers most alike (cosine or Pearson over purchases) vote for what they bought."""

    name = "user-knn"

    def __init__(self, neighbours: int = 50, similarity: str = "cosine") -> None:
        if similarity not in ("cosine", "pearson"):
            raise ConfigError("recommend.error.bad_similarity", value=similarity)
        self.neighbours = neighbours
        self.similarity = similarity

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        x = interactions.matrix.astype(np.float64)
        n = x.shape[1]
        self.means_ = np.asarray(x.sum(axis=1)).ravel() / n
        squares = np.asarray(x.multiply(x).sum(axis=1)).ravel()
        if self.similarity == "pearson":
            norms = np.sqrt(np.maximum(squares - n * self.means_**2, 0.0))
        else:
            norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        self.norms_ = norms
        self.xt_ = x.T.tocsr()
        progress.report(self.name, 1, 1)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        x = self.interactions_.matrix
        sim = _dense(x[rows].astype(np.float64) @ self.xt_)  # [rows, customers]
        if self.similarity == "pearson":
            sim = sim - x.shape[1] * self.means_[rows, None] * self.means_[None, :]
        sim = sim / self.norms_[rows, None] / self.norms_[None, :]
        sim[np.arange(len(rows)), rows] = 0.0  # a customer is not their own neighbour
        sim = np.maximum(sim, 0.0)
        k = min(self.neighbours, sim.shape[1])
        if k < sim.shape[1]:
            keep = stable_top_k(sim, k)  # ties by customer index
            pruned = np.zeros_like(sim)
            np.put_along_axis(pruned, keep, np.take_along_axis(sim, keep, axis=1), axis=1)
            sim = pruned
        return _dense(sp.csr_matrix(sim) @ x)


class ALSRecommender(Recommender):
    """Implicit-feedback matrix factorisation by alternating least squares (the ``implicit`` library)."""

    name = "als"

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 5.0, iterations: int = 15, seed: int = 0) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed

    def factors_used(self, n_products: int) -> int:
        """At most one factor per 5 products: a small catalogue overfits with many factors."""
        return int(max(4, min(self.factors, n_products // 5)))

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        done = [0]

        def callback(iteration: int, elapsed: float, loss: float) -> None:
            done[0] += 1
            progress.report(self.name, done[0], self.iterations)

        # implicit asks for single-threaded BLAS (its own loop is the parallel part); it checks when fitting
        with one_blas_thread():
            model = AlternatingLeastSquares(
                factors=self.factors_used(interactions.n_products),
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=1,  # one thread: deterministic with the seed, and the machine is shared
                calculate_training_loss=False,
            )
            model.fit(interactions.matrix.astype(np.float32), show_progress=False, callback=callback)
        self.user_factors_ = np.asarray(model.user_factors)  # [customers, factors]
        self.item_factors_ = np.asarray(model.item_factors)  # [products, factors]

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return self.user_factors_[rows] @ self.item_factors_.T

    def _item_scores(self, product_index: int) -> np.ndarray:
        v = self.item_factors_
        norms = np.linalg.norm(v, axis=1)
        norms[norms == 0] = 1.0
        return (v @ v[product_index]) / norms / norms[product_index]

    def _item_scores_block(self, product_indices: np.ndarray) -> np.ndarray:
        v = self.item_factors_
        norms = np.linalg.norm(v, axis=1)
        norms[norms == 0] = 1.0
        return (v[product_indices] @ v.T) / norms[None, :] / norms[product_indices][:, None]


class FactorizationRecommender(Recommender):
    """Classical matrix factorisation of the interaction matrix: NMF or truncated SVD (scikit-learn)."""

    def __init__(self, method: str = "svd", components: int = 32, seed: int = 0) -> None:
        if method not in ("nmf", "svd"):
            raise ConfigError("recommend.error.bad_method", value=method)
        self.method = method
        self.components = components
        self.seed = seed

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.method

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        with one_blas_thread():  # many small BLAS calls: threads only contend (3 s vs 0.7 s on UCI, 2 busy cores)
            self._factorize(interactions.matrix.astype(np.float64))
        progress.report(self.name, 1, 1)

    def _factorize(self, x) -> None:
        from sklearn.decomposition import NMF, TruncatedSVD
        from sklearn.exceptions import ConvergenceWarning

        k = max(1, min(self.components, min(x.shape) - 1))
        if self.method == "nmf":
            model = NMF(n_components=k, init="nndsvda", max_iter=30, tol=1e-3, random_state=self.seed)
            with warnings.catch_warnings():  # 30 iterations rank as well as 100 (measured on the sample and UCI data) in a third of the time
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.user_factors_ = model.fit_transform(x)
            self.item_factors_ = model.components_.T
        else:
            model = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=self.seed)
            self.user_factors_ = model.fit_transform(x)
            self.item_factors_ = model.components_.T

    _score = ALSRecommender._score
    _item_scores = ALSRecommender._item_scores
    _item_scores_block = ALSRecommender._item_scores_block


class ContentRecommender(Recommender):
    """Content-based: TF-IDF of product names, descriptions and categories; a customer's profile is what they bought."""

    name = "content"

    def _fit(self, interactions: Interactions, progress: Progress) -> None:
        self.vectors_ = interactions.content_vectors()  # [products, terms]
        progress.report(self.name, 1, 1)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        profile = normalise_rows(self.interactions_.matrix[rows].astype(np.float64)) @ self.vectors_  # [rows, terms]
        return _dense(profile @ self.vectors_.T)

    def _item_scores(self, product_index: int) -> np.ndarray:
        return _dense(self.vectors_ @ self.vectors_[product_index].T).ravel()
