"""One OpenBLAS thread for stretches of many small solves, shared by every thread of the process.

statsmodels' fits, the per-product price regressions, the recommenders' factorisations and the demand model's
gradient boosting all make many tiny BLAS calls, which a second OpenBLAS thread only slows on a shared 2-core machine
(bench/RESULTS.md: 10-16x less CPU for the fits). OpenBLAS built with pthreads has ONE thread count for the whole
process, and threadpoolctl lets only one Python thread (the first to set it) change it. Two threads each holding
``threadpool_limits(1)`` therefore interleave badly: A sets 1, B records 1 as "original", A restores 2, B restores
its "original" 1, and the process keeps one BLAS thread for good (measured: 2 -> 1 on this machine). Here the limit
is counted instead: the first holder in the process sets it, the last one out restores what the process had, from
whichever thread leaves last. Results never depend on it (the same numbers on 1 or 2 BLAS threads), only speed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_HELD: dict = {"depth": 0, "limiter": None}  # changed only under _LOCK


def _forget_controlling_thread() -> None:
    """Let the thread now running change OpenBLAS's threads (threadpoolctl otherwise ignores every thread but the
    first that set them while that one lives)."""
    from threadpoolctl import OpenBLASController

    OpenBLASController.clear_controlling_thread(force=True)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while any thread of the process is inside; reentrant, and nestable across threads."""
    with _LOCK:
        if _HELD["depth"] == 0:
            from threadpoolctl import threadpool_limits

            _forget_controlling_thread()
            _HELD["limiter"] = threadpool_limits(1, user_api="blas")  # sets the limit now; restored below
        _HELD["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _HELD["depth"] -= 1
            if _HELD["depth"] == 0:
                _forget_controlling_thread()
                _HELD["limiter"].restore_original_limits()
                _HELD["limiter"] = None
                _forget_controlling_thread()
