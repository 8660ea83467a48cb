"""A bounded, thread-safe least-recently-used cache of fitted models, capped in entries and in bytes.

Why bounded in bytes: a long-running server (and the test suite, one process) fits thousands of series. The ETS and
ARIMA caches in ``baselines`` once kept whole statsmodels results (an ARIMA of a 730-day series holds ~26 MB of
Kalman filter output), 128 of each: up to 3 GB retained. They now keep only each fit's parameters (hundreds of
bytes) under an entry cap and a byte budget, and rebuild the results from them on a hit.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np


def content_key(y: np.ndarray, *extra: Hashable) -> tuple[Hashable, ...]:
    """A key for the values of ``y`` (float64, by content; a 16-byte digest, not the values) and ``extra``."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    return (hashlib.blake2b(y.tobytes(), digest_size=16).digest(), len(y), *extra)


class FitCache:
    """LRU mapping key -> value; evicts the least recently used entries while there are more than ``max_entries``
    or their sizes (given by whoever puts them) add up to more than ``max_bytes``. A value larger than the whole
    budget is not kept."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = int(max_entries)
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        nbytes = max(0, int(nbytes))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if nbytes > self.max_bytes or self.max_entries < 1:
                return
            self._items[key] = (value, nbytes)
            self._bytes += nbytes
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, size) = self._items.popitem(last=False)
                self._bytes -= size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        """The sum of the sizes of the entries kept."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items
