"""A saved dataset's Parquet queried in place: ``ParquetTable`` names the file and its columns, ``query`` runs one
SQL statement over it with DuckDB inside the memory and thread limits of ``ml.limits.PUSHDOWN``, and ``where``
turns the analyst's ``Filters`` into a WHERE clause with its parameters."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ml.limits import PUSHDOWN
from ml.schema import Col

ENV_ROWS = "SALESLENS_PUSHDOWN_ROWS"  # overrides PUSHDOWN.min_rows (tests, a machine with more or less memory)


def pushdown_rows() -> int:
    """Lines from which a saved dataset is queried in place instead of read into pandas."""
    raw = os.environ.get(ENV_ROWS, "")
    return int(raw) if raw.strip().isdigit() else PUSHDOWN.min_rows


@dataclass(frozen=True, eq=False)
class ParquetTable:
    """The cleaned canonical transactions of a dataset as one Parquet file. Answers ``column in table`` and
    ``table.columns`` like a frame, so code that only asks which columns exist takes either."""

    path: Path
    rows: int = field(default=-1)

    @cached_property
    def columns(self) -> list[str]:
        return [n for n in pq.read_schema(self.path).names if not n.startswith("__")]

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def __len__(self) -> int:
        return self.rows if self.rows >= 0 else pq.ParquetFile(self.path).metadata.num_rows

    @cached_property
    def date_dtype(self) -> str:
        """The date column's numpy type as pandas reads the file (``datetime64[ns]`` or ``[us]``)."""
        field = pq.read_schema(self.path).field(Col.DATE)
        return f"datetime64[{getattr(field.type, 'unit', 'ns')}]"

    @cached_property
    def dtypes(self) -> dict[str, object]:
        """Each column's type as pandas reads the file (``ml.workspace.formats.read_frame``): what a query's
        columns are cast to, so that a line-level answer has the types of the pandas path on the same lines."""
        return dict(pq.read_schema(self.path).empty_table().to_pandas().dtypes.items())

    @cached_property
    def date_span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day of the data (midnight)."""
        from ml.pushdown.stored import stored_totals

        totals = stored_totals(self)  # kept beside the file (ml.pushdown.facts)
        return totals.date_min.normalize(), totals.date_max.normalize()

    def head(self, rows: int) -> pd.DataFrame:
        """The first ``rows`` lines as a frame (the Data page's preview), read one row group at most."""
        batches = pq.ParquetFile(self.path).iter_batches(batch_size=max(rows, 1))
        first = next(batches, None)
        return pd.DataFrame(columns=self.columns) if first is None else first.to_pandas().head(rows)

    def source(self) -> str:
        """The FROM clause: the file, with each line's position (the order pandas would see the lines in)."""
        escaped = str(self.path).replace("'", "''")
        return f"read_parquet('{escaped}', file_row_number = true)"


def connect():
    """A DuckDB connection of its own (one per query: Streamlit serves sessions from several threads), bounded in
    memory and threads, spilling to the temporary folder."""
    from ml.outofcore.connection import connect_duckdb

    return connect_duckdb(PUSHDOWN.memory_mb, PUSHDOWN.threads)


def query(table: ParquetTable, sql: str, params: list | None = None, arrow: bool = False) -> pd.DataFrame:
    """``sql`` over the view ``lines`` (every line of the file, ``file_row_number`` included) as a frame.
    ``arrow``: converted through an Arrow table (faster for many rows of text: ``ml.pushdown.prices``)."""
    con = connect()
    try:
        con.execute(f"CREATE TEMP VIEW lines AS SELECT * FROM {table.source()}")
        if arrow:  # a relation, not an executed statement: Arrow takes its rows without a copy
            return con.sql(sql, params=params or None).to_arrow_table().to_pandas()
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def where(table: ParquetTable, filters, extra: tuple[str, ...] = ()) -> tuple[str, list]:
    """``WHERE ...`` for ``filters`` (``ml.series.Filters``: dates, categories, products, regions, the same rows as
    ``ml.series.apply_filters``) plus ``extra`` conditions, and its parameters."""
    clauses, params = list(extra), []
    if filters is not None:
        if filters.date_from is not None:
            clauses.append(f"{Col.DATE} >= ?")
            params.append(pd.Timestamp(filters.date_from).to_pydatetime())
        if filters.date_to is not None:
            clauses.append(f"{Col.DATE} < ?")
            params.append((pd.Timestamp(filters.date_to) + pd.Timedelta(days=1)).to_pydatetime())
        for column, chosen in ((Col.CATEGORY, filters.categories), (Col.PRODUCT_ID, filters.products),
                               (Col.REGION, filters.regions)):
            if chosen and column in table:
                clauses.append(f"CAST({column} AS VARCHAR) IN ({', '.join('?' * len(chosen))})")
                params.extend(str(v) for v in chosen)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def sale_condition(table: ParquetTable) -> str:
    """A sale line, as ``ml.explore.totals.sale_mask``: quantity (else revenue) above zero."""
    return f"{Col.QUANTITY if Col.QUANTITY in table else Col.REVENUE} > 0"


def period_sql(freq: str) -> str:
    """The start of each line's day, Monday-starting week or month (``ml.series.period_start``)."""
    unit = {"D": "day", "W": "week", "M": "month"}[freq]
    return f"CAST(date_trunc('{unit}', {Col.DATE}) AS TIMESTAMP)"


def id_sql(column: str) -> str:
    """An order or customer id, NULL when empty (``ml.explore.totals.id_codes``)."""
    return f"NULLIF(CAST({column} AS VARCHAR), '')"
