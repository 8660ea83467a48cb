"""What the page and the CLI ask for, as frames: fit one algorithm on all data, a customer's top-k with reasons,
recommendations for every customer, a product's neighbours and what is bought with it, a purchase history."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ml.messages import Message
from ml.progress import ProgressSink, as_progress
from ml.recommend.base import Ranked, Recommender
from ml.recommend.basket import bought_together, co_purchase_pairs, no_pairs
from ml.recommend.explain import Explainer
from ml.recommend.interactions import Interactions, build_interactions
from ml.recommend.registry import make_recommender
from ml.schema import Col, ConfigError, DataError

RECOMMENDATION_COLUMNS = ["customer_id", "rank", "product_id", "product_name", "category", "score", "source", "reason_id", "reason_params"]


@dataclass
class FittedModel:
    algorithm: str
    interactions: Interactions
    model: Recommender
    pairs: pd.DataFrame
    explainer: Explainer
    seconds: float


def fit_recommender(frame: pd.DataFrame, algorithm: str = "item-knn", weighting: str = "binary", half_life_days: float | None = None,
                    seed: int = 0, n_segments: int | None = 4, progress: ProgressSink | None = None) -> FittedModel:
    """Fit one algorithm on every purchase in ``frame`` (for recommending, not for evaluating).

    ``n_segments``: customers are clustered in factor space so that explanations can say "popular in your segment".
    ``frame`` may be a large saved dataset's ``ParquetTable`` (``ml.pushdown``): its matrix is aggregated in place,
    and it gets no co-purchase pairs (they are counted line by line), so no "bought together" reasons.
    """
    import time

    from ml.recommend.evaluation import check_shape

    started = time.perf_counter()
    if in_place(frame):
        from ml.pushdown.interactions import query_interactions

        interactions = query_interactions(frame, weighting, half_life_days)
        pairs = no_pairs()
    else:
        interactions = build_interactions(frame, weighting, half_life_days)
    check_shape(interactions)
    model = make_recommender(algorithm, seed).fit(interactions, progress)
    if not in_place(frame):
        pairs = co_purchase_pairs(frame)
    segments = None
    if n_segments:
        from ml.recommend.segments import segment_customers

        try:
            segments = segment_customers(interactions, None, n_segments, "factors", seed).labels
        except DataError:  # too few customers to cluster: explanations fall back to the favourite category
            segments = None
    return FittedModel(algorithm, interactions, model, pairs, Explainer(interactions, pairs, segments), time.perf_counter() - started)


def in_place(source: object) -> bool:
    """Whether ``source`` is a large saved dataset queried in place (``ml.pushdown``) rather than a frame."""
    return not isinstance(source, pd.DataFrame)


def _frame(fitted: FittedModel, customer: str | None, ranked: Ranked, reasons: list | None) -> pd.DataFrame:
    it = fitted.interactions
    items = ranked.items
    return pd.DataFrame({
        "customer_id": customer,
        "rank": np.arange(1, len(items) + 1),
        "product_id": it.product_ids[items].astype(str) if len(items) else [],
        "product_name": it.product_names[items].astype(str) if len(items) else [],
        "category": it.product_categories[items].astype(str) if len(items) else [],
        "score": ranked.scores.astype(float),
        "source": ranked.source,
        "reason_id": [r.message_id for r in reasons] if reasons else None,
        "reason_params": [r.params for r in reasons] if reasons else None,
    }, columns=RECOMMENDATION_COLUMNS)


def recommend_customer(fitted: FittedModel, customer_id: str | None, k: int = 10, exclude_seen: bool = True) -> pd.DataFrame:
    """Top-k for one customer with a reason each; an unknown customer gets the cold-start list."""
    row = fitted.interactions.customer_index(customer_id) if customer_id is not None else None
    ranked = fitted.model.recommend(row, k, exclude_seen)
    return _frame(fitted, customer_id, ranked, fitted.explainer.explain(row, ranked))


def recommend_everyone(fitted: FittedModel, k: int = 10, exclude_seen: bool = True, explain: bool = False) -> pd.DataFrame:
    """Top-k for every known customer, one row per (customer, rank)."""
    it = fitted.interactions
    rows = np.arange(it.n_customers)
    top = fitted.model.recommend_many(rows, k, exclude_seen)
    customer = np.repeat(it.customer_ids.astype(str), top.shape[1])
    rank = np.tile(np.arange(1, top.shape[1] + 1), len(rows))
    flat = top.ravel()
    keep = flat >= 0
    out = pd.DataFrame({"customer_id": customer[keep], "rank": rank[keep], "product_id": it.product_ids[flat[keep]].astype(str),
                        "product_name": it.product_names[flat[keep]].astype(str), "category": it.product_categories[flat[keep]].astype(str)})
    if explain:
        reasons = []
        for r in rows:
            items = top[r][top[r] >= 0]
            reasons.extend(fitted.explainer.explain(int(r), Ranked(items, np.zeros(len(items)))))
        out["reason_id"] = [x.message_id for x in reasons]
        out["reason_params"] = [x.params for x in reasons]
    return out


def similar_products(fitted: FittedModel, product_id: str, k: int = 10) -> pd.DataFrame:
    """The k products most like one product (content neighbours when it has no sales)."""
    it = fitted.interactions
    index = it.product_index(product_id)
    if index is None:
        raise DataError("recommend.error.unknown_product", product=product_id)
    if k < 1:
        raise ConfigError("recommend.error.bad_k", k=k)
    ranked = fitted.model.similar_items(index, k)
    return _frame(fitted, None, ranked, None).drop(columns=["customer_id", "reason_id", "reason_params"])


def bought_with(pairs: pd.DataFrame, interactions: Interactions | None, product_id: str, k: int = 10) -> pd.DataFrame:
    """Frequently bought together with ``product_id`` (by lift), with product names when known."""
    rows = bought_together(pairs, product_id, k)
    if interactions is not None:
        names = dict(zip(interactions.product_ids.astype(str), interactions.product_names.astype(str), strict=True))
        rows.insert(2, "product_name", [names.get(str(p), str(p)) for p in rows["product_b"]])
    return rows


def purchase_history(frame: pd.DataFrame, customer_id: str) -> pd.DataFrame:
    """A customer's lines, newest first, lines of the same moment in file order (returns included, as they
    happened). ``frame`` may be a large saved dataset's ``ParquetTable``: one query for this customer's lines."""
    if in_place(frame):
        from ml.pushdown.customers import query_history

        return query_history(frame, customer_id)
    if Col.CUSTOMER_ID not in frame.columns:
        raise DataError("recommend.error.needs_customers")
    rows = frame[frame[Col.CUSTOMER_ID].astype("string") == str(customer_id)]
    columns = history_columns(frame.columns)
    return rows[columns].sort_values(Col.DATE, ascending=False, kind="stable").reset_index(drop=True)


def history_columns(columns) -> list[str]:
    """The columns a purchase history shows, of those the data has."""
    name = Col.PRODUCT_NAME if Col.PRODUCT_NAME in columns else Col.DESCRIPTION
    return [c for c in (Col.DATE, Col.ORDER_ID, Col.PRODUCT_ID, name, Col.CATEGORY, Col.QUANTITY, Col.REVENUE) if c in columns]


def product_pairs(source, product_id: str, fitted: FittedModel | None = None) -> pd.DataFrame:
    """The co-purchase pairs to look ``product_id`` up in: the fit's (every pair of a frame), or on a large saved
    dataset those of this product alone, counted in place (``ml.pushdown.customers``)."""
    if in_place(source):
        from ml.pushdown.customers import query_product_pairs

        return query_product_pairs(source, product_id)
    return fitted.pairs if fitted is not None else co_purchase_pairs(source)


@dataclass
class RecommendSettings:
    """What the analyst chose on the page (or the CLI): a typed config for ``run_recommendations``."""

    algorithms: list[str]  # evaluated
    algorithm: str = "item-knn"  # fitted on all data for the recommendations shown
    k: int = 10
    test_days: int = 30
    weighting: str = "binary"
    half_life_days: float | None = None
    repeat: bool = False
    seed: int = 0
    n_segments: int = 4


@dataclass
class RecommendRun:
    settings: RecommendSettings
    evaluation: object | None  # EvaluationResult, None when it could not run
    evaluation_error: Message | None
    fitted: FittedModel
    dataset_fingerprint: str = ""
    dataset_name: str = ""
    stopped: bool = False
    models: dict[str, FittedModel] = field(default_factory=dict)  # every algorithm fitted on all data, by name
    kept_at: str = ""  # when restored from the workspace (ml.recommend.snapshot): when the run was saved, UTC ISO

    @property
    def best(self) -> str | None:
        """The algorithm the evaluation found best (its main metric, NDCG@k), or None without an evaluation."""
        return getattr(self.evaluation, "best", None)

    def fitted_models(self) -> dict[str, FittedModel]:
        """``models`` with ``fitted`` in it (a run saved without ``models`` holds only ``fitted``)."""
        models = dict(getattr(self, "models", None) or {})
        models.setdefault(self.fitted.algorithm, self.fitted)
        return models

    def using(self, model: FittedModel) -> RecommendRun:
        """The same run whose lists come from ``model`` (kept among its models)."""
        models = self.fitted_models()
        models[model.algorithm] = model
        return replace(self, fitted=model, models=models)


def run_recommendations(frame: pd.DataFrame, settings: RecommendSettings, progress: ProgressSink | None = None,
                        fingerprint: str = "", name: str = "") -> RecommendRun:
    """Evaluate the chosen algorithms on a time split, then fit the chosen one on all data (for the page's job).

    ``frame`` may be a large saved dataset's ``ParquetTable``: then both the evaluation and the fit aggregate it in
    place (``ml.pushdown.interactions``; the evaluation without the new-launch score). A data problem that only stops the evaluation (a test period with no purchases) is kept as ``evaluation_error``;
    the recommendations are still fitted. ``progress`` gets done of 100 per cent of the whole run, the step being
    the algorithm under evaluation, then "fit", then "done"; ``progress.stop`` ends the evaluation early and skips
    the second fit (the recommendations are always fitted).
    """
    from ml.engine import get_engine
    from ml.recommend.evaluation import evaluate_algorithms
    from ml.schema import SalesLensError

    sink = as_progress(progress)
    evaluation, error = None, None
    share = 0.8 if settings.algorithms else 0.0
    if settings.algorithms:
        try:
            evaluate = evaluate_algorithms
            if in_place(frame):
                from ml.pushdown.interactions import query_evaluation as evaluate
            evaluation = evaluate(frame, settings.algorithms, settings.k, settings.test_days, settings.weighting,
                                             settings.half_life_days, settings.seed, settings.repeat,
                                             progress=sink.part(0.0, share), engine=get_engine())
        except SalesLensError as err:
            if err.message_id in ("recommend.error.needs_customers", "recommend.error.no_customer_purchases",
                                  "recommend.error.one_product", "recommend.error.k_too_large"):
                raise  # the fit on all data would fail the same way: stop before it
            error = err.message
    sink.report("fit", round(100 * share), 100)
    best = getattr(evaluation, "best", None)
    also_best = best is not None and best != settings.algorithm and not sink.stopped
    part = (1 - share) * (0.45 if also_best else 0.9)
    fitted = fit_recommender(frame, settings.algorithm, settings.weighting, settings.half_life_days, settings.seed,
                             progress=sink.part(share, part, "fit"))
    if settings.k > fitted.interactions.n_products:
        raise ConfigError("recommend.error.k_too_large", k=settings.k, products=fitted.interactions.n_products)
    models = {fitted.algorithm: fitted}
    if also_best:  # the lists default to the evaluation's best; the chosen algorithm stays one click away
        fitted = fit_recommender(frame, best, settings.weighting, settings.half_life_days, settings.seed,
                                 progress=sink.part(share + part, part, "fit"))
        models[best] = fitted
    sink.report("done", 100, 100)
    return RecommendRun(settings, evaluation, error, fitted, fingerprint, name, stopped=sink.stopped, models=models)
