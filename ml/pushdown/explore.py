"""The Explore page's aggregates computed by DuckDB over a saved dataset's Parquet: the same definitions as
``ml.explore.totals`` (net sums; orders and customers counted among sale lines; empty ids are no id), returned in
the shapes the pandas path builds, so ``ml.explore`` finishes both alike."""

from __future__ import annotations

import pandas as pd

from ml.explore.kpis import KpiValues
from ml.pushdown.facts import remembered
from ml.pushdown.table import ParquetTable, id_sql, period_sql, query, sale_condition, where
from ml.schema import Col


def _measure_sums(table: ParquetTable) -> list[str]:
    sums = []
    if Col.REVENUE in table:
        sums.append(f"coalesce(sum({Col.REVENUE}), 0) AS revenue")
    if Col.QUANTITY in table:
        sums.append(f"coalesce(sum({Col.QUANTITY}), 0) AS units")
    return sums


def _distinct_counts(table: ParquetTable) -> list[str]:
    sale = sale_condition(table)
    out = []
    for column, name in ((Col.ORDER_ID, "orders"), (Col.CUSTOMER_ID, "customers")):
        if column in table:
            out.append(f"count(DISTINCT {id_sql(column)}) FILTER (WHERE {sale}) AS {name}")
    return out


def selects_all(table: ParquetTable, filters) -> bool:
    """Whether ``filters`` keep every line (no choice of categories, products or regions; dates around the data's):
    the whole dataset's figures, kept beside it (``ml.pushdown.facts``), answer for them."""
    return filters is None or (only_dates(filters) and _covers(table, filters.date_from, filters.date_to))


def only_dates(filters) -> bool:
    return filters is None or not (filters.categories or filters.products or filters.regions)


def _covers(table: ParquetTable, date_from, date_to) -> bool:
    first, last = table.date_span
    return (date_from is None or pd.Timestamp(date_from) <= first) and (date_to is None or pd.Timestamp(date_to) >= last)


def _kpi_row(table: ParquetTable, filters) -> dict:
    clause, params = where(table, filters)
    sale = sale_condition(table)
    columns = ["count(*) AS lines", f"count(*) FILTER (WHERE {sale}) AS sale_lines",
               *_measure_sums(table), *_distinct_counts(table)]
    row = query(table, f"SELECT {', '.join(columns)} FROM lines {clause}", params).iloc[0]
    return {k: (int(v) if k in ("lines", "sale_lines", "orders", "customers") else float(v)) for k, v in row.items()}


def query_kpis(table: ParquetTable, filters) -> KpiValues:
    """``ml.explore.measure_kpis`` of the lines ``filters`` select (every line's: the kept figures)."""
    if selects_all(table, filters):
        row = remembered(table.path, "kpis", lambda: _kpi_row(table, None))
    else:
        row = _kpi_row(table, filters)
    out = KpiValues(lines=int(row["lines"]))
    if "revenue" in row:
        out.revenue = float(row["revenue"])
    if "units" in row:
        out.units = float(row["units"])
    if "orders" in row:
        out.orders = int(row["orders"])
    if "customers" in row:
        out.customers = int(row["customers"])
    if out.revenue is not None:
        denominator = out.orders if "orders" in row else int(row["sale_lines"])
        out.aov = out.revenue / denominator if denominator else None
    return out


def query_period_totals(
    table: ParquetTable, filters, freq: str, name: str = "period", distinct: bool = True
) -> pd.DataFrame:
    """``ml.explore.totals.period_totals`` per day, week or month start of the lines ``filters`` select: lines,
    revenue, units, sale_lines, orders, customers (periods without lines absent). ``distinct=False`` leaves orders
    and customers out: counting distinct ids is most of the query's time (a heatmap of revenue needs none).
    Without a filter, or with dates alone per day, the whole dataset's kept totals answer (``ml.pushdown.facts``)."""
    whole = selects_all(table, filters)
    if whole or (freq == "D" and only_dates(filters)):
        out = _kept_period_totals(table, freq)
        if not whole:
            start = pd.Timestamp(filters.date_from) if filters.date_from is not None else out.index.min()
            end = pd.Timestamp(filters.date_to) if filters.date_to is not None else out.index.max()
            out = out.loc[(out.index >= start) & (out.index <= end)]
        if not distinct:
            out = out.drop(columns=[c for c in ("orders", "customers") if c in out])
        return out.rename_axis(name)
    return _period_totals(table, filters, freq, name, distinct)


def _kept_period_totals(table: ParquetTable, freq: str) -> pd.DataFrame:
    def compute() -> dict:
        out = _period_totals(table, None, freq, "period", True)
        return {"index": [d.isoformat() for d in out.index], **{c: out[c].tolist() for c in out.columns}}

    kept = dict(remembered(table.path, f"periods:{freq}", compute))
    index = pd.DatetimeIndex(pd.to_datetime(kept.pop("index")), name="period").astype("datetime64[ns]")
    return _typed(pd.DataFrame(kept, index=index))


