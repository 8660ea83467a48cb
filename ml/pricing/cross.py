"""Cross-price hints: products bought by the same customers around the same time, so that repricing one may move
the other. Pairs come from the Recommendations engine (``ml.recommend.basket.co_purchase_pairs``: B bought on the
day of A or within ``window_days`` after it); when that module is not available, a same-order lift is computed here.

A pair is a complement when its lift is at least ``COMPLEMENT_LIFT``; two products of the same category bought
together clearly less often than chance (lift at most ``SUBSTITUTE_LIFT``) are flagged as possible substitutes.
These are hints, not cross-elasticities: the estimates above treat every product on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.schema import Col

COMPLEMENT_LIFT = 1.5
SUBSTITUTE_LIFT = 0.8
KINDS = ("complement", "substitute")
SOURCES = ("recommend", "local")


def co_purchases(frame: pd.DataFrame, window_days: int = 14, min_customers: int = 5) -> tuple[pd.DataFrame, str]:
    """(pairs product_a, product_b, n_customers, lift, source)."""
    try:
        from ml.recommend.basket import co_purchase_pairs
    except ImportError:
        return same_order_pairs(frame, min_customers), "local"
    return co_purchase_pairs(frame, window_days=window_days, min_customers=min_customers), "recommend"


def same_order_pairs(frame: pd.DataFrame, min_orders: int = 5) -> pd.DataFrame:
    """Fallback: pairs in the same order, with lift = P(A and B) / (P(A)·P(B)) over orders."""
    if Col.ORDER_ID not in frame or Col.PRODUCT_ID not in frame:
        return pd.DataFrame(columns=["product_a", "product_b", "n_customers", "lift"])
    lines = frame.loc[frame[Col.QUANTITY] > 0] if Col.QUANTITY in frame else frame
    lines = lines[[Col.ORDER_ID, Col.PRODUCT_ID]].drop_duplicates().astype(str)
    n_orders = lines[Col.ORDER_ID].nunique()
    pairs = lines.merge(lines, on=Col.ORDER_ID)
    pairs = pairs.loc[pairs[f"{Col.PRODUCT_ID}_x"] != pairs[f"{Col.PRODUCT_ID}_y"]]
    counts = pairs.groupby([f"{Col.PRODUCT_ID}_x", f"{Col.PRODUCT_ID}_y"]).size().rename("n_customers").reset_index()
    counts.columns = ["product_a", "product_b", "n_customers"]
    share = lines.groupby(Col.PRODUCT_ID)[Col.ORDER_ID].nunique() / n_orders
    counts["lift"] = counts["n_customers"] / n_orders / (counts["product_a"].map(share) * counts["product_b"].map(share))
    return counts.loc[counts["n_customers"] >= min_orders].reset_index(drop=True)


def cross_price_hints(pairs: pd.DataFrame, product_id: str, categories: dict[str, str] | None = None,
                      suggestions: pd.DataFrame | None = None, top: int = 5) -> pd.DataFrame:
    """The products related to ``product_id``: partner, kind, n_customers, lift, and (with ``suggestions``, the
    portfolio table) the partner's suggested price change and whether it is repriced too."""
    columns = ["partner", "kind", "n_customers", "lift", "price_change", "repriced"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    a = pairs.loc[pairs["product_a"] == product_id, ["product_b", "n_customers", "lift"]].rename(columns={"product_b": "partner"})
    b = pairs.loc[pairs["product_b"] == product_id, ["product_a", "n_customers", "lift"]].rename(columns={"product_a": "partner"})
    both = pd.concat([a, b], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=columns)
    both["partner"] = both["partner"].astype(str)
    merged = both.groupby("partner", as_index=False).agg(n_customers=("n_customers", "max"), lift=("lift", "max"))
    categories = categories or {}
    same_category = merged["partner"].map(categories).eq(categories.get(product_id, object()))
    kind = np.where(merged["lift"] >= COMPLEMENT_LIFT, "complement",
                    np.where((merged["lift"] <= SUBSTITUTE_LIFT) & same_category, "substitute", ""))
    merged["kind"] = kind
    merged = merged.loc[merged["kind"] != ""]
    merged = pd.concat([merged.loc[merged["kind"] == "complement"].sort_values("lift", ascending=False),
                        merged.loc[merged["kind"] == "substitute"].sort_values("lift")]).head(top)
    merged["price_change"] = np.nan
    merged["repriced"] = False
    if suggestions is not None and len(merged):
        table = suggestions.set_index("product_id")
        ok = table.loc[table["suggestion_status"] == "ok"]
        change = (ok["suggested_price"] / ok["current_price"] - 1).reindex(merged["partner"]).to_numpy()
        merged["price_change"] = change
        merged["repriced"] = np.abs(np.nan_to_num(change)) > 0.005
    return merged[columns].reset_index(drop=True)
