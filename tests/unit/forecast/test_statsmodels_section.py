"""statsmodels' fits run on one OpenBLAS thread (``baselines.statsmodels_section``): the same forecasts, the
process's BLAS threads given back afterwards, also when sections nest and threads share them."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from ml import blas
from ml.forecast import baselines
from tests.unit.forecast.conftest import make_series


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_the_fits_in_the_section_forecast_what_they_forecast_outside_it():
    y = make_series(400, seed=5)["y"].to_numpy()
    # outside the section: the fits as statsmodels makes them with the process's BLAS threads
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    outside_ets, _ = baselines._ets_fit(y, 7)
    outside_arima, _ = baselines._arima_fit(y, 7, "D")
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    ets, ets_name = baselines.ets(y, 28, 7)
    arima, _ = baselines.arima(y, 28, 7, "D")
    assert ets_name == "ETS(A,N,A)"  # the planted weekly season is found
    np.testing.assert_array_equal(ets, outside_ets.forecast(28))
    np.testing.assert_array_equal(arima, outside_arima.forecast(28))
    origins = np.arange(300, 372)
    np.testing.assert_array_equal(baselines.ets_origin_forecasts(y, 7, 28, origins),
                                  baselines._origin_forecasts(outside_ets, y, 7, 28, origins))


def test_the_section_limits_blas_to_one_thread_and_gives_the_threads_back():
    baselines.ets(make_series(120, seed=2)["y"].to_numpy(), 7, 7)  # a fit on this thread first, as in a forecast
    before = _blas_threads()
    if max(before, default=1) <= 1:
        pytest.skip("BLAS already runs on one thread here (OPENBLAS_NUM_THREADS=1 or one core): nothing to give back")
    inside: list[list[int]] = []

    def nested() -> None:
        with baselines.statsmodels_section():
            with baselines.statsmodels_section():
                inside.append(_blas_threads())
            inside.append(_blas_threads())

    workers = [threading.Thread(target=nested) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert len(inside) == 6 and all(threads and set(threads) == {1} for threads in inside)
    assert _blas_threads() == before
    with baselines.statsmodels_section():  # and this thread can still take them afterwards
        assert set(_blas_threads()) == {1}


def test_an_error_inside_the_section_still_gives_the_threads_back():
    baselines.ets(make_series(120, seed=3)["y"].to_numpy(), 7, 7)
    before = _blas_threads()
    try:
        with baselines.statsmodels_section():
            with baselines.statsmodels_section():
                raise ValueError("a fit failed")
    except ValueError:
        pass
    assert _blas_threads() == before and blas._HELD["depth"] == 0
