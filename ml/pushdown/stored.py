"""A saved dataset too large for pandas, opened without reading its frame: ``stored_dataset`` gives the
``StoredDataset`` of ``ml.outofcore`` (the frame read only if some page asks for it) with its control totals summed
by DuckDB, and ``table_of`` the ``ParquetTable`` the Explore and Forecast pages and the CLI query instead."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.dataset import Dataset
from ml.pushdown.facts import remembered
from ml.pushdown.table import ParquetTable, pushdown_rows, query
from ml.schema import Col


def stored_totals(table: ParquetTable):
    """The control totals of the whole file (``StoredTotals``), summed by DuckDB once and kept beside it."""
    from ml.outofcore.stored import StoredTotals

    def compute() -> list:
        sums = [f"sum({c})" if c in table else "NULL" for c in (Col.QUANTITY, Col.REVENUE)]
        row = query(table, f"SELECT count(*), {', '.join(sums)}, min({Col.DATE}), max({Col.DATE}) FROM lines").iloc[0]
        return [int(row.iloc[0]), *(None if pd.isna(v) else float(v) for v in row.iloc[1:3]),
                *(pd.Timestamp(v).isoformat() for v in row.iloc[3:5])]

    rows, quantity, revenue, first, last = remembered(table.path, "totals", compute)
    return StoredTotals(rows=rows, total_quantity=quantity, total_revenue=revenue, date_min=pd.Timestamp(first),
                        date_max=pd.Timestamp(last))


def stored_dataset(path: Path, **fields) -> Dataset:
    """The dataset saved at ``path`` with its totals (one pass over the file, or the figures kept beside it), its
    frame left on disk."""
    from ml.outofcore.stored import StoredDataset

    return StoredDataset(path=path, totals=stored_totals(ParquetTable(path)), **fields)


def table_of(ds: Dataset) -> ParquetTable | None:
    """The Parquet to query in place of ``ds.frame``: a dataset on disk from ``pushdown_rows()`` lines up whose
    frame has not been read; None for every other dataset."""
    path = getattr(ds, "path", None)
    totals = getattr(ds, "totals", None)
    if path is None or totals is None or "frame" in ds.__dict__ or not Path(path).is_file():
        return None
    if totals.rows < pushdown_rows():
        return None
    return ParquetTable(Path(path), rows=totals.rows)


def source_of(ds: Dataset):
    """What to aggregate: ``table_of(ds)`` when the dataset is queried in place, else its frame."""
    table = table_of(ds)
    return ds.frame if table is None else table
