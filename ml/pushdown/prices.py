"""The pricing panel (per product and day or complete week: units, revenue, the day's usual price, promo) computed by
DuckDB over a saved dataset's Parquet, with the same rules as ``ml.pricing.panel`` (sale lines at a positive finite
price; a day's price is the one on most of its lines, registered customers first, ties the higher; the list price
from the last eight weeks, counting lines), finished by its ``finish_panel``."""

from __future__ import annotations

import pandas as pd

from ml.pushdown.explore import query_product_names
from ml.pushdown.table import ParquetTable, query, where
from ml.schema import Col, DataError


def _valid_lines(table: ParquetTable, filters) -> tuple[str, list]:
    """Sale lines with their product, day, quantity, price, price key (to the cent; under 1, to 1/100 cent, rounded
    half to even as numpy does), promo and guest flag; ``ok``: the price is positive and finite. Among the lines
    ``filters`` select; with the parameters of its WHERE clause."""
    if Col.UNIT_PRICE in table:
        price = f"CAST({Col.UNIT_PRICE} AS DOUBLE)"
    else:
        price = f"abs(CAST({Col.REVENUE} AS DOUBLE) / CAST({Col.QUANTITY} AS DOUBLE))"
    promo = f"coalesce(CAST({Col.PROMO} AS DOUBLE), 0)" if Col.PROMO in table else "0.0"
    guest = f"{Col.CUSTOMER_ID} IS NULL" if Col.CUSTOMER_ID in table else "false"
    clause, params = where(table, filters, (f"{Col.QUANTITY} > 0", f"{Col.PRODUCT_ID} IS NOT NULL"))
    return f"""
        SELECT CAST({Col.PRODUCT_ID} AS VARCHAR) AS product_id, CAST(date_trunc('day', {Col.DATE}) AS TIMESTAMP) AS day,
               CAST({Col.QUANTITY} AS DOUBLE) AS qty, {price} AS price, {promo} AS promo, {guest} AS guest,
               coalesce({price} > 0 AND isfinite({price}), false) AS ok,
               CASE WHEN {price} >= 1 THEN round_even({price}, 2) ELSE round_even({price}, 4) END AS key
        FROM lines {clause}""", params


# a day's price: the key on most lines, registered customers' lines first, ties the higher, as one HUGEINT to
# arg_max (registered flag, line count, key in 1/10,000: a list ``[guest, -n, -key]`` compared element-wise cost
# 1.6x as much at 2M lines); keys are positive, counts below 2^40. A key is capped at 2^59 (in 1/10,000: prices
# from ~5.8 * 10^13, e.g. a barcode typed into the price column) so that it never carries into the count's bits nor
# overflows the cast: such prices then tie among themselves, and the count still decides as in pandas
_DAY_PRICE_RANK = ("(CAST(NOT guest AS HUGEINT) << 100) + (CAST(n AS HUGEINT) << 60) "
                   "+ CAST(least(round(key * 10000), 576460752303423488.0) AS HUGEINT)")


def query_price_panel(table: ParquetTable, freq: str = "D", filters=None):
    """``ml.pricing.make_price_panel`` of the lines ``filters`` (``ml.series.Filters``) select, aggregated in place."""
    from ml.pricing.panel import RECENT_DAYS, finish_panel

    clause, params = where(table, filters)
    span = query(table, f"SELECT count(*) AS n, min(date_trunc('day', {Col.DATE})) AS first, "
                        f"max(date_trunc('day', {Col.DATE})) AS last FROM lines {clause}", params).iloc[0]
    if int(span["n"]) == 0:
        raise DataError("pricing.error.no_rows")
    valid, valid_params = _valid_lines(table, filters)
    # one pass: per product, day, guest flag and price key its lines and sums, then per product and day the sums
    # and the price on most lines (no join of every line back to its day's price)
    days = f"""
        WITH v AS ({valid}), ok AS (SELECT * FROM v WHERE ok),
        counts AS (SELECT product_id, day, guest, key, count(*) AS n, sum(qty) AS units, sum(qty * price) AS revenue,
                          max(promo) AS promo FROM ok GROUP BY ALL),
        days AS (SELECT product_id, day AS period, sum(units) AS units, sum(revenue) AS revenue, max(promo) AS promo,
                        arg_max(key, {_DAY_PRICE_RANK}) AS price
                 FROM counts GROUP BY ALL)
        SELECT *, price * units AS value FROM days"""
    if freq == "W":  # summed into Monday weeks here (as finish_panel does: it keeps the complete ones), so a
        # product's days never come back to pandas one by one (20,000 products x 730 days at 20M lines)
        days = f"""
            SELECT product_id, CAST(date_trunc('week', period) AS TIMESTAMP) AS period, sum(units) AS units,
                   sum(revenue) AS revenue, avg(promo) AS promo, sum(value) / sum(units) AS price, sum(value) AS value
            FROM ({days}) GROUP BY ALL"""
    # fetched through Arrow: a million rows of text ids reach pandas in half the time of DuckDB's own conversion
    daily = query(table, f"{days} ORDER BY product_id, period", valid_params, arrow=True)
    daily["period"] = pd.to_datetime(daily["period"]).astype(table.date_dtype)
    current = query(table, f"""
        WITH v AS ({valid}), ok AS (SELECT * FROM v WHERE ok),
        recent AS (SELECT product_id, key, CAST(promo >= 0.5 AS INTEGER) + CAST(guest AS INTEGER) AS rank FROM ok
                   QUALIFY day > max(day) OVER (PARTITION BY product_id) - INTERVAL {RECENT_DAYS} DAY),
        best AS (SELECT * FROM recent QUALIFY rank = min(rank) OVER (PARTITION BY product_id)),
        counts AS (SELECT product_id, key, count(*) AS n FROM best GROUP BY ALL)
        SELECT product_id, arg_max(key, [CAST(n AS DOUBLE), key]) AS price FROM counts GROUP BY ALL""", valid_params)
    checks = query(table, f"""
        WITH v AS ({valid})
        SELECT count(*) FILTER (WHERE NOT ok) AS invalid, list(DISTINCT product_id) AS sold FROM v""",
                   valid_params).iloc[0]
    costs = {}
    if Col.UNIT_COST in table:
        cost_clause, cost_params = where(table, filters, (f"{Col.UNIT_COST} > 0", f"{Col.PRODUCT_ID} IS NOT NULL"))
        out = query(table, f"""
            SELECT CAST({Col.PRODUCT_ID} AS VARCHAR) AS p,
                   arg_max({Col.UNIT_COST}, [epoch_us({Col.DATE}), file_row_number]) AS cost
            FROM lines {cost_clause} GROUP BY 1""", cost_params)
        costs = {str(k): float(v) for k, v in zip(out["p"], out["cost"], strict=True)}
    names = {str(k): str(v) for k, v in query_product_names(table, filters).items()}
    unit = table.date_dtype.removeprefix("datetime64[").removesuffix("]")
    first, last = (pd.Timestamp(span[c]).as_unit(unit) for c in ("first", "last"))
    return finish_panel(daily, freq, first, last, int(checks["invalid"]), set(_list(checks["sold"])), costs, names,
                        {str(k): float(v) for k, v in zip(current["product_id"], current["price"], strict=True)},
                        summed=freq == "W")


def _list(values) -> list:
    return [] if values is None else list(values)
