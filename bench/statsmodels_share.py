"""Where the 40-product forecast's statsmodels time goes: every ETS/ARIMA fit of one ``run_forecast``, timed.

Run (from the repository root)::

    .venv/bin/python bench/statsmodels_share.py [--page] [--seed 42]

Without ``--page``: ``bench/global_speed.py``'s run (baselines snaive+ets, refit=False); with it, the Forecast page's
(``ml.tasks.train_forecast``: every baseline, refit, no backtest folds). Each call of ``baselines._ets_fit`` /
``_arima_fit`` is counted by model (ETS/ARIMA), rows (training rows / all rows), caller (scorecard / blend partner)
and whether the fit cache answered, with its wall seconds (the fit lock's wait included). Fit caches start empty.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from bench.global_speed import products
    from ml.forecast import ForecastConfig, baselines, network, run_forecast  # noqa: F401
    from ml.forecast.fit_cache import content_key

    series = products()
    total_rows = int(series.groupby("unique_id").size().max())
    stats: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0])

    def wrap(name: str, inner, cache):
        def timed(y, m, *rest):
            caller = "partner" if any(f.name == "_partner_forecasts" for f in traceback.extract_stack()) \
                else "scorecard"
            hit = content_key(y, int(m), *(str(r) for r in rest)) in cache
            started = time.perf_counter()
            try:
                return inner(y, m, *rest)
            finally:
                row = stats[(name, "all rows" if len(y) == total_rows else "training rows", caller,
                             "hit" if hit else "fit")]
                row[0] += 1
                row[1] += time.perf_counter() - started
        return timed

    baselines._ets_fit = wrap("ETS", baselines._ets_fit, baselines._ETS_CACHE)
    baselines._arima_fit = wrap("ARIMA", baselines._arima_fit, baselines._ARIMA_CACHE)
    kwargs = {"baselines": True} if args.page else {"baselines": ("snaive", "ets"), "refit": False}
    load = os.getloadavg()[0]
    cpu, started = time.process_time(), time.perf_counter()
    result = run_forecast(series, ForecastConfig(seed=args.seed), **kwargs)
    out = {"run": "page" if args.page else "global_speed", "load": load,
           "seconds": round(time.perf_counter() - started, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
           "train_seconds": round(result.train_seconds, 2),
           "statsmodels_seconds": round(sum(v[1] for v in stats.values()), 2),
           "calls": [{"model": k[0], "rows": k[1], "caller": k[2], "cache": k[3], "count": v[0],
                      "seconds": round(v[1], 2)} for k, v in sorted(stats.items())]}
    print(json.dumps(out, indent=1), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
