"""The fitted-model caches stay bounded (entries and bytes) and a hit gives exactly what the fit gave."""

import pickle

import numpy as np
import pytest

from ml.forecast import baselines
from ml.forecast.fit_cache import FitCache, content_key
from tests.unit.forecast.conftest import make_series


def test_the_cache_stays_under_its_entry_cap_after_many_distinct_keys():
    cache = FitCache(max_entries=8, max_bytes=10_000)
    for i in range(100):
        cache.put(i, f"value {i}", nbytes=10)
        assert len(cache) <= 8
    assert [k for k in range(100) if k in cache] == list(range(92, 100))  # the 8 most recent
    assert cache.nbytes == 80


def test_the_cache_stays_under_its_byte_budget_and_evicts_the_least_recently_used():
    cache = FitCache(max_entries=1000, max_bytes=1000)
    cache.put("old", 0, nbytes=300)
    for i in range(50):
        cache.put(i, i, nbytes=300)
        assert cache.nbytes <= 1000
        assert cache.get("old") == 0  # touching it after each put keeps it among the most recent
    assert len(cache) == 3 and "old" in cache and 49 in cache and 48 in cache
    cache.put("huge", 1, nbytes=1001)  # larger than the whole budget: not kept, nothing else lost
    assert "huge" not in cache and len(cache) == 3
    cache.put(49, "again", nbytes=100)  # replacing an entry counts its new size only
    assert cache.get(49) == "again" and cache.nbytes == 700
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0 and cache.get("old") is None


def test_the_content_key_depends_on_the_values_not_the_array():
    y = np.arange(50, dtype=np.float64)
    assert content_key(y, 7) == content_key(y.astype(np.float32), 7) == content_key(list(y), 7)
    changed = y.copy()
    changed[20] += 1e-9
    assert content_key(changed, 7) != content_key(y, 7)
    assert content_key(y, 7) != content_key(y, 12)
    assert content_key(y[:-1], 7) != content_key(y, 7)


@pytest.mark.parametrize("kind", ["ets", "arima"])
def test_a_hit_rebuilds_the_fit_exactly_without_fitting_again(kind, monkeypatch):
    y = make_series(120, seed=3).y.to_numpy()
    fit = (lambda: baselines.ets_fit(y, 7)) if kind == "ets" else (lambda: baselines.arima_fit(y, 7, "D"))
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    first, name = fit()
    origins = np.array([60, 100, 120])

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again")

    if kind == "ets":
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        monkeypatch.setattr(ETSModel, "fit", no_fit)
    else:
        from statsmodels.tsa.arima.model import ARIMA
        monkeypatch.setattr(ARIMA, "fit", no_fit)
    again, name_again = fit()
    assert name_again == name
    np.testing.assert_allclose(again.forecast(14), first.forecast(14), rtol=0, atol=1e-9)
    expected = baselines._origin_forecasts(first, y, 7, 7, origins)
    np.testing.assert_allclose(baselines._origin_forecasts(again, y, 7, 7, origins), expected, rtol=0, atol=1e-9)


def test_fitting_series_keeps_only_their_parameters():
    """Whole statsmodels results once stayed in the caches: ~4.7 MB per 120-day ARIMA (26 MB at 730 days), 128 kept
    (tracemalloc: 14.0 MiB retained after fitting 3 such series, 0.03 MiB now)."""
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    for seed in range(2):
        y = make_series(120, seed=seed).y.to_numpy()
        baselines.arima_fit(y, 7, "D")
        baselines.ets_fit(y, 7)
    assert len(baselines._ARIMA_CACHE) == len(baselines._ETS_CACHE) == 2
    assert baselines._ARIMA_CACHE.nbytes + baselines._ETS_CACHE.nbytes < 4 * 1024
    # what the caches really hold, whatever they claim: measured 0.9 KB here, 10.8 MiB when they kept the results
    held = len(pickle.dumps([baselines._ARIMA_CACHE._items, baselines._ETS_CACHE._items]))
    assert held < 16 * 1024, f"{held / 2**20:.1f} MiB held for 2 series"


def test_the_baseline_caches_are_bounded_after_more_series_than_their_cap(monkeypatch):
    monkeypatch.setattr(baselines, "_ETS_CACHE", FitCache(max_entries=2, max_bytes=1 << 20))
    for seed in range(4):
        baselines.ets_fit(make_series(30, seed=seed).y.to_numpy(), 7)
        assert len(baselines._ETS_CACHE) <= 2
    assert len(baselines._ETS_CACHE) == 2
