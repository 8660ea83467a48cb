"""One BLAS thread shared by the threads of a process (``ml.blas.one_blas_thread``): when holders interleave across
threads, the process gets its BLAS threads back once the last one leaves."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import OpenBLASController, threadpool_info, threadpool_limits

from ml.blas import _HELD, one_blas_thread


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def _interleave(limit) -> tuple[list[set[int]], set[int]]:
    """A enters, B enters, A leaves, B leaves (two threads); the BLAS threads seen inside, and after both."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[set[int]] = []

    def a() -> None:
        with limit():
            a_in.set()
            b_in.wait(10)
            seen.append(_blas_threads())
        a_out.set()

    def b() -> None:
        a_in.wait(10)
        with limit():
            b_in.set()
            a_out.wait(10)
            seen.append(_blas_threads())  # A has left: B must still run on one thread

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return seen, _blas_threads()


@pytest.fixture
def several_blas_threads():
    np.dot(np.ones((64, 64)), np.ones((64, 64)))  # OpenBLAS loaded
    before = _blas_threads()
    if max(before, default=1) <= 1:
        pytest.skip("BLAS already runs on one thread here (OPENBLAS_NUM_THREADS=1 or one core): nothing to give back")
    yield before
    # whatever the test left (the raw limiter's lost threads), as it was: set, not restored on exit
    OpenBLASController.clear_controlling_thread(force=True)
    threadpool_limits(max(before), user_api="blas")
    OpenBLASController.clear_controlling_thread(force=True)


def test_interleaved_holders_in_two_threads_give_the_process_its_blas_threads_back(several_blas_threads):
    seen, after = _interleave(one_blas_thread)
    assert seen == [{1}, {1}]
    assert after == several_blas_threads and _HELD["depth"] == 0
    # and the same process can take and give them back again, from this thread
    with one_blas_thread():
        assert _blas_threads() == {1}
    assert _blas_threads() == several_blas_threads


def test_the_raw_limiter_the_module_replaces_loses_the_threads_when_holders_interleave(several_blas_threads):
    # why ml.blas exists: with threadpoolctl's own context manager in each thread, B records A's 1 as "original"
    # and restores it last, so the process keeps one BLAS thread (2 -> 1 on the 2-core development machine)
    _, after = _interleave(lambda: threadpool_limits(1, user_api="blas"))
    if after == several_blas_threads:
        pytest.skip("this threadpoolctl/OpenBLAS restores correctly on its own (OpenMP threading layer?)")
    assert after == {1}


def test_an_error_inside_gives_the_threads_back(several_blas_threads):
    with pytest.raises(ValueError):
        with one_blas_thread():
            with one_blas_thread():
                raise ValueError("a fit failed")
    assert _blas_threads() == several_blas_threads and _HELD["depth"] == 0
