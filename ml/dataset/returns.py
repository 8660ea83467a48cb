"""Netting returns against purchases: the one loop of the cleaner that walks rows one by one."""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def match_returns(
    quantity: np.ndarray, days: np.ndarray, key: np.ndarray, buys: np.ndarray, returns: np.ndarray
) -> tuple[np.ndarray, float]:
    """Each return (``returns``, a negative quantity) takes its units from the purchases (``buys``) of the same
    ``key`` (customer and product) made on or before its day, latest first.

    Returns the quantities left on every row (returns unchanged) and the returned units no purchase covered.
    Purchases and returns of other keys are not visited: only keys that have a return are sorted and walked.
    """
    cand = np.flatnonzero((buys | returns) & np.isin(key, np.unique(key[returns])))
    # By key, then day, purchases before the returns of the same day, then row order.
    order = cand[np.lexsort((cand, returns[cand], days[cand], key[cand]))]
    remaining = quantity.copy()
    unmatched = 0.0
    stacks: dict[int, list[int]] = defaultdict(list)  # per key, the purchases with units left, latest last
    keys, is_return, units = key[order].tolist(), returns[order].tolist(), quantity[order].tolist()
    for row, k, r, q in zip(order.tolist(), keys, is_return, units, strict=True):
        if not r:
            stacks[k].append(row)
            continue
        need, stack = -q, stacks[k]
        while need > 0 and stack:
            top = stack[-1]
            take = min(need, remaining[top])
            remaining[top] -= take
            need -= take
            if remaining[top] <= 0:
                stack.pop()
        unmatched += need
    return remaining, unmatched
