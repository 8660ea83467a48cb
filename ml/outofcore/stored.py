"""The cleaned dataset of a large file as Parquet on disk: ``StoredDataset`` reads its frame only when asked and
carries its control totals; ``write_parquet`` writes the cleaned table a row group at a time."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml.dataset import (
    Dataset,
)
from ml.schema import Col, DataError

# Text columns held dictionary-encoded (a description or a customer repeats on many lines; the cleaner's steps read
# them through take, is_null, dictionary codes and to_pandas, which give the same answers on either form). Order ids
# are mostly unique and are tested with starts_with: plain text.
DICTIONARY_TEXTS = frozenset({Col.CUSTOMER_ID, Col.DESCRIPTION})
ROW_GROUP = 1_000_000


@dataclass
class StoredTotals:
    rows: int
    total_quantity: float | None
    total_revenue: float | None
    date_min: pd.Timestamp
    date_max: pd.Timestamp


class StoredDataset(Dataset):
    """A ``Dataset`` whose cleaned frame lives in a Parquet file and is read only when asked for."""

    def __init__(self, *, path: Path | None, totals: StoredTotals, **fields) -> None:
        self.__dict__.update(fields)
        self.path = path
        self.totals = totals

    @cached_property
    def frame(self) -> pd.DataFrame:  # type: ignore[override]
        if self.path is None:
            raise DataError("ingest.error.parse_failed", code=0)
        return pq.read_table(self.path).to_pandas()

    @property
    def date_min(self) -> pd.Timestamp:
        return self.totals.date_min

    @property
    def date_max(self) -> pd.Timestamp:
        return self.totals.date_max

    def has(self, column: str) -> bool:
        if "frame" in self.__dict__ or self.path is None:
            return column in self.frame.columns if "frame" in self.__dict__ else False
        return column in pq.read_schema(self.path).names

    def control_totals(self) -> dict:
        t = self.totals
        return {"total_quantity": t.total_quantity, "total_revenue": t.total_revenue,
                "date_min": t.date_min.date().isoformat(), "date_max": t.date_max.date().isoformat()}

    def write_frame(self, target: Path) -> None:
        """The cleaned Parquet copied to ``target`` (how ``Workspace.save_dataset`` stores it)."""
        if self.path is None:
            raise DataError("ingest.error.parse_failed", code=0)
        shutil.copyfile(self.path, target)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("frame", None)  # sent between processes without the frame
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)



def write_parquet(table: pa.Table, path: Path) -> None:
    """The cleaned table as Parquet, row group by row group: text held as a dictionary is written as plain text
    (the frame's schema), one row group decoded at a time."""
    schema = pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) and
                        f.name in DICTIONARY_TEXTS else f for f in table.schema])
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for start in range(0, max(table.num_rows, 1), ROW_GROUP):
            part = table.slice(start, ROW_GROUP)
            writer.write_table(pa.table([c.cast(f.type) for c, f in zip(part.columns, schema, strict=True)],
                                        schema=schema))


