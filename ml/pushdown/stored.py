"""A saved dataset too large for pandas, opened without reading its frame: ``stored_dataset`` gives the
``StoredDataset`` of ``ml.outofcore`` (the frame read only if some page asks for it) with its control totals summed
by DuckDB, and ``table_of`` the ``ParquetTable`` the Explore and Forecast pages and the CLI query instead."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.dataset import Dataset
from ml.pushdown.table import ParquetTable, pushdown_rows, query
from ml.schema import Col


def stored_dataset(path: Path, **fields) -> Dataset:
    """The dataset saved at ``path`` with its totals (one pass over the file), its frame left on disk."""
    from ml.outofcore.stored import StoredDataset, StoredTotals

    table = ParquetTable(path)
    sums = [f"sum({c})" if c in table else "NULL" for c in (Col.QUANTITY, Col.REVENUE)]
    row = query(table, f"SELECT count(*), {', '.join(sums)}, min({Col.DATE}), max({Col.DATE}) FROM lines").iloc[0]
    totals = StoredTotals(rows=int(row.iloc[0]),
                          total_quantity=None if pd.isna(row.iloc[1]) else float(row.iloc[1]),
                          total_revenue=None if pd.isna(row.iloc[2]) else float(row.iloc[2]),
                          date_min=pd.Timestamp(row.iloc[3]), date_max=pd.Timestamp(row.iloc[4]))
    return StoredDataset(path=path, totals=totals, **fields)


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
