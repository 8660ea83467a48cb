"""Control totals of the DuckDB path (``ml.outofcore.sqlclean``): the kept rows' measures summed in the order the
frame holds them (by day, stable: line order within a day), as ``Dataset.control_totals`` sums the frame's columns.

The rows are read from the table ``t`` in line order (a scan of a connection that keeps insertion order; ``rowid``
is the line number) and put in day order here by a counting sort of the day numbers (``day_order``), instead of
DuckDB sorting every kept row with its two measures: the same values in the same order, so the same float sums,
for under half the CPU the sorted read took, in 12 bytes a row plus one block (bench/RESULTS.md, issue 17, "The
20M-line profile's regression")."""

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


def day_order(con, day: str, rows: int, step: int = 1 << 22) -> tuple[np.ndarray | None, int | None, int | None]:
    """(each kept row's place in stable day order, None when they already are in it; first and last day as days
    since 1970-01-01, None without rows). A counting sort by day, ``step`` rows at a time (each block's rows of one
    day ranked in line order by numpy's stable sort): the days and the places, 8 bytes a row, plus one block."""
    if rows == 0:
        return None, None, None
    days = _column(con, day, rows, np.int32, pa.int32())
    first, last = int(days.min()), int(days.max())
    edges = [(i, min(i + step, rows - 1)) for i in range(0, rows - 1, step)]
    if all(bool((days[i + 1:j + 1] >= days[i:j]).all()) for i, j in edges):
        return None, first, last
    span = last - first + 1
    key_type = np.int16 if span <= 2**15 else np.int32  # int16: numpy's stable sort is a radix sort
    counts = np.zeros(span, dtype=np.int64)
    for i in range(0, rows, step):
        counts += np.bincount(days[i:i + step] - first, minlength=span)
    before = np.cumsum(counts) - counts  # rows of earlier days
    place = np.empty(rows, dtype=np.int32)
    for i in range(0, rows, step):
        keys = (days[i:i + step] - first).astype(key_type)
        order = np.argsort(keys, kind="stable")
        ranked = keys[order].astype(np.int64)
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        rank = np.arange(len(ranked)) - np.repeat(starts, np.diff(np.r_[starts, len(ranked)]))
        place[i + order] = before[ranked] + rank
        before += np.bincount(ranked, minlength=span)
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
