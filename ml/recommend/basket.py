"""Frequently bought together: product pairs that the same buyer purchases together or one shortly after the other.

A pair (A, B) counts a buyer once when they bought B on the day they bought A or within ``window_days`` after it
(same-order pairs are included because they share the day). A guest order (no customer id) is its own buyer, so
its same-order pairs count too; without a customer column every order is a buyer. Purchases a buyer returned in
full (net quantity <= 0) are left out.

support = n_customers / buyers, confidence = n_customers / buyers of A, lift = confidence / (buyers of B / buyers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ml.schema import Col, DataError

PAIR_COLUMNS = ["product_a", "product_b", "n_customers", "support", "confidence", "lift"]
_CHUNK_PAIRS = 4_000_000  # pairs generated per chunk of buyers: bounds memory on heavy buyers


def buyer_product_days(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """(buyer code, product code, day number) of every distinct net purchase, plus the product ids.

    Buyers are customer ids, or ``order:<order id>`` for lines without one (guests, or data with no customers).
    """
    if Col.PRODUCT_ID not in frame.columns or Col.DATE not in frame.columns:
        raise DataError("recommend.error.needs_products")
    has_customer = Col.CUSTOMER_ID in frame.columns
    has_order = Col.ORDER_ID in frame.columns
    if not has_customer and not has_order:
        raise DataError("recommend.error.needs_customers_or_orders")
    if has_customer:
        buyer = frame[Col.CUSTOMER_ID].astype("string")
        if has_order:
            guest = buyer.isna()
            buyer = buyer.where(~guest, "order:" + frame[Col.ORDER_ID].astype("string").str.removesuffix("-R"))
    else:
        buyer = "order:" + frame[Col.ORDER_ID].astype("string")
    quantity = frame[Col.QUANTITY] if Col.QUANTITY in frame.columns else pd.Series(1.0, index=frame.index)
    work = pd.DataFrame({"buyer": buyer, "product": frame[Col.PRODUCT_ID].astype("string"), "q": quantity.astype(float)})
    work = work.dropna(subset=["buyer", "product", "q"])
    net = work.groupby(["buyer", "product"], sort=False, observed=True)["q"].transform("sum")
    days = frame.loc[work.index, Col.DATE].dt.normalize()
    sales = (work["q"] > 0) & (net > 0)
    work = work.loc[sales]
    day = ((days.loc[work.index] - days.min()).dt.days).to_numpy(np.int64)
    buyer_codes, _ = pd.factorize(work["buyer"], sort=True)
    product_codes, products = pd.factorize(work["product"], sort=True)
    keep = pd.DataFrame({"b": buyer_codes, "p": product_codes, "d": day}).drop_duplicates()
    return keep["b"].to_numpy(np.int64), keep["p"].to_numpy(np.int64), keep["d"].to_numpy(np.int64), pd.Index(products)


def _sorted_unique(values: np.ndarray, counts: bool = False):
    """np.unique by sorting (numpy's hash-based unique is several times slower on tens of millions of int64)."""
    values = np.sort(values)
    first = np.ones(len(values), dtype=bool)
    first[1:] = values[1:] != values[:-1]
    if not counts:
        return values[first]
    starts = np.flatnonzero(first)
    return values[starts], np.diff(np.append(starts, len(values)))


def _pair_counts(buyer: np.ndarray, product: np.ndarray, day: np.ndarray, n_products: int, window_days: int) -> sp.coo_matrix:
    """Sparse matrix [A, B] = number of buyers who bought B within window_days after (or with) A."""
    order = np.lexsort((day, buyer))
    buyer, product, day = buyer[order], product[order], day[order]
    span = int(day.max()) + window_days + 2 if len(day) else 1
    key = buyer * span + day
    hi = np.searchsorted(key, key + window_days, side="right")
    lo = np.searchsorted(key, key, side="left")  # from the first purchase of the same day: same-day pairs both ways
    counts_per_row = hi - lo  # includes the row itself
    found: list[np.ndarray] = []
    start = 0
    n = len(key)
    cumulative = np.cumsum(counts_per_row)
    while start < n:
        # a chunk ends on a buyer boundary so that a buyer's pairs are deduplicated together
        limit = (cumulative[start - 1] if start else 0) + _CHUNK_PAIRS
        end = int(np.searchsorted(cumulative, limit, side="right"))
        end = max(end, start + 1)
        end = int(np.searchsorted(buyer, buyer[end - 1], side="right"))  # whole buyers only
        rows = np.repeat(np.arange(start, end), counts_per_row[start:end])
        offsets = np.arange(len(rows)) - np.repeat(np.cumsum(counts_per_row[start:end]) - counts_per_row[start:end], counts_per_row[start:end])
        cols = lo[rows] + offsets
        a, b = product[rows], product[cols]
        distinct = a != b
        code = (buyer[rows[distinct]] * n_products + a[distinct]) * n_products + b[distinct]
        code = _sorted_unique(code)
        found.append(code % (n_products * n_products))
        start = end
    pair, count = _sorted_unique(np.concatenate(found) if found else np.zeros(0, np.int64), counts=True)
    return sp.coo_matrix((count.astype(np.int64), (pair // n_products, pair % n_products)), shape=(n_products, n_products))


def no_pairs() -> pd.DataFrame:
    """No co-purchase pairs, with the columns and types of ``co_purchase_pairs``."""
    return pd.DataFrame({c: pd.Series(dtype="string" if c.startswith("product") else float) for c in PAIR_COLUMNS})


def co_purchase_pairs(frame: pd.DataFrame, window_days: int = 14, min_customers: int = 5, max_basket: int | None = 100) -> pd.DataFrame:
    """Pairs (A, B) bought by at least ``min_customers`` buyers with B on the day of A or up to window_days later.

    Columns ``product_a, product_b, n_customers, support, confidence, lift``, sorted by n_customers then lift.
    A buyer's day with more than ``max_basket`` distinct products (a wholesale order) pairs everything with everything:
    it is left out of the pairs (the buyer still counts in the totals). On UCI Online Retail 667 such days out of
    18,888 would make three quarters of all pairs.
    """
    if window_days < 0:
        raise DataError("recommend.error.bad_window", window=window_days)
    buyer, product, day, products = buyer_product_days(frame)
    if len(buyer) == 0:
        return no_pairs()
    n_products = len(products)
    n_buyers = int(buyer.max()) + 1
    keep_rows = np.ones(len(buyer), dtype=bool)
    if max_basket:
        day_key = buyer * (int(day.max()) + 1) + day
        _, inverse, sizes = np.unique(day_key, return_inverse=True, return_counts=True)
        keep_rows = sizes[inverse] <= max_basket
    counts = _pair_counts(buyer[keep_rows], product[keep_rows], day[keep_rows], n_products, window_days).tocoo()
    buyers_per_product = np.bincount(sp.coo_matrix((np.ones(len(buyer)), (buyer, product))).tocsr().tocoo().col, minlength=n_products)
    keep = counts.data >= max(1, min_customers)
    a, b, n = counts.row[keep], counts.col[keep], counts.data[keep].astype(np.int64)
    ids = products.to_numpy()
    return make_pairs(ids[a], ids[b], n, n_buyers, buyers_per_product[a], buyers_per_product[b])


def make_pairs(product_a: np.ndarray, product_b: np.ndarray, n: np.ndarray, n_buyers: int, buyers_a: np.ndarray,
               buyers_b: np.ndarray) -> pd.DataFrame:
    """The pairs table from each pair's buyer count and each side's buyers (shared with the in-place count of one
    product's pairs, ``ml.pushdown.customers``): support, confidence and lift, best first."""
    n = np.asarray(n, dtype=np.int64)
    support = n / n_buyers
    confidence = n / np.asarray(buyers_a)
    lift = confidence / (np.asarray(buyers_b) / n_buyers)
    out = pd.DataFrame(
        {
            "product_a": pd.array(np.asarray(product_a, dtype=object), dtype="string"),
            "product_b": pd.array(np.asarray(product_b, dtype=object), dtype="string"),
            "n_customers": n,
            "support": support,
            "confidence": confidence,
            "lift": lift,
        }
    )
    return out.sort_values(["n_customers", "lift", "product_a", "product_b"], ascending=[False, False, True, True], ignore_index=True)


def bought_together(pairs: pd.DataFrame, product_id: str, n: int = 10, by: str = "lift") -> pd.DataFrame:
    """The pairs whose first product is ``product_id``, best first (by lift, confidence or n_customers)."""
    rows = pairs[pairs["product_a"] == product_id]
    return rows.sort_values([by, "n_customers"], ascending=False).head(n).reset_index(drop=True)
