"""Control totals of the DuckDB path (``ml.outofcore.sqlclean``): the kept rows' measures summed in the order the
frame holds them (by day, stable: line order within a day), as ``Dataset.control_totals`` sums the frame's columns.

The rows are read from the table ``t`` in line order (a scan of a connection that keeps insertion order; ``rowid``
is the line number) and put in day order here with numpy's stable sort of the day numbers (a radix sort when the
days span less than 2**15), instead of DuckDB sorting every kept row with its two measures: the same values in the
same order, so the same float sums, for about a fifth of the CPU the sorted read took (bench/RESULTS.md, issue 17,
"The 20M-line profile's regression")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.outofcore.stored import ROW_GROUP


def _column(con, expr: str, rows: int, dtype, cast=None) -> np.ndarray:
    """One column of the kept rows of ``t`` in line order, into a numpy array of ``rows`` values."""
    out = np.empty(rows, dtype=dtype)
    done = 0
    for batch in con.sql(f"SELECT {expr} FROM t WHERE gone IS NULL").to_arrow_reader(ROW_GROUP):
        col = batch.column(0)
        n = len(col)
        if done + n > rows:
            raise RuntimeError("more kept rows than counted")
        out[done:done + n] = (col.cast(cast) if cast is not None else col).to_numpy(zero_copy_only=False)
        done += n
    if done != rows:
        raise RuntimeError("fewer kept rows than counted")
    return out


def day_order(con, day: str, rows: int) -> tuple[np.ndarray | None, int | None, int | None]:
    """(the kept rows' positions in stable day order, None when they already are; first and last day as days
    since 1970-01-01, None without rows)."""
    if rows == 0:
        return None, None, None
    days = _column(con, day, rows, np.int32, pa.int32())
    first, last = int(days.min()), int(days.max())
    if bool((days[1:] >= days[:-1]).all()):
        return None, first, last
    keys = (days - first).astype(np.int16) if last - first < 2**15 else days  # int16: numpy sorts by radix
    del days
    return np.argsort(keys, kind="stable"), first, last


def sorted_sums(con, measures: list[str], names: list[str], rows: int, order: np.ndarray | None) -> dict[str, float]:
    """Each measure (an SQL expression over ``t``, reported under its name) summed over the kept rows in ``order``
    (``day_order``) by pandas, as the frame's column would be."""
    sums = {}
    for expr, name in zip(measures, names, strict=True):
        values = _column(con, expr, rows, np.float64)
        if order is not None:
            values = values[order]
        sums[name] = float(pd.Series(values, copy=False).sum())
        del values
    return sums
