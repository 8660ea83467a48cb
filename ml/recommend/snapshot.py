"""A finished recommendation run as plain tables and JSON (for the workspace: no pickle), and back.

What the page shows of a run is its lists, not its models: every customer's top-k, every product's nearest
products, the cold-start list, the co-purchase pairs and the evaluation. ``snapshot_run`` computes those once (in the
worker, right after the fit); ``restore_run`` gives back a ``RecommendRun`` whose models are ``StoredLists``, which
answer the recommender interface from those lists, so a reload shows the results without fitting anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml.messages import Message
from ml.recommend.base import Ranked, Recommender, top_n_rows
from ml.recommend.evaluation import EvaluationResult, NewLaunchResult
from ml.recommend.explain import Explainer
from ml.recommend.interactions import Interactions
from ml.recommend.service import FittedModel, RecommendRun, RecommendSettings
from ml.schema import ConfigError

SNAPSHOT_VERSION = 1


@dataclass
class Snapshot:
    """A run as JSON (``doc``) plus frames by name (each one Parquet file in the workspace)."""

    doc: dict
    frames: dict[str, pd.DataFrame]


def settings_key(settings: RecommendSettings) -> dict:
    """The settings that decide a run's results, as JSON (two runs with equal keys give equal results)."""
    return asdict(settings)


