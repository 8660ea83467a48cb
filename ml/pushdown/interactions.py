"""The recommenders' customer x product matrix of a saved dataset built by DuckDB over its Parquet: the same
``Interactions`` as ``ml.recommend.interactions.build_interactions`` (returns netted per customer and product, one
purchase event per order, popularity counting each guest order as one buyer, the product facts of each product's
first line), aggregated to purchase events in place and put into scipy CSR, never a line-level frame. ``before``
keeps the lines before a day (the training side of the time split); ``query_relevant`` is its test side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml.pushdown.table import ParquetTable, connect
from ml.recommend.interactions import WEIGHTINGS, Interactions, Weighting, _decay
from ml.schema import Col, ConfigError, DataError

NS_PER_SECOND = 1_000_000_000
_FACTS = (Col.PRODUCT_NAME, Col.DESCRIPTION, Col.CATEGORY)  # a product's name, description, category: its first line's


def _lines(table: ParquetTable, before: pd.Timestamp | None, after: pd.Timestamp | None) -> str:
    """Every line with its product, customer, quantity, date and order (an order's returns, ``-R``, are the order)."""
    quantity = f"CAST({Col.QUANTITY} AS DOUBLE)" if Col.QUANTITY in table else "1.0"
    order = (f"regexp_replace(CAST({Col.ORDER_ID} AS VARCHAR), '-R$', '')" if Col.ORDER_ID in table
             else f"strftime({Col.DATE}, '%Y-%m-%d %H:%M:%S')")
    clauses = [f"{Col.PRODUCT_ID} IS NOT NULL"]  # a view takes no parameters: the days as literals
    if before is not None:
        clauses.append(f"{Col.DATE} < TIMESTAMP '{pd.Timestamp(before).isoformat(sep=' ')}'")
    if after is not None:
        clauses.append(f"{Col.DATE} >= TIMESTAMP '{pd.Timestamp(after).isoformat(sep=' ')}'")
    facts = "".join(f", CAST({c} AS VARCHAR) AS {c}" for c in _FACTS if c in table)
    sql = f"""SELECT CAST({Col.PRODUCT_ID} AS VARCHAR) AS product, CAST({Col.CUSTOMER_ID} AS VARCHAR) AS customer,
                     {quantity} AS q, {Col.DATE} AS date, {order} AS ord, file_row_number AS line{facts}
              FROM {table.source()} WHERE {' AND '.join(clauses)}"""
    return sql


def query_interactions(table: ParquetTable, weighting: str = Weighting.BINARY, half_life_days: float | None = None,
                       recent_days: int = 30, before: pd.Timestamp | None = None) -> Interactions:
    """``build_interactions`` of the lines (before ``before``, when given), aggregated in place."""
    if weighting not in WEIGHTINGS:
        raise ConfigError("recommend.error.bad_weighting", value=weighting, allowed=", ".join(WEIGHTINGS))
    if Col.PRODUCT_ID not in table or Col.DATE not in table:
        raise DataError("recommend.error.needs_products")
    if Col.CUSTOMER_ID not in table:
        raise DataError("recommend.error.needs_customers")
    lines = _lines(table, before, None)
    con = connect()
    try:
        con.execute(f"CREATE TEMP VIEW l AS {lines}")
        end = con.execute("SELECT max(date) FROM l").fetchone()[0]
        if end is None:
            raise DataError("recommend.error.no_purchases")
        end = pd.Timestamp(end)
        product_ids = np.array(sorted(r[0] for r in con.execute("SELECT DISTINCT product FROM l").fetchall()),
                               dtype=object)
        products = pd.DataFrame({"product": product_ids, "col": np.arange(len(product_ids), dtype=np.int32)})
        con.register("products", products)
        popularity = _popularity(con, len(product_ids), "true")
        recent_popularity = _popularity(con, len(product_ids), "date > ?", [end - pd.Timedelta(days=recent_days)])
        customer_ids = np.array(sorted(r[0] for r in con.execute(
            "SELECT DISTINCT customer FROM l WHERE customer IS NOT NULL").fetchall()), dtype=object)
        con.register("customers", pd.DataFrame({"customer": customer_ids,
                                                "row": np.arange(len(customer_ids), dtype=np.int32)}))
        # purchase events of the (customer, product) pairs bought net: earliest line, youngest age (its weight)
        end_ns = con.execute("SELECT epoch_ns(max(date)) FROM l").fetchone()[0]
        events = con.execute("""
            WITH registered AS (SELECT * FROM l WHERE customer IS NOT NULL),
            bought AS (SELECT customer, product FROM registered GROUP BY ALL HAVING sum(q) > 0),
            events AS (SELECT customer, product, ord, min(date) AS date, max(epoch_ns(date)) AS last_ns
                       FROM registered JOIN bought USING (customer, product) WHERE q > 0 AND ord IS NOT NULL
                       GROUP BY ALL)
            SELECT c.row, p.col, e.last_ns
            FROM events e JOIN customers c USING (customer) JOIN products p USING (product)
            ORDER BY c.row, e.date, e.ord, p.col""").fetchnumpy()
        facts = con.execute(f"""
            SELECT product{"".join(f", {c}" for c in _FACTS if c in table)} FROM l
            QUALIFY row_number() OVER (PARTITION BY product ORDER BY line) = 1""").df()
    finally:
        con.close()
    rows, cols = events["row"].astype(np.int64), events["col"].astype(np.int64)
    if not len(rows):
        raise DataError("recommend.error.no_customer_purchases")
    # an event's weight is its youngest line's (the decay falls with age); ages in days as pandas computes them
    weights = _decay((end_ns - events["last_ns"].astype(np.int64)) / NS_PER_SECOND / 86400.0, half_life_days)
    matrix = _pair_matrix(rows, cols, weights, weighting, len(customer_ids), len(product_ids))
    bounds = np.searchsorted(rows, np.arange(len(customer_ids) + 1))
    sequences = [cols[bounds[i]: bounds[i + 1]] for i in range(len(customer_ids))]
    names, categories, text = _product_facts(facts, product_ids)
    return Interactions(matrix=matrix, customer_ids=customer_ids, product_ids=product_ids, popularity=popularity,
                        recent_popularity=recent_popularity, product_names=names, product_categories=categories,
                        product_text=text, end=end, weighting=str(weighting), recent_days=recent_days,
                        sequences=sequences)


def _popularity(con, n_products: int, condition: str, params: list | None = None) -> np.ndarray:
    """Distinct buyers per product among sale lines (a guest's order is one buyer)."""
    out = con.execute(f"""
        SELECT p.col, count(*) AS n FROM (
            SELECT DISTINCT coalesce(customer, 'order:' || ord) AS buyer, product FROM l WHERE q > 0 AND {condition})
        JOIN products p USING (product) GROUP BY ALL""", [pd.Timestamp(v).to_pydatetime() for v in params or []])
    counts = out.fetchnumpy()
    popularity = np.zeros(n_products)
    popularity[counts["col"].astype(np.int64)] = counts["n"].astype(float)
    return popularity


def _pair_matrix(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, weighting: str, n_rows: int,
                 n_cols: int) -> sp.csr_matrix:
    """Per (customer, product): the youngest event's weight, their sum, or its log (binary, count, log)."""
    order = np.lexsort((cols, rows))
    r, c, w = rows[order], cols[order], weights[order]
    starts = np.flatnonzero(np.r_[True, (r[1:] != r[:-1]) | (c[1:] != c[:-1])])
    if weighting == Weighting.BINARY:
        values = np.maximum.reduceat(w, starts)
    else:
        values = np.add.reduceat(w, starts)
        if weighting != Weighting.COUNT:
            values = np.log1p(values)
    matrix = sp.csr_matrix((values.astype(np.float32), (r[starts], c[starts])), shape=(n_rows, n_cols))
    matrix.sort_indices()
    return matrix


def _product_facts(facts: pd.DataFrame, product_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name, category and text of each product from its first line (as ``build_interactions`` takes them)."""
    first = facts.set_index("product").reindex(pd.Index(product_ids)).astype("string")
    columns = [c for c in (Col.PRODUCT_NAME, Col.DESCRIPTION, Col.CATEGORY) if c in first]
    if Col.PRODUCT_NAME in first:
        name = first[Col.PRODUCT_NAME]
    elif Col.DESCRIPTION in first:
        name = first[Col.DESCRIPTION]
    else:
        name = pd.Series(pd.NA, index=first.index, dtype="string")
    names = name.fillna(pd.Series(product_ids, index=first.index)).to_numpy(dtype=object)
    categories = first[Col.CATEGORY].fillna("").to_numpy(dtype=object) if Col.CATEGORY in first else \
        np.full(len(product_ids), "", dtype=object)
    parts = [first[c].fillna("") for c in columns]
    text = (parts[0].str.cat(parts[1:], sep=" ") if parts else pd.Series("", index=first.index)).to_numpy(dtype=object)
    return np.asarray(names, dtype=object), np.asarray(categories, dtype=object), np.asarray(text, dtype=object)


def query_relevant(table: ParquetTable, after: pd.Timestamp, interactions: Interactions,
                   new_only: bool = True) -> dict[int, np.ndarray]:
    """``ml.recommend.evaluation.relevant_items`` of the lines from ``after`` on (the test side of the split)."""
    lines = _lines(table, None, after)
    con = connect()
    try:
        con.execute(f"CREATE TEMP VIEW l AS {lines}")
        net = con.execute("SELECT customer, product FROM l WHERE customer IS NOT NULL GROUP BY ALL "
                          "HAVING sum(q) > 0").fetchall()
    finally:
        con.close()
    out: dict[int, list[int]] = {}
    for customer, product in net:
        r, c = interactions.customer_index(customer), interactions.product_index(product)
        if r is None or c is None or (new_only and c in interactions.seen(r)):
            continue
        out.setdefault(r, []).append(c)
    return {r: np.asarray(sorted(v)) for r, v in out.items()}


def query_evaluation(table: ParquetTable, algorithms=None, k: int = 10, test_days: int = 30,
                     weighting: str = Weighting.BINARY, half_life_days: float | None = None, seed: int = 0,
                     repeat: bool = False, progress=None, engine=None):
    """``ml.recommend.evaluation.evaluate_algorithms`` of a saved dataset, both sides of the time split aggregated
    in place (the same cut, matrix, test purchases and so the same metrics). The cold-start score of products
    launched after the cut is left out (``new_launches`` None): it reads every line's text."""
    from ml.recommend.evaluation import EvaluationResult, score_algorithms
    from ml.recommend.registry import ALGORITHMS

    algorithms = list(algorithms or [a for a in ALGORITHMS if a != "gru"])
    for name in algorithms:
        if name not in ALGORITHMS:
            raise ConfigError("recommend.error.unknown_algorithm", name=name, allowed=", ".join(ALGORITHMS))
    if test_days < 1:
        raise ConfigError("recommend.error.bad_test_days", days=test_days)
    first, last = table.date_span
    cut = last + pd.Timedelta(days=1) - pd.Timedelta(days=test_days)
    if first >= cut:  # every line falls in the test period
        raise DataError("recommend.error.test_too_long", days=test_days)
    interactions = query_interactions(table, weighting, half_life_days, before=cut)
    scores, best, errors, rows = score_algorithms(
        interactions, lambda: query_relevant(table, cut, interactions, not repeat), algorithms, k, test_days, seed,
        repeat, progress, engine)
    return EvaluationResult(scores, k, test_days, len(rows), interactions.n_products, best, errors, None)
