"""Aggregation pushed down to DuckDB for saved datasets too large to read into pandas (``ml.limits.PUSHDOWN``):
``table`` (the Parquet file, one bounded query, filters as SQL), ``explore`` (KPIs, trends, rankings, names),
``series`` (the series to forecast), ``prices`` (the weekly price panel) and ``customers`` (a customer's history, one
product's pairs, RFM sums). ``ml.explore`` and ``ml.series`` take a ``ParquetTable`` wherever they take a frame and
call these, so both paths finish the numbers the same way."""

from ml.pushdown.table import ENV_ROWS, ParquetTable, pushdown_rows

__all__ = ["ENV_ROWS", "ParquetTable", "pushdown_rows"]
