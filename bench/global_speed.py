"""The 40-product global model on the bundled sample: variants of its training, interleaved in one process.

Run (from the repository root)::

    .venv/bin/python bench/global_speed.py [--seeds 42 0] [--variants base,stride2,stride4]

Each variant is ``run_forecast(products, ForecastConfig(seed=S, **changes), baselines=("snaive", "ets"),
refit=False)`` on the products level of ``data/sample_sales.csv.gz`` (as ``bench/forecast.py --sample``), Keras
imported before the clock; for each seed the variants run one after the other, so a ratio within a seed is taken
under about the same load; the ETS fits cached in the process are dropped before each run, so every variant pays for
them as a fresh process would. Reported per run: network training seconds (wall), the process's CPU seconds over the
run (every thread), epochs, median MASE of the network and the baselines over the 40 products, and how many
products the network beats seasonal naive and ETS on.
"""

from __future__ import annotations

import argparse
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
}
RUN_ARGS: dict[str, dict] = {"serial": {"overlap_baselines": False}}


def products():
    from ml.dataset import load_dataset
    from ml.series import make_series

    path = ROOT / "data" / "sample_sales.csv.gz"
    frame = load_dataset([(path.name, path.read_bytes())]).frame
    return make_series(frame, "units", "products", "D")


def run_one(series, seed: int, name: str) -> dict:
    from ml.forecast import ForecastConfig, baselines, run_forecast

    baselines._ETS_CACHE.clear()  # every run fits its own ETS and ARIMA models, as a fresh process would
    baselines._ARIMA_CACHE.clear()
    cpu, started = time.process_time(), time.perf_counter()
    load = os.getloadavg()[0]
    result = run_forecast(series, ForecastConfig(seed=seed, **VARIANTS[name]), baselines=("snaive", "ets"),
                          refit=False, **RUN_ARGS.get(name, {}))
    wide = result.summary.pivot(index="unique_id", columns="model", values="mase")
    return {"variant": name, "seed": seed, "load": load, "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu, "train_seconds": result.train_seconds,
            "epochs_run": result.epochs_run, "best_epoch": int(result.forecaster.best_epoch_),
            "series": int(len(wide)),
            "median_mase": {m: float(wide[m].median()) for m in wide.columns},
            "beats_snaive": int((wide["network"] < wide["snaive"]).sum()),
            "beats_ets": int((wide["network"] < wide["ets"]).sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 0])
    parser.add_argument("--variants", default="base,stride2,stride4")
    parser.add_argument("--out", default=str(ROOT / "bench" / "battery_last_global_speed.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from ml.forecast import network  # noqa: F401 (the Keras import, outside every clock)

    series = products()
    rows = []
    for seed in args.seeds:
        for name in args.variants.split(","):
            row = run_one(series, seed, name)
            rows.append(row)
            print(json.dumps(row), flush=True)
            Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
