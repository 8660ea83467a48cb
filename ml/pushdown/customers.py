"""The Recommendations page's line-level sections on a saved dataset queried in place, each a bounded query: one
customer's purchase history (their lines), the RFM sums (one GROUP BY customer) and what is bought with one product
(``ml.recommend.basket``'s pairs counted among that product's buyers alone). Same rules and answers as the pandas
path on the same lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.pushdown.buyers import buyer_lines, buyers_of, count_buyers, kept_buyer_counts
from ml.pushdown.table import ParquetTable, connect, query
from ml.schema import Col, DataError

WINDOW_DAYS, MIN_CUSTOMERS, MAX_BASKET = 14, 5, 100  # ml.recommend.basket.co_purchase_pairs's defaults


def query_history(table: ParquetTable, customer_id: str) -> pd.DataFrame:
    """``ml.recommend.service.purchase_history``: the customer's lines, newest first, ties in file order."""
    from ml.recommend.service import history_columns

    if Col.CUSTOMER_ID not in table:
        raise DataError("recommend.error.needs_customers")
    columns = history_columns(table.columns)
    out = query(table, f"SELECT {', '.join(columns)} FROM lines WHERE CAST({Col.CUSTOMER_ID} AS VARCHAR) = ? "
                       f"ORDER BY {Col.DATE} DESC, file_row_number", [str(customer_id)])
    out[Col.DATE] = pd.to_datetime(out[Col.DATE]).astype(table.date_dtype)
    # the file's types (a name or category stored as a dictionary is categorical there: of the values shown here)
    return out.astype({c: "category" if isinstance(t, pd.CategoricalDtype) else t
                       for c, t in table.dtypes.items() if c in out.columns and c != Col.DATE})


def query_rfm_sums(table: ParquetTable) -> pd.DataFrame:
    """``ml.recommend.segments.rfm_sums``: per customer among sale lines, the last date, the orders and the money."""
    if Col.CUSTOMER_ID not in table:
        raise DataError("recommend.error.needs_customers")
    value = Col.REVENUE if Col.REVENUE in table else Col.QUANTITY if Col.QUANTITY in table else "1.0"
    orders = Col.ORDER_ID if Col.ORDER_ID in table else Col.DATE
    sale = f" AND {Col.QUANTITY} > 0" if Col.QUANTITY in table else ""
    out = query(table, f"""
        SELECT CAST({Col.CUSTOMER_ID} AS VARCHAR) AS c, max({Col.DATE}) AS last,
               count(DISTINCT {orders}) AS frequency, coalesce(sum(CAST({value} AS DOUBLE)), 0) AS monetary
        FROM lines WHERE {Col.CUSTOMER_ID} IS NOT NULL{sale} GROUP BY 1""")
    out["last"] = pd.to_datetime(out["last"]).astype(table.date_dtype)
    return out.set_index(pd.Index(out.pop("c"), dtype="string", name="c")).astype(
        {"frequency": "int64", "monetary": float})


def _sold(table: ParquetTable) -> str:
    """The lines that sold the product ``$product`` (its buyers are those whose pairs count): the table ``sold``."""
    sale = f" AND {Col.QUANTITY} > 0" if Col.QUANTITY in table else ""
    return f"CAST({Col.PRODUCT_ID} AS VARCHAR) = $product{sale}"


def _of_buyers(table: ParquetTable) -> str:
    """A filter on raw columns that keeps every line of ``$product``'s buyers, so the buyer of each line is worked
    out for those alone (a guest's order id cleaned of ``-R`` on 20M lines cost most of the query): their customer
    ids, and for guests their orders with or without ``-R`` (from the table ``sold``, read from the file once)."""
    customer, order = f"CAST({Col.CUSTOMER_ID} AS VARCHAR)", f"CAST({Col.ORDER_ID} AS VARCHAR)"
    has_customer, has_order = Col.CUSTOMER_ID in table, Col.ORDER_ID in table
    sold = "SELECT * FROM sold"
    if not has_customer:
        return f"{order} IN (SELECT {order} FROM ({sold}))"
    registered = f"{customer} IN (SELECT {customer} FROM ({sold}) WHERE {Col.CUSTOMER_ID} IS NOT NULL)"
    if not has_order:
        return registered
    base = f"regexp_replace({order}, '-R$', '')"
    guests = f"SELECT {base} AS o FROM ({sold}) WHERE {Col.CUSTOMER_ID} IS NULL"
    return (f"({registered} OR ({Col.CUSTOMER_ID} IS NULL AND {order} IN "
            f"(SELECT o FROM ({guests}) UNION ALL SELECT o || '-R' FROM ({guests}))))")


def query_product_pairs(table: ParquetTable, product_id: str, window_days: int = WINDOW_DAYS,
                        min_customers: int = MIN_CUSTOMERS, max_basket: int | None = MAX_BASKET) -> pd.DataFrame:
    """``co_purchase_pairs`` of the lines whose first product is ``product_id``: the same counts, computed among the
    lines of that product's buyers alone (the whole file's buyer counts kept beside it)."""
    from ml.recommend.basket import make_pairs

    none = make_pairs(*[np.zeros(0)] * 3, 1, np.zeros(0), np.zeros(0))  # the types of a frame's pairs, no rows

    if window_days < 0:
        raise DataError("recommend.error.bad_window", window=window_days)
    counts = kept_buyer_counts(table) or count_buyers(table)
    product = str(product_id)
    if product not in counts.kept and counts.complete:  # nobody bought it
        return none
    con = connect()
    try:
        con.execute(f"CREATE TEMP VIEW lines AS SELECT * FROM {table.source()}")
        con.execute(f"CREATE TEMP TABLE sold AS SELECT * FROM lines WHERE {_sold(table)}", {"product": product})
        out = con.execute(f"""
            WITH sellers AS ({buyer_lines(table, source="sold")}),
            w AS ({buyer_lines(table, _of_buyers(table))}),
            mine AS (SELECT * FROM w WHERE buyer IN (SELECT buyer FROM sellers)),
            net AS (SELECT buyer, product FROM mine GROUP BY ALL HAVING sum(q) > 0),
            bought AS (SELECT DISTINCT buyer, product, day FROM mine JOIN net USING (buyer, product) WHERE q > 0),
            kept AS (SELECT * FROM bought QUALIFY count(*) OVER (PARTITION BY buyer, day) <= $basket),
            a AS (SELECT buyer, day FROM kept WHERE product = $product)
            SELECT b.product, count(DISTINCT b.buyer) AS n
            FROM a JOIN kept b ON a.buyer = b.buyer AND b.day >= a.day AND b.day <= a.day + $window
            WHERE b.product <> $product GROUP BY 1 HAVING count(DISTINCT b.buyer) >= $least""",
            {"product": product, "basket": max_basket or 2**62, "window": int(window_days),
             "least": max(1, min_customers)}).df()
    finally:
        con.close()
    if out.empty:
        return none
    others = out["product"].astype(str).to_numpy(dtype=object)
    per_product = buyers_of(table, counts, [product, *others])
    return make_pairs(np.full(len(out), product, dtype=object), others, out["n"].to_numpy(np.int64), counts.buyers,
                      np.full(len(out), per_product[product]), np.array([per_product[p] for p in others]))
