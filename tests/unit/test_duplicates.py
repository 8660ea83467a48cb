"""The cleaner's duplicate check (ml.dataset.duplicates) against pandas' own, on rows with planted repeats."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.dataset.duplicates import _PARALLEL_ROWS, find_repeats


def _rows(n: int, seed: int = 7):
    """n rows; the last 60 copy earlier rows: 30 exactly, 30 with an order id of the same length but other text
    (same cheap key, so only the value-by-value comparison tells them apart)."""
    rng = np.random.default_rng(seed)
    date_key = rng.integers(0, 10**6, n)
    quantity = rng.integers(1, 4, n).astype(float)
    quantity[rng.random(n) < 0.01] = np.nan
    product = rng.integers(0, 50, n)
    order = np.char.add("O", rng.integers(10**6, 10**7, n).astype(str)).astype(object)
    source = rng.choice(n - 60, 60, replace=False)
    for i, j in enumerate(range(n - 60, n)):
        date_key[j], quantity[j], product[j], order[j] = date_key[source[i]], quantity[source[i]], product[source[i]], order[source[i]]
        if i >= 30:
            order[j] = "X" + order[j][1:]  # same length, different text: not a repeat
    return date_key, quantity, product, order


def _expected(date_key, quantity, product, order) -> np.ndarray:
    frame = pd.DataFrame({"d": date_key, "q": quantity, "p": product, "o": order})
    return frame.duplicated(keep="first").to_numpy()


def _find(date_key, quantity, product, order, pool=None) -> np.ndarray:
    arrays = {"p": pc.dictionary_encode(pa.array(product)), "o": pa.array(list(order), pa.string())}
    return find_repeats(np.arange(len(date_key)), date_key, {"q": quantity}, arrays, {}, None, pool)


def test_repeats_are_exactly_pandas_duplicates_in_one_thread_and_in_two():
    n = _PARALLEL_ROWS + 1001  # large enough for the two-halves path
    cols = _rows(n)
    expected = _expected(*cols)
    assert expected[n - 60 : n - 30].all() and not expected[n - 30 :].any()
    alone = _find(*cols)
    with ThreadPoolExecutor(4) as pool:
        parallel = _find(*cols, pool=pool)
    np.testing.assert_array_equal(alone, expected)
    np.testing.assert_array_equal(parallel, expected)
