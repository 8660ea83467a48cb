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


def _column(con, expr: str, rows: int, dtype, cast=None, at: np.ndarray | None = None) -> np.ndarray:
    """One column of the kept rows of ``t``, into a numpy array of ``rows`` values: in line order, or each line's
    value at its place in ``at`` (so the column is never held twice)."""
    out = np.empty(rows, dtype=dtype)
    done = 0
    for batch in con.sql(f"SELECT {expr} FROM t WHERE gone IS NULL").to_arrow_reader(ROW_GROUP):
        col = batch.column(0)
        n = len(col)
        if done + n > rows:
            raise RuntimeError("more kept rows than counted")
        values = (col.cast(cast) if cast is not None else col).to_numpy(zero_copy_only=False)
        if at is None:
            out[done:done + n] = values
        else:
            out[at[done:done + n]] = values
        done += n
    if done != rows:
        raise RuntimeError("fewer kept rows than counted")
    return out


def day_order(con, day: str, rows: int) -> tuple[np.ndarray | None, int | None, int | None]:
    """(each kept row's place in stable day order, None when they already are in it; first and last day as days
    since 1970-01-01, None without rows). Places are int32 (4 bytes a row beside the 8 of one measure)."""
    if rows == 0:
        return None, None, None
    days = _column(con, day, rows, np.int32, pa.int32())
    first, last = int(days.min()), int(days.max())
    if bool((days[1:] >= days[:-1]).all()):
        return None, first, last
    keys = (days - first).astype(np.int16) if last - first < 2**15 else days  # int16: numpy sorts by radix
    del days
    order = np.argsort(keys, kind="stable")
    del keys
    place = np.empty(rows, dtype=np.int32)
    step = 1 << 22
    for i in range(0, rows, step):  # the inverse permutation, without an index array as long as the rows
        place[order[i:i + step]] = np.arange(i, min(i + step, rows), dtype=np.int32)
    return place, first, last


def sorted_sums(con, measures: list[str], names: list[str], rows: int, place: np.ndarray | None) -> dict[str, float]:
    """Each measure (an SQL expression over ``t``, reported under its name) summed over the kept rows put at their
    ``place`` (``day_order``) by pandas, as the frame's column would be."""
    sums = {}
    for expr, name in zip(measures, names, strict=True):
        values = _column(con, expr, rows, np.float64, at=place)
        sums[name] = float(pd.Series(values, copy=False).sum())
        del values
    return sums