class StoredLists(Recommender):
    """A recommender that answers from lists computed by a fitted one (``snapshot_run``): top-k per customer,
    nearest products per product, the cold-start list. It knows nothing beyond the stored k."""

    def __init__(self, name: str, interactions: Interactions, lists: pd.DataFrame, similar: pd.DataFrame,
                 cold: pd.DataFrame, exclude_seen: bool) -> None:
        self.name = name
        self.interactions_ = interactions
        self.exclude_seen_ = exclude_seen
        self.lists_ = _by_key(lists, "row", interactions.n_customers)
        self.similar_ = _by_key(similar, "product", interactions.n_products)
        self.cold_ = Ranked(cold["item"].to_numpy(np.int64), cold["score"].to_numpy(float), "cold_start")

    def _fit(self, interactions, progress) -> None:  # pragma: no cover - never fitted: built from stored lists
        raise ConfigError("recommend.error.bad_k", k=0)

    def cold_start(self, n: int) -> Ranked:
        return Ranked(self.cold_.items[:n], self.cold_.scores[:n], "cold_start")

    def recommend(self, customer_index: int | None, n: int = 10, exclude_seen: bool = True) -> Ranked:
        self.check_n(n)
        if customer_index is None or customer_index < 0 or customer_index >= self.interactions_.n_customers:
            return self.cold_start(n)
        items, scores, _ = self.lists_[customer_index]
        return Ranked(items[:n], scores[:n])

    def recommend_many_scored(self, rows: np.ndarray, n: int = 10, exclude_seen: bool = True,
                              batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
        self.check_n(n)
        out = np.full((len(rows), n), -1, dtype=np.int64)
        values = np.full((len(rows), n), np.nan)
        for i, row in enumerate(rows):
            items, scores, _ = self.lists_[int(row)]
            out[i, : min(n, len(items))] = items[:n]
            values[i, : min(n, len(items))] = scores[:n]
        return out, values

    def similar_items(self, product_index: int, n: int = 10) -> Ranked:
        items, scores, source = self.similar_[product_index]
        return Ranked(items[:n], scores[:n], source)


def _by_key(frame: pd.DataFrame, key: str, size: int) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Per key 0..size-1: (items, scores, source), in rank order."""
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0), "model")
    out = [empty] * size
    frame = frame.sort_values([key, "rank"], kind="stable")
    keys = frame[key].to_numpy(np.int64)
    items = frame["item"].to_numpy(np.int64)
    scores = frame["score"].to_numpy(float)
    sources = frame["source"].astype(str).to_numpy() if "source" in frame.columns else None
    bounds = np.searchsorted(keys, np.arange(size + 1))
    for k in range(size):
        a, b = bounds[k], bounds[k + 1]
        if b > a:
            out[k] = (items[a:b], scores[a:b], str(sources[a]) if sources is not None else "model")
    return out


def _lists(model: Recommender, k: int, exclude_seen: bool) -> pd.DataFrame:
    it = model.interactions_
    rows = np.arange(it.n_customers)
    items, scores = model.recommend_many_scored(rows, k, exclude_seen)
    keep = items >= 0
    return pd.DataFrame({"row": np.repeat(rows, items.shape[1])[keep.ravel()],
                         "rank": np.tile(np.arange(1, items.shape[1] + 1), len(rows))[keep.ravel()],
                         "item": items[keep], "score": scores[keep]})


def _similar(model: Recommender, k: int, block: int = 512) -> pd.DataFrame:
    """``similar_items`` of every product: products with sales in blocks (one matrix product each), the others
    (content neighbours) one by one, as ``similar_items`` does."""
    it = model.interactions_
    n = min(k, it.n_products - 1)
    columns = ["product", "rank", "item", "score", "source"]
    if n < 1:
        return pd.DataFrame(columns=columns)
    sold = (it.popularity > 0) & (np.bincount(it.matrix.indices, minlength=it.n_products) > 0)
    parts = []
    products = np.flatnonzero(sold)
    for start in range(0, len(products), block):
        rows = products[start : start + block]
        scores = model._item_scores_block(rows)
        scores[np.arange(len(rows)), rows] = -np.inf  # a product is not its own neighbour
        best = top_n_rows(scores, n)
        values = np.take_along_axis(scores, np.maximum(best, 0), axis=1)
        keep = best >= 0
        parts.append(pd.DataFrame({"product": np.repeat(rows, n)[keep.ravel()], "rank": np.tile(np.arange(1, n + 1), len(rows))[keep.ravel()],
                                   "item": best[keep], "score": values[keep], "source": "model"}))
    for product in np.flatnonzero(~sold):
        ranked = model.similar_items(int(product), k)
        parts.append(pd.DataFrame({"product": int(product), "rank": np.arange(1, len(ranked.items) + 1),
                                   "item": np.asarray(ranked.items, np.int64), "score": np.asarray(ranked.scores, float),
                                   "source": ranked.source}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _message(message: Message | None) -> dict | None:
    return None if message is None else message.to_dict()


def snapshot_run(run: RecommendRun) -> Snapshot:
    """Everything the page shows of ``run`` as frames + JSON; the lists are computed here from its models."""
    settings = run.settings
    it = run.fitted.interactions
    k, exclude_seen = settings.k, not settings.repeat
    frames: dict[str, pd.DataFrame] = {}
    coo = it.matrix.tocoo()
    frames["matrix"] = pd.DataFrame({"row": coo.row.astype(np.int64), "col": coo.col.astype(np.int64), "value": coo.data.astype(np.float32)})
    segments = run.fitted.explainer.segments
    frames["customers"] = pd.DataFrame({"customer_id": it.customer_ids.astype(str),
                                        "segment": np.asarray(segments, np.int64) if segments is not None else -1})
    frames["products"] = pd.DataFrame({"product_id": it.product_ids.astype(str), "name": it.product_names.astype(str),
                                       "category": it.product_categories.astype(str), "text": it.product_text.astype(str),
                                       "popularity": it.popularity.astype(float), "recent_popularity": it.recent_popularity.astype(float)})
    frames["pairs"] = run.fitted.pairs.reset_index(drop=True)
    models = run.fitted_models()
    for name, fitted in models.items():
        frames[f"lists.{name}"] = _lists(fitted.model, k, exclude_seen)
        frames[f"similar.{name}"] = _similar(fitted.model, k)
        cold = fitted.model.cold_start(k)
        frames[f"cold.{name}"] = pd.DataFrame({"rank": np.arange(1, len(cold.items) + 1), "item": np.asarray(cold.items, np.int64),
                                               "score": np.asarray(cold.scores, float)})
    evaluation = run.evaluation
    eval_doc = None
    if evaluation is not None:
        frames["evaluation"] = evaluation.table.reset_index(drop=True)
        launches = evaluation.new_launches
        eval_doc = {"k": evaluation.k, "test_days": evaluation.test_days, "n_customers": evaluation.n_customers,
                    "n_products": evaluation.n_products, "best": evaluation.best,
                    "errors": {a: m.to_dict() for a, m in evaluation.errors.items()},
                    "new_launches": None if launches is None else {
                        "n_products": launches.n_products, "n_customers": launches.n_customers,
                        "n_purchases": launches.n_purchases, "k": launches.k,
                        "metrics": {m: (None if not np.isfinite(v) else float(v)) for m, v in launches.metrics.items()}}}
    doc = {
        "version": SNAPSHOT_VERSION,
        "settings": settings_key(settings),
        "dataset_fingerprint": run.dataset_fingerprint,
        "dataset_name": run.dataset_name,
        "stopped": bool(run.stopped),
        "shown": run.fitted.algorithm,
        "models": {name: {"seconds": float(fitted.seconds)} for name, fitted in models.items()},
        "interactions": {"end": it.end.isoformat(), "weighting": it.weighting, "recent_days": it.recent_days},
        "evaluation": eval_doc,
        "evaluation_error": _message(run.evaluation_error),
    }
    return Snapshot(doc, frames)


def restore_run(snapshot: Snapshot) -> RecommendRun:
    """The run ``snapshot_run`` stored, its models answering from the stored lists (nothing is fitted)."""
    doc, frames = snapshot.doc, snapshot.frames
    if doc.get("version") != SNAPSHOT_VERSION:
        raise ValueError("unknown recommendation snapshot version")
    customers, products, matrix = frames["customers"], frames["products"], frames["matrix"]
    shape = (len(customers), len(products))
    csr = sp.csr_matrix((matrix["value"].to_numpy(np.float32), (matrix["row"].to_numpy(np.int64), matrix["col"].to_numpy(np.int64))), shape=shape)
    csr.sort_indices()
    meta = doc["interactions"]
    it = Interactions(matrix=csr, customer_ids=customers["customer_id"].astype(str).to_numpy(dtype=object),
                      product_ids=products["product_id"].astype(str).to_numpy(dtype=object),
                      popularity=products["popularity"].to_numpy(float), recent_popularity=products["recent_popularity"].to_numpy(float),
                      product_names=products["name"].astype(str).to_numpy(dtype=object),
                      product_categories=products["category"].astype(str).to_numpy(dtype=object),
                      product_text=products["text"].astype(str).to_numpy(dtype=object),
                      end=pd.Timestamp(meta["end"]), weighting=str(meta["weighting"]), recent_days=int(meta["recent_days"]))
    segments = customers["segment"].to_numpy(np.int64)
    pairs = frames["pairs"]
    explainer = Explainer(it, pairs, None if (segments < 0).all() else segments)
    settings = RecommendSettings(**doc["settings"])
    models = {}
    for name, info in doc["models"].items():
        lists = StoredLists(name, it, frames[f"lists.{name}"], frames[f"similar.{name}"], frames[f"cold.{name}"], not settings.repeat)
        models[name] = FittedModel(name, it, lists, pairs, explainer, float(info["seconds"]))
    evaluation = None
    if doc["evaluation"] is not None:
        e = doc["evaluation"]
        launches = e["new_launches"]
        evaluation = EvaluationResult(
            frames["evaluation"], int(e["k"]), int(e["test_days"]), int(e["n_customers"]), int(e["n_products"]), e["best"],
            {a: Message.from_dict(m) for a, m in e["errors"].items()},
            None if launches is None else NewLaunchResult(
                int(launches["n_products"]), int(launches["n_customers"]), int(launches["n_purchases"]), int(launches["k"]),
                {m: (np.nan if v is None else float(v)) for m, v in launches["metrics"].items()}))
    error = doc["evaluation_error"]
    return RecommendRun(settings, evaluation, None if error is None else Message.from_dict(error), models[doc["shown"]],
                        str(doc["dataset_fingerprint"]), str(doc["dataset_name"]), stopped=bool(doc["stopped"]), models=models,
                        kept_at=str(doc.get("saved_at") or ""))


def save_snapshot(ws, owner: str, run: RecommendRun) -> None:
    """Keep ``run``'s results in the workspace ``ws`` (``ml.workspace.Workspace``) under its dataset and settings."""
    snapshot = snapshot_run(run)
    ws.save_recommendations(owner, run.dataset_fingerprint, snapshot.doc["settings"], snapshot.doc, snapshot.frames)


def load_snapshot(ws, owner: str, fingerprint: str, settings: RecommendSettings | None = None) -> RecommendRun | None:
    """The newest run kept for this dataset (with these settings, when given), restored without fitting; else None."""
    found = ws.load_recommendations(owner, fingerprint, None if settings is None else settings_key(settings))
    if found is None:
        return None
    doc, frames = found
    try:
        return restore_run(Snapshot(doc, frames))
    except (KeyError, TypeError, ValueError, IndexError):  # a folder from another version, or damaged: fit again
        return None
