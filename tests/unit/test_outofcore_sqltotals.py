"""The DuckDB path's control totals (ml/outofcore/sqltotals.py): the kept rows put in day order by numpy must give
the float sums that summing them in DuckDB's ORDER BY day, rowid gives (the general path it replaced), on planted
rows whose sums depend on the order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml.outofcore.connection import connect_duckdb
from ml.outofcore.sqltotals import day_order, sorted_sums


def _table(tmp_path, days: np.ndarray, values: np.ndarray, gone: np.ndarray):
    # as load_with_duckdb opens it: with keep_order=False the scans come back out of line order and the sums fail
    con = connect_duckdb(64, 2, tmp_path / "spill", keep_order=True)
    con.register("src", pa.table({"d": pa.array(days.astype("datetime64[D]")), "v": pa.array(values),
                                  "gone": pa.array(np.where(gone, "duplicates", None).tolist(), pa.string())}))
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.unregister("src")
    return con


def _general(con) -> float:
    """The sorted read the fast path replaced."""
    v = con.execute("SELECT v FROM t WHERE gone IS NULL ORDER BY d, rowid").fetchnumpy()["v"]
    return float(pd.Series(np.asarray(v, dtype=float)).sum())


@pytest.mark.parametrize("span", [730, 40_000])  # int16 keys (radix sort) and int32 keys
@pytest.mark.parametrize("shuffled", [True, False])
@pytest.mark.parametrize("step", [1 << 22, 7_777])  # one block; many blocks that cut days apart
def test_day_order_sums_equal_the_sorted_read(tmp_path, span, shuffled, step):
    rng = np.random.default_rng(7)
    n = 300_000
    days = rng.integers(0, span, n) + 19_000
    if not shuffled:
        days = np.sort(days)
    # magnitudes 1e-3..1e12 with both signs: a float sum that depends on the order of its terms
    values = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-3, 12, n)
    gone = rng.random(n) < 0.05
    con = _table(tmp_path, days, values, gone)
    try:
        rows = int((~gone).sum())
        order, first, last = day_order(con, "d", rows, step)
        assert (order is None) == (not shuffled)
        got = sorted_sums(con, ["v"], ["total"], rows, order)["total"]
        assert got == _general(con)
        kept = days[~gone]
        assert (first, last) == (int(kept.min()), int(kept.max()))
        # the test can fail: the same values summed in line order (no day sort) give another float
        if shuffled:
            assert float(pd.Series(values[~gone]).sum()) != got
    finally:
        con.close()


def test_counted_rows_must_match(tmp_path):
    days = np.array([19_002, 19_001, 19_000, 19_001])
    con = _table(tmp_path, days, np.array([1.0, 2.0, 3.0, 4.0]), np.array([False, False, False, False]))
    try:
        with pytest.raises(RuntimeError):
            day_order(con, "d", 3)
        with pytest.raises(RuntimeError):
            day_order(con, "d", 5)
        for step in (1, 2, 4):
            place, first, last = day_order(con, "d", 4, step)
            # each line's place in day order, lines of one day in line order
            assert place.tolist() == [3, 1, 0, 2] and (first, last) == (19_000, 19_002)
    finally:
        con.close()
