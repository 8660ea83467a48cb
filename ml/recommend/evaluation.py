"""Honest evaluation: a time split (the model sees only purchases before the last ``test_days``), ranking metrics at k.

Metrics per customer with at least one new product bought in the test period (a product they had not bought
before, since recommendations exclude what was already bought), averaged over those customers:
precision@k = hits / k; recall@k = hits / relevant; NDCG@k with binary gains; MAP@k = mean over hits of precision at
the hit's rank, divided by min(relevant, k); hit rate = share of customers with at least one hit; coverage = share of
the catalogue recommended to anyone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.engine import Engine, LocalEngine
from ml.messages import Message
from ml.progress import ProgressSink, as_progress
from ml.recommend.interactions import Interactions, build_interactions, product_text, tfidf_vectors
from ml.recommend.registry import ALGORITHMS, make_recommender
from ml.schema import Col, ConfigError, DataError

METRICS = ["precision", "recall", "ndcg", "map", "hit_rate", "coverage"]


def time_split(frame: pd.DataFrame, test_days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows before the cut, test rows in the last ``test_days`` days)."""
    if test_days < 1:
        raise ConfigError("recommend.error.bad_test_days", days=test_days)
    end = frame[Col.DATE].max().normalize() + pd.Timedelta(days=1)
    cut = end - pd.Timedelta(days=test_days)
    train, test = frame[frame[Col.DATE] < cut], frame[frame[Col.DATE] >= cut]
    if train.empty:
        raise DataError("recommend.error.test_too_long", days=test_days)
    return train, test


def relevant_items(test: pd.DataFrame, interactions: Interactions, new_only: bool = True) -> dict[int, np.ndarray]:
    """Customer row -> product indices they bought (net) in the test period; customers unknown to training skipped."""
    if test.empty or Col.CUSTOMER_ID not in test.columns:
        return {}
    quantity = test[Col.QUANTITY] if Col.QUANTITY in test.columns else pd.Series(1.0, index=test.index)
    work = pd.DataFrame({"c": test[Col.CUSTOMER_ID].astype("string"), "p": test[Col.PRODUCT_ID].astype("string"), "q": quantity.astype(float)}).dropna()
    net = work.groupby(["c", "p"], observed=True)["q"].sum()
    net = net[net > 0].reset_index()
    rows = pd.Series([interactions.customer_index(c) for c in net["c"]], dtype="float")
    cols = pd.Series([interactions.product_index(p) for p in net["p"]], dtype="float")
    known = rows.notna() & cols.notna()
    out: dict[int, list[int]] = {}
    for r, c in zip(rows[known].astype(int), cols[known].astype(int), strict=True):
        if new_only and c in interactions.seen(r):  # the entries exclusion uses (not their values, which may be 0)
            continue
        out.setdefault(int(r), []).append(int(c))
    return {r: np.asarray(sorted(v)) for r, v in out.items()}


def ranking_metrics(recommended: np.ndarray, relevant: Sequence[np.ndarray], k: int, n_products: int) -> dict[str, float]:
    """Metrics at k of top lists [users, >=k] (-1 = empty slot) against each user's relevant product indices."""
    recommended = np.asarray(recommended)[:, :k]
    precision, recall, ndcg, ap, hit = [], [], [], [], []
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for row, truth in zip(recommended, relevant, strict=True):
        truth_set = set(int(x) for x in truth)
        if not truth_set:
            continue
        hits = np.array([int(x) in truth_set for x in row], dtype=float)
        n_hits = hits.sum()
        precision.append(n_hits / k)
        recall.append(n_hits / len(truth_set))
        ideal = discounts[: min(len(truth_set), k)].sum()
        ndcg.append(float((hits * discounts[: len(hits)]).sum() / ideal))
        precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        ap.append(float((precision_at * hits).sum() / min(len(truth_set), k)))
        hit.append(float(n_hits > 0))
    shown = recommended[recommended >= 0]
    coverage = len(np.unique(shown)) / n_products if n_products else 0.0
    if not precision:
        return dict.fromkeys(METRICS[:-1], float("nan")) | {"coverage": coverage}
    return {"precision": float(np.mean(precision)), "recall": float(np.mean(recall)), "ndcg": float(np.mean(ndcg)),
            "map": float(np.mean(ap)), "hit_rate": float(np.mean(hit)), "coverage": float(coverage)}


