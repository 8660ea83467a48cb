"""Exact repeated rows over typed columns, found without hashing every value: the cleaner's duplicate check."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.dataset.convert import mix, to_numpy

_PARALLEL_ROWS = 200_000  # below this, one thread hashes faster than two start


def find_repeats(
    rows: np.ndarray,
    date_key: np.ndarray,
    values: dict[str, np.ndarray],
    arrays: dict[str, pa.Array],
    flags: dict[str, np.ndarray],
    text_key: Callable[[pa.Array], np.ndarray] | None = None,
    pool: Executor | None = None,
) -> np.ndarray:
    """Mask over all rows of those among ``rows`` equal in every column to an earlier one of ``rows``.

    ``values``: float columns (NaN equal to NaN); ``arrays``: dictionary or text columns (null equal to null);
    ``flags``: boolean columns; ``text_key``: equal plain texts -> equal int64 keys (default: their lengths; the
    streamed path hashes the values). A 64-bit hash over cheap per-column keys (numbers' bits, category codes, text
    keys) finds the few rows that *might* repeat another; only those are compared value by value, so the
    answer is exact. With a ``pool``, the two halves of the rows are hashed in parallel (numpy releases the GIL)."""
    n = len(date_key)
    repeats = np.zeros(n, dtype=bool)
    if len(rows) < 2:
        return repeats
    hashes = _row_hashes(date_key, values, arrays, flags, text_key or text_lengths, pool)
    hashes = hashes[rows] if len(rows) < n else hashes
    ordered = np.sort(hashes)  # a sort of 64-bit keys is several times faster than a hash table here
    repeated_values = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if len(repeated_values) == 0:
        return repeats
    cand = rows[to_numpy(pc.is_in(pa.array(hashes), value_set=pa.array(repeated_values)))]
    exact = {"_date": date_key[cand]}
    for name, column in values.items():
        exact[name] = column[cand]
    for name, arr in arrays.items():
        exact[name] = arr.take(pa.array(cand)).to_pandas().astype(object).to_numpy()
    for name, column in flags.items():
        exact[name] = column[cand]
    repeats[cand[pd.DataFrame(exact).duplicated(keep="first").to_numpy()]] = True
    return repeats


def text_lengths(arr: pa.Array) -> np.ndarray:
    """The cheap per-text key: each text's length in bytes (-1 for null)."""
    return to_numpy(pc.fill_null(pc.binary_length(arr), -1))


def _row_hashes(
    date_key: np.ndarray,
    values: dict[str, np.ndarray],
    arrays: dict[str, pa.Array],
    flags: dict[str, np.ndarray],
    text_key: Callable[[pa.Array], np.ndarray],
    pool: Executor | None = None,
) -> np.ndarray:
    n = len(date_key)
    h = np.empty(n, dtype=np.uint64)
    if pool is None or n < _PARALLEL_ROWS:
        _hash_rows(h, 0, n, date_key, values, arrays, flags, text_key)
        return h
    half = n // 2
    args = (date_key, values, arrays, flags, text_key)
    job = pool.submit(_hash_rows, h, half, n, *args)
    _hash_rows(h, 0, half, *args)
    if job.cancel():  # no worker free yet (the pool may be busy hashing the file): this thread does it
        _hash_rows(h, half, n, *args)
    else:
        job.result()
    return h


def _hash_rows(
    out: np.ndarray,
    lo: int,
    hi: int,
    date_key: np.ndarray,
    values: dict[str, np.ndarray],
    arrays: dict[str, pa.Array],
    flags: dict[str, np.ndarray],
    text_key: Callable[[pa.Array], np.ndarray],
) -> None:
    """The hash of rows ``lo:hi`` into the same rows of ``out`` (each row's hash depends on that row alone)."""
    h = out[lo:hi]
    h[:] = 0x9E3779B97F4A7C15
    mix(h, date_key[lo:hi])
    for column in values.values():
        part = column[lo:hi]
        mix(h, np.where(np.isnan(part), np.inf, part + 0.0).view(np.int64))
    for arr in arrays.values():
        part = arr.slice(lo, hi - lo)
        if isinstance(part, pa.DictionaryArray):
            mix(h, to_numpy(pc.fill_null(part.indices, -1)))
        else:
            mix(h, text_key(part))
    for column in flags.values():
        mix(h, column[lo:hi])
