"""Customer segments: k-means clusters in a factor space (truncated SVD of the interactions) or on RFM scores.

Each segment is described by its size and its top categories (share of its purchases), so an analyst can name it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.recommend.interactions import Interactions
from ml.schema import Col, ConfigError, DataError

SEGMENT_METHODS = ["factors", "rfm"]


@dataclass
class Segmentation:
    labels: np.ndarray  # [customers] segment number 0..k-1
    summary: pd.DataFrame  # segment, customers, share, top_categories (list of (category, share)), recency, frequency
    method: str


def segment_customers(interactions: Interactions, frame: pd.DataFrame | None = None, n_segments: int = 4,
                      method: str = "factors", seed: int = 0) -> Segmentation:
    """Cluster customers; ``frame`` (canonical transactions, or a large saved dataset's ``ParquetTable``) is needed
    for RFM."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import StandardScaler, normalize

    if method not in SEGMENT_METHODS:
        raise ConfigError("recommend.error.bad_segment_method", value=method, allowed=", ".join(SEGMENT_METHODS))
    n = interactions.n_customers
    if n < n_segments or n_segments < 2:
        raise DataError("recommend.error.too_few_customers_for_segments", customers=n, segments=n_segments)
    rfm = _rfm(interactions, frame) if frame is not None else None
    if method == "factors":
        x = normalize(interactions.matrix.astype(np.float64), norm="l2")
        k = max(1, min(16, min(x.shape) - 1))
        features = TruncatedSVD(n_components=k, random_state=seed).fit_transform(x) if k < min(x.shape) else x.toarray()
        features = normalize(features)
    else:
        if rfm is None:
            raise DataError("recommend.error.rfm_needs_transactions")
        features = StandardScaler().fit_transform(np.log1p(rfm[["recency", "frequency", "monetary"]].to_numpy(float)))
    labels = KMeans(n_clusters=n_segments, n_init=4, random_state=seed).fit_predict(features)
    return Segmentation(labels, _summary(interactions, labels, rfm), method)


def rfm_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """Per customer id (as text) among sale lines: the last purchase's date, the orders (distinct ids; dates without
    an order column) and the money (revenue, else units, else lines). A large saved dataset's come from one GROUP BY
    in place (``ml.pushdown.customers.query_rfm_sums``)."""
    sales = frame[(frame[Col.QUANTITY] > 0) if Col.QUANTITY in frame.columns else slice(None)]
    sales = sales.dropna(subset=[Col.CUSTOMER_ID])
    value = sales[Col.REVENUE] if Col.REVENUE in sales.columns else sales.get(Col.QUANTITY, pd.Series(1.0, index=sales.index))
    orders = sales[Col.ORDER_ID] if Col.ORDER_ID in sales.columns else sales[Col.DATE]
    grouped = pd.DataFrame({"c": sales[Col.CUSTOMER_ID].astype("string"), "d": sales[Col.DATE], "o": orders, "v": value.astype(float)}).groupby("c")
    return pd.DataFrame({"last": grouped["d"].max(), "frequency": grouped["o"].nunique(), "monetary": grouped["v"].sum()})


def _rfm(interactions: Interactions, frame) -> pd.DataFrame:
    """Recency (days since last purchase), frequency (orders), monetary (revenue or units) per customer row."""
    if isinstance(frame, pd.DataFrame):
        sums = rfm_sums(frame)
    else:  # a large saved dataset's ``ParquetTable`` (ml.pushdown)
        from ml.pushdown.customers import query_rfm_sums

        sums = query_rfm_sums(frame)
    out = pd.DataFrame({"recency": (interactions.end - sums["last"]).dt.days, "frequency": sums["frequency"], "monetary": sums["monetary"]})
    out = out.reindex(pd.Index(interactions.customer_ids, dtype="string")).fillna(0.0)
    out["monetary"] = out["monetary"].clip(lower=0)
    return out


def _summary(interactions: Interactions, labels: np.ndarray, rfm: pd.DataFrame | None) -> pd.DataFrame:
    rows = []
    categories = np.asarray([c if c else "" for c in interactions.product_categories], dtype=object)
    has_categories = any(categories)
    for segment in range(int(labels.max()) + 1):
        members = np.flatnonzero(labels == segment)
        bought = np.asarray(interactions.matrix[members].sum(axis=0)).ravel()
        top: list[tuple[str, float]] = []
        if has_categories and bought.sum() > 0:
            shares = pd.Series(bought).groupby(categories).sum()
            shares = shares[shares.index != ""] / bought.sum()
            top = [(str(c), float(s)) for c, s in shares.sort_values(ascending=False).head(3).items()]
        top_products = [str(interactions.product_names[i]) for i in np.argsort(-bought, kind="stable")[:3] if bought[i] > 0]
        row = {"segment": segment + 1, "customers": len(members), "share": len(members) / len(labels), "top_categories": top, "top_products": top_products}
        if rfm is not None:
            part = rfm.iloc[members]
            row |= {"recency": float(part["recency"].median()), "frequency": float(part["frequency"].median()), "monetary": float(part["monetary"].median())}
        rows.append(row)
    return pd.DataFrame(rows)