@dataclass
class EvaluationResult:
    table: pd.DataFrame  # one row per algorithm: metrics + fit_seconds + eval_seconds
    k: int
    test_days: int
    n_customers: int  # customers evaluated (bought something new in the test period)
    n_products: int
    best: str | None  # algorithm with the highest NDCG@k
    errors: dict[str, Message] = field(default_factory=dict)  # algorithm -> why it could not be evaluated
    # Products first sold after the cut: not candidates of the models above (unknown at the cut); their test-period
    # purchases are scored only by the content cold-start path (see ``evaluate_new_launches``).
    new_launches: NewLaunchResult | None = None

    def metrics_json(self) -> dict[str, dict[str, float | None]]:
        out = {}
        for _, row in self.table.iterrows():
            out[row["algorithm"]] = {m: (None if pd.isna(row[m]) else round(float(row[m]), 6)) for m in METRICS}
        return out


@dataclass
class NewLaunchResult:
    """Cold-start evaluation of the products launched after the cut: each customer who bought one is offered the
    launches ranked by content similarity (TF-IDF of name, description, category) to what they bought before."""

    n_products: int  # launches: products with no row before the cut
    n_customers: int  # customers known at the cut who bought a launch in the test period
    n_purchases: int  # (customer, launch) pairs left out of the main metrics
    k: int  # min(k, launches)
    metrics: dict[str, float]

    def note(self) -> Message:
        """What the page and the CLI say about the launches."""
        if not self.n_purchases:
            return Message("evaluation.launches.none_bought", {"products": self.n_products})
        return Message("evaluation.launches.note", {
            "products": self.n_products, "purchases": self.n_purchases, "customers": self.n_customers, "k": self.k,
            "hit_rate": round(float(self.metrics["hit_rate"]), 3), "recall": round(float(self.metrics["recall"]), 3)})

    def to_json(self) -> dict[str, object]:
        return {"method": "content_cold_start", "products": self.n_products, "customers": self.n_customers,
                "purchases": self.n_purchases, "k": self.k,
                "metrics": {m: (None if not np.isfinite(v) else round(float(v), 6)) for m, v in self.metrics.items()}}


def evaluate_algorithms(
    frame: pd.DataFrame,
    algorithms: Sequence[str] | None = None,
    k: int = 10,
    test_days: int = 30,
    weighting: str = "binary",
    half_life_days: float | None = None,
    seed: int = 0,
    repeat: bool = False,
    progress: ProgressSink | None = None,
    engine: Engine | None = None,
) -> EvaluationResult:
    """Fit every algorithm on the training period and score its top-k against the test period, in one table.

    ``progress`` gets events named after the algorithm being evaluated, done of 100 per cent of the evaluation
    (each algorithm an equal share); once ``progress.stop`` is set, no further algorithm starts.

    ``repeat``: recommendations may include products the customer already bought, and a repeat purchase in the test
    period counts as relevant; otherwise both sides leave out what was bought before. ``engine`` fits the
    algorithms (``ml.engine``; Ray: side by side).
    """
    algorithms = list(algorithms or [a for a in ALGORITHMS if a != "gru"])
    for name in algorithms:
        if name not in ALGORITHMS:
            raise ConfigError("recommend.error.unknown_algorithm", name=name, allowed=", ".join(ALGORITHMS))
    train, test = time_split(frame, test_days)
    # Candidates are the products known at the cut: a product first sold in the test period would otherwise be a
    # candidate whose only purchases are the ones being predicted.
    interactions = build_interactions(train, weighting, half_life_days)
    table, best, errors, rows = score_algorithms(interactions, lambda: relevant_items(test, interactions, not repeat),
                                                 algorithms, k, test_days, seed, repeat, progress, engine)
    launches = evaluate_new_launches(frame, train, test, interactions, k)
    return EvaluationResult(table, k, test_days, len(rows), interactions.n_products, best, errors, launches)


def score_algorithms(interactions: Interactions, relevant, algorithms: list[str], k: int, test_days: int, seed: int,
                     repeat: bool, progress: ProgressSink | None = None, engine: Engine | None = None):
    """Fit every algorithm on the training side ``interactions`` and score its top-k against ``relevant()`` (customer
    row -> products bought in the test period): (the metrics table, the best algorithm, errors, customers scored).
    Shared by the frame's evaluation and a saved dataset's built in place (``ml.pushdown.interactions``)."""
    check_shape(interactions)
    if k > interactions.n_products:
        raise ConfigError("recommend.error.k_too_large", k=k, products=interactions.n_products)
    relevant = relevant()
    if not relevant:
        raise DataError("recommend.error.empty_test", days=test_days)
    rows = np.fromiter(relevant.keys(), dtype=np.int64)
    truth = [relevant[int(r)] for r in rows]
    sink = as_progress(progress)
    engine = engine or LocalEngine()
    local = isinstance(engine, LocalEngine)  # progress and stop reach the fits in this process only
    score = functools.partial(score_algorithm, interactions=interactions, rows=rows, truth=truth, k=k, repeat=repeat,
                              seed=seed, count=len(algorithms), progress=sink if local else None)

    finished = [0]  # in the order the engine finishes them (Ray: not the order given): the share done only grows

    def done(i: int, outcome: dict | None) -> None:
        finished[0] += 1
        if outcome is not None and "error" not in outcome:
            name = algorithms[i]
            sink.part((finished[0] - 1) / len(algorithms), 1 / len(algorithms), name).report(name, 1, 1)

    outcomes = [o for o in engine.map(score, list(enumerate(algorithms)), on_result=done) if o is not None]
    records = [o for o in outcomes if "error" not in o]
    errors = {o["algorithm"]: o["error"] for o in outcomes if "error" in o}
    table = pd.DataFrame(records, columns=["algorithm", *METRICS, "fit_seconds", "eval_seconds"])
    best = None
    if not table.empty and table["ndcg"].notna().any():
        best = str(table.loc[table["ndcg"].idxmax(), "algorithm"])
    return table, best, errors, rows