def _period_totals(table: ParquetTable, filters, freq: str, name: str, distinct: bool) -> pd.DataFrame:
    clause, params = where(table, filters)
    sale = sale_condition(table)
    columns = [f"{period_sql(freq)} AS {name}", "count(*) AS lines", *_measure_sums(table),
               f"count(*) FILTER (WHERE {sale}) AS sale_lines", *(_distinct_counts(table) if distinct else [])]
    out = query(table, f"SELECT {', '.join(columns)} FROM lines {clause} GROUP BY 1 ORDER BY 1", params)
    out[name] = pd.to_datetime(out[name]).astype("datetime64[ns]")
    return _typed(out.set_index(name))


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers, sums as floats (the pandas path's types)."""
    for column in ("lines", "sale_lines", "orders", "customers"):
        if column in out:
            out[column] = out[column].astype("int64")
    for column in ("revenue", "units"):
        if column in out:
            out[column] = out[column].astype(float)
    return out


def query_group_sums(table: ParquetTable, filters, column: str) -> pd.DataFrame:
    """Revenue and units per value of ``column`` (index: the value as text) over the lines ``filters`` select."""
    clause, params = where(table, filters, (f"{column} IS NOT NULL",))
    sums = _measure_sums(table)
    out = query(table, f"SELECT CAST({column} AS VARCHAR) AS key, {', '.join(sums)} FROM lines {clause} GROUP BY 1",
                params)
    return out.set_index("key").astype(float)


def query_product_names(table: ParquetTable, filters=None, products: list[str] | None = None) -> pd.Series:
    """``ml.products.product_names`` of the lines selected: product id -> the most frequent text of its lines
    (ties: the text seen first), empty names left out."""
    from ml.products import name_column

    column = name_column(table)
    if column is None or Col.PRODUCT_ID not in table:
        return pd.Series(dtype=object)
    extra = [f"{Col.PRODUCT_ID} IS NOT NULL", f"{column} IS NOT NULL"]
    clause, params = where(table, filters, tuple(extra))
    if products is not None:
        if not products:
            return pd.Series(dtype=object)
        clause += f" AND CAST({Col.PRODUCT_ID} AS VARCHAR) IN ({', '.join('?' * len(products))})"
        params = [*params, *map(str, products)]
    sql = f"""
        WITH counts AS (
            SELECT CAST({Col.PRODUCT_ID} AS VARCHAR) AS product, CAST({column} AS VARCHAR) AS name,
                   count(*) AS n, min(file_row_number) AS first
            FROM lines {clause} GROUP BY 1, 2)
        SELECT product, arg_max(name, [n, -first]) AS name FROM counts GROUP BY 1"""
    out = query(table, sql, params)
    names = pd.Series(out["name"].astype(str).str.strip().to_numpy(), index=out["product"].to_numpy(), dtype=object)
    return names.loc[names != ""]


def query_first_values(table: ParquetTable, filters, key: str, value: str) -> pd.Series:
    """``groupby(key)[value].first()``: per key (as text) the first non-missing ``value`` in file order."""
    clause, params = where(table, filters, (f"{key} IS NOT NULL", f"{value} IS NOT NULL"))
    out = query(table, f"SELECT CAST({key} AS VARCHAR) AS k, arg_min(CAST({value} AS VARCHAR), file_row_number) AS v "
                       f"FROM lines {clause} GROUP BY 1", params)
    return pd.Series(out["v"].to_numpy(), index=out["k"].to_numpy(), dtype=object)


def query_distinct(table: ParquetTable, column: str) -> tuple[str, ...]:
    """The column's values as sorted text, missing and empty ones left out."""
    if column not in table:
        return ()
    out = query(table, f"SELECT DISTINCT CAST({column} AS VARCHAR) AS v FROM lines WHERE {column} IS NOT NULL")
    return tuple(sorted(v for v in out["v"].astype(str) if v != ""))


def query_ranked_products(table: ParquetTable) -> list[str]:
    """Product ids by units (revenue when there are none) sold, largest first (the Forecast page's choice)."""
    measure = Col.QUANTITY if Col.QUANTITY in table else Col.REVENUE
    out = query(table, f"SELECT CAST({Col.PRODUCT_ID} AS VARCHAR) AS p, coalesce(sum({measure}), 0) AS s FROM lines "
                       f"WHERE {Col.PRODUCT_ID} IS NOT NULL GROUP BY 1")
    return [str(p) for p in out.sort_values(["s", "p"], ascending=[False, True], kind="stable")["p"]]


def query_last_day(table: ParquetTable, filters) -> pd.Timestamp:
    """The last day (midnight) among the lines ``filters`` select; the data's last day when they select none."""
    clause, params = where(table, filters)
    last = query(table, f"SELECT max({Col.DATE}) AS last FROM lines {clause}", params)["last"].iloc[0]
    return table.date_span[1] if pd.isna(last) else pd.Timestamp(last).normalize()
