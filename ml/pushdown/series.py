"""The series to forecast, aggregated by DuckDB over a saved dataset's Parquet: units, revenue and promo per series
and period, the same table ``ml.series.aggregate_series`` builds from a frame (``make_series`` fills the gaps)."""

from __future__ import annotations

import pandas as pd

from ml.pushdown.table import ParquetTable, period_sql, query, where
from ml.schema import Col, ConfigError
from ml.series import Filters, series_kind


def query_series(
    table: ParquetTable, level: str, freq: str, filters: Filters | None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """As ``ml.series.aggregate_series``: (units, revenue, promo per (unique_id, ds); the last day selected)."""
    kind, value = series_kind(table.columns, level)
    extra: list[str] = []
    params: list = []
    if kind == "total":
        ids = "'total'"
    else:
        column = Col.CATEGORY if kind in ("category", "categories") else Col.PRODUCT_ID
        ids = f"CAST({column} AS VARCHAR)"
        extra.append(f"{column} IS NOT NULL")  # a line without one belongs to no series (as groupby drops it)
        wanted = [value] if kind == "category" and value else value.split("|") if value else []
        if wanted:
            extra.append(f"{ids} IN ({', '.join('?' * len(wanted))})")
            params = wanted
    clause, filter_params = where(table, filters, tuple(extra))
    sums = [f"coalesce(sum({Col.QUANTITY}), 0) AS units" if Col.QUANTITY in table else None,
            f"coalesce(sum({Col.REVENUE}), 0) AS revenue" if Col.REVENUE in table else None,
            f"max(CAST({Col.PROMO} AS DOUBLE)) AS promo" if Col.PROMO in table else None]
    sql = (f"SELECT {ids} AS unique_id, {period_sql(freq)} AS ds, {', '.join(s for s in sums if s)}, "
           f"max({Col.DATE}) AS last FROM lines {clause} GROUP BY 1, 2 ORDER BY 1, 2")
    out = query(table, sql, [*params, *filter_params])  # ``where`` puts the extra conditions first
    if out.empty:
        raise ConfigError("series.error.no_rows", level=level)
    last = pd.Timestamp(out.pop("last").max()).normalize()
    out["ds"] = pd.to_datetime(out["ds"]).astype(table.date_dtype)
    for column in ("units", "revenue", "promo"):
        if column in out:
            out[column] = out[column].astype(float)
    return out.set_index(["unique_id", "ds"]), last