def score_algorithm(item: tuple[int, str], interactions: Interactions, rows: np.ndarray, truth: list[np.ndarray],
                    k: int, repeat: bool, seed: int, count: int,
                    progress: ProgressSink | None = None) -> dict | None:
    """Fit one algorithm (``item``: its position and name) and score its top-k: a table row, {algorithm, error (a
    Message)} for a typed error, or None when ``progress.stop`` was set before it started. The fit reports to its
    share of ``progress`` (algorithm ``i`` of ``count``, per cent of the whole evaluation)."""
    i, name = item
    sink = as_progress(progress)
    if sink.stopped:
        return None
    started = time.perf_counter()
    try:
        model = make_recommender(name, seed).fit(interactions, sink.part(i / count, 1 / count, name))
        fitted = time.perf_counter()
        top = model.recommend_many(rows, k, exclude_seen=not repeat)
    except (DataError, ConfigError) as err:
        return {"algorithm": name, "error": err.message}
    return {"algorithm": name, **ranking_metrics(top, truth, k, interactions.n_products),
            "fit_seconds": fitted - started, "eval_seconds": time.perf_counter() - fitted}


def evaluate_new_launches(frame: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, interactions: Interactions,
                          k: int) -> NewLaunchResult | None:
    """Score the cold-start path for products first sold after the cut (None when there are none).

    Product text comes from ``frame`` (a launch's name and description are known once it is listed); what each
    customer bought comes from the training period only."""
    if Col.PRODUCT_ID not in test.columns:
        return None
    known = set(train[Col.PRODUCT_ID].dropna().astype(str))
    launches = np.array(sorted(set(test[Col.PRODUCT_ID].dropna().astype(str)) - known), dtype=object)
    if not len(launches):
        return None
    launch_index = {p: i for i, p in enumerate(launches)}
    relevant: dict[int, set[int]] = {}
    if Col.CUSTOMER_ID in test.columns:
        quantity = test[Col.QUANTITY] if Col.QUANTITY in test.columns else pd.Series(1.0, index=test.index)
        work = pd.DataFrame({"c": test[Col.CUSTOMER_ID].astype("string"), "p": test[Col.PRODUCT_ID].astype("string"),
                             "q": quantity.astype(float)}).dropna()
        net = work.groupby(["c", "p"], observed=True)["q"].sum()
        for (customer, product), q in net.items():
            row = interactions.customer_index(customer)
            if q > 0 and row is not None and product in launch_index:
                relevant.setdefault(row, set()).add(launch_index[product])
    k_new = min(k, len(launches))
    if not relevant:
        return NewLaunchResult(len(launches), 0, 0, k_new, dict.fromkeys(METRICS, float("nan")))
    from ml.recommend.base import top_n_rows

    vectors = tfidf_vectors(product_text(frame, np.concatenate([interactions.product_ids, launches])))
    similarity = np.asarray((vectors[: interactions.n_products] @ vectors[interactions.n_products :].T).todense())
    rows = np.fromiter(relevant.keys(), dtype=np.int64)
    bought = interactions.matrix[rows]
    scores = np.zeros((len(rows), len(launches)))
    for i in range(len(rows)):  # a launch scores its best match among what the customer bought
        items = bought.indices[bought.indptr[i] : bought.indptr[i + 1]]
        if len(items):
            scores[i] = similarity[items].max(axis=0)
    top = top_n_rows(scores, k_new)
    truth = [np.asarray(sorted(relevant[int(r)])) for r in rows]
    metrics = ranking_metrics(top, truth, k_new, len(launches))
    return NewLaunchResult(len(launches), len(rows), sum(len(v) for v in relevant.values()), k_new, metrics)


def check_shape(interactions: Interactions) -> None:
    """Collaborative filtering needs at least two customers and two products."""
    if interactions.n_customers < 2:
        raise DataError("recommend.error.one_customer")
    if interactions.n_products < 2:
        raise DataError("recommend.error.one_product")

