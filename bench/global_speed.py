"""The 40-product global model on the bundled sample: variants of its training, interleaved in one process.

Run (from the repository root)::

    .venv/bin/python bench/global_speed.py [--seeds 42 0] [--variants base,stride2,stride4] [--page] [--series N]

Each variant is ``run_forecast(products, ForecastConfig(seed=S, **changes), baselines=("snaive", "ets"),
refit=False)`` on the products level of ``data/sample_sales.csv.gz`` (as ``bench/forecast.py --sample``), Keras
imported before the clock; for each seed the variants run one after the other, so a ratio within a seed is taken
under about the same load; the ETS fits cached in the process are dropped before each run, so every variant pays for
them as a fresh process would. Reported per run: network training seconds (wall), the process's CPU seconds over the
run (every thread; the fit helper's apart), epochs, median MASE of the network and the baselines over the 40 products, and how many
products the network beats seasonal naive and ETS on, and digests of the MASE table and the future's numbers (equal
digests: equal to the last bit). ``--page``: the Forecast page's run instead (every baseline, refit on all rows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS: dict[str, dict] = {
    "base": {},
    "stride2": {"window_stride": 2},
    "stride3": {"window_stride": 3},
    "stride4": {"window_stride": 4},
    "stride4_p4": {"window_stride": 4, "patience": 4},
    "batch128": {"global_batch_size": 128},
    "patience3": {"patience": 3},
    "gp0": {"global_patience": 0},  # the analyst's patience (8) for the global model too, as before global_patience
    "serial": {},  # the defaults, the baselines fitted after the network instead of on a thread beside it
    "inplace": {},  # the defaults, every statsmodels fit in this process (no helper process: as before issue 18.5)
}
RUN_ARGS: dict[str, dict] = {"serial": {"overlap_baselines": False}}
VARIANT_ENV: dict[str, dict[str, str]] = {"inplace": {"SALESLENS_FIT_PROCESS": "0"}}
PAGE_ARGS = {"baselines": True}  # --page: the Forecast page's run (ml.tasks.train_forecast): every baseline, refit


def products():
    from ml.dataset import load_dataset
    from ml.series import make_series

    path = ROOT / "data" / "sample_sales.csv.gz"
    frame = load_dataset([(path.name, path.read_bytes())]).frame
    return make_series(frame, "units", "products", "D")


def run_one(series, seed: int, name: str, page: bool = False) -> dict:
    saved = {k: os.environ.get(k) for k in VARIANT_ENV.get(name, {})}
    os.environ.update(VARIANT_ENV.get(name, {}))
    try:
        return _run_one(series, seed, name, page)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_one(series, seed: int, name: str, page: bool) -> dict:
    from ml.forecast import ForecastConfig, baselines, run_forecast

    baselines._ETS_CACHE.clear()  # every run fits its own ETS and ARIMA models, as a fresh process would
    baselines._ARIMA_CACHE.clear()
    cpu, started, children = time.process_time(), time.perf_counter(), os.times()
    load = os.getloadavg()[0]
    args = PAGE_ARGS if page else {"baselines": ("snaive", "ets"), "refit": False}
    result = run_forecast(series, ForecastConfig(seed=seed, **VARIANTS[name]), **args, **RUN_ARGS.get(name, {}))
    wide = result.summary.pivot(index="unique_id", columns="model", values="mase")
    seconds, done = time.perf_counter() - started, os.times()
    return {"variant": name, "page": page, "seed": seed, "load": load, "load_end": os.getloadavg()[0],
            "seconds": seconds, "cpu_seconds": time.process_time() - cpu,
            # the helper process's (ml.forecast.fit_process), waited for before run_forecast returns
            "helper_cpu_seconds": (done.children_user + done.children_system) - (children.children_user +
                                                                                children.children_system),
            "train_seconds": result.train_seconds,
            "epochs_run": result.epochs_run, "best_epoch": int(result.forecaster.best_epoch_),
            "series": int(len(wide)),
            "median_mase": {m: float(wide[m].median()) for m in wide.columns},
            "mase_digest": hashlib.sha256(wide.sort_index().to_numpy().tobytes()).hexdigest()[:16],
            "future_digest": hashlib.sha256(result.future.select_dtypes("number").to_numpy().tobytes()).hexdigest()[:16],
            "beats_snaive": int((wide["network"] < wide["snaive"]).sum()),
            "beats_ets": int((wide["network"] < wide["ets"]).sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 0])
    parser.add_argument("--variants", default="base,stride2,stride4")
    parser.add_argument("--page", action="store_true", help="the Forecast page's run (every baseline, refit)")
    parser.add_argument("--series", type=int, default=0, help="only the first N products (0: all 40)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "battery_last_global_speed.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from ml.forecast import network  # noqa: F401 (the Keras import, outside every clock)

    series = products()
    if args.series:
        series = series[series["unique_id"].isin(sorted(series["unique_id"].unique())[:args.series])]
    rows = []
    for seed in args.seeds:
        for name in args.variants.split(","):
            row = run_one(series, seed, name, args.page)
            rows.append(row)
            print(json.dumps(row), flush=True)
            Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
