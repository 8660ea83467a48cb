"""Forecasting many SKUs locally vs on a local Ray with 1 and 2 workers (ml/engine.py, ml/forecast/shards.py), the
seed noise of the local run, and an extrapolation to 100,000 SKUs on N workers from the measured per-part cost.

    .venv/bin/python -m bench.ray_scale --skus 2000              # the timing table, the noise, the extrapolation
    .venv/bin/python -m bench.ray_scale --skus 200 --old-shards  # also the old per-shard global models on 2 workers

Each SKU is a planted daily series (its own level, a weekly pattern scaled to it, noise). The local run is
``run_forecast`` over every SKU in this process. On Ray with W workers (``ray.init(num_cpus=W)``) the network trains as
one task over every SKU and the baselines (naive, seasonal naive, moving average, ETS, ARIMA: fits, forecasts,
scores) run in 4·W chunks beside it; the answer is the local one. Every engine gets a small warm-up run first
(imports, XLA compilation, Ray's workers), so the times compare the work, not the start. The seed noise is the
network's MASE over ``--seeds`` local runs without baselines (the baselines do not depend on the seed).

The local run gets the thread caps every Ray task and job worker gets (``ml.engine.worker_env``: one BLAS/OpenMP/XLA
thread) unless ``--threads default``: on a loaded machine the libraries' default thread pools spin against the other
processes, and the comparison would be of thread pools, not engines.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from ml.engine import LocalEngine

WEEKLY = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 40.0, -30.0])
WORKERS = (2, 8, 32, 128, 512)


def planted_skus(n: int, days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    level = rng.uniform(20, 120, n)
    frames = [pd.DataFrame({"unique_id": f"SKU{i:06d}", "ds": dates,
                            "y": np.maximum(level[i] + level[i] / 50 * WEEKLY[dates.day_of_week]
                                            + rng.normal(0, 3, days), 0).round()}) for i in range(n)]
    return pd.concat(frames, ignore_index=True)


def small_config(seed: int, epochs: int):
    from ml.forecast import default_config

    return default_config("D", epochs=epochs, window=14, horizon=7, units=16, patience=epochs, seed=seed,
                          combine="none")


class Timing:
    """Passes ``map`` to a Ray engine and keeps what the tasks returned (the parts' own seconds)."""

    name = "ray"

    def __init__(self, inner) -> None:
        self.inner, self.returned = inner, []

    @property
    def workers(self) -> int:
        return self.inner.workers

    def map(self, fn, items, on_result=None):
        self.returned = self.inner.map(fn, items, on_result)
        return self.returned


def timed(series, config, engine, **kwargs):
    from ml.forecast.shards import forecast_many

    started = time.perf_counter()
    result = forecast_many(series, config, engine, **kwargs)
    return time.perf_counter() - started, result


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def scale(n_skus: int, days: int, epochs: int, target: int, seeds: list[int], old_shards: bool) -> None:
    import ray

    from ml.engine import RayEngine
    from ml.forecast.shards import BaselinePart

    series = planted_skus(n_skus, days)
    config = small_config(7, epochs)
    rows = []
    print(f"{n_skus} SKUs x {days} days, horizon 7, window 14, 16 units, {epochs} epochs, combine none; "
          f"load {load()}", flush=True)
    # Ray starts its workers at nice 15 (RAY_worker_niceness); on a shared machine they would wait behind every
    # other process while the local run does not, so both run at this process's priority here.
    os.environ.setdefault("RAY_worker_niceness", str(os.nice(0)))
    parts: dict[str, float] = {}
    for workers in (2, 1):
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        engine = Timing(RayEngine())
        timed(planted_skus(4 * workers, 60, seed=1), small_config(7, 1), engine)  # start and warm every worker
        seconds, result = timed(series, config, engine)
        rows.append((f"Ray, {workers} worker{'s' if workers > 1 else ''}, one network", seconds, result, load()))
        print(rows[-1][0], f"{seconds:.1f} s", result.metrics["network"]["mase"], load(), flush=True)
        if workers == 1:  # the parts' own seconds, one at a time on one worker
            parts["network"] = engine.returned[0].total_seconds
            parts["baselines"] = sum(p.seconds for p in engine.returned[1:] if isinstance(p, BaselinePart))
        if workers == 2 and old_shards:
            seconds, result = timed(series, config, engine, shards=2)
            rows.append(("Ray, 2 workers, 2 shards (old: 2 global models)", seconds, result, load()))
            print(rows[-1][0], f"{seconds:.1f} s", result.metrics["network"]["mase"], load(), flush=True)
        ray.shutdown()
    timed(planted_skus(4, 60, seed=1), small_config(7, 1), LocalEngine())
    seconds, result = timed(series, config, LocalEngine())
    rows.insert(0, ("local (this process)", seconds, result, load()))
    print("local", f"{seconds:.1f} s", result.metrics["network"]["mase"], load(), flush=True)
    noise = [rows[0][2].metrics["network"]["mase"]] if 7 in seeds else []
    for seed in [s for s in seeds if s != 7]:
        _, other = timed(series, small_config(seed, epochs), LocalEngine(), baselines=False)
        noise.append(other.metrics["network"]["mase"])
        print(f"seed {seed}: network MASE {noise[-1]:.4f}", load(), flush=True)
    report(n_skus, rows, parts, noise, seeds, target)


def report(n_skus, rows, parts, noise, seeds, target) -> None:
    base_time, base = rows[0][1], rows[0][2]
    print("\n| engine | time (s) | vs local | network MASE | seasonal naive MASE | ETS MASE | same as local | load |")
    print("|---|---|---|---|---|---|---|---|")
    for name, seconds, result, at in rows:
        same = all(result.metrics[m] == base.metrics[m] for m in base.metrics)
        print(f"| {name} | {seconds:.1f} | {base_time / seconds:.2f}x | {result.metrics['network']['mase']:.4f} | "
              f"{result.metrics['snaive']['mase']:.4f} | {result.metrics['ets']['mase']:.4f} | "
              f"{'identical' if same else 'no'} | {at} |")
    if len(noise) > 1:
        print(f"\nlocal network MASE over seeds {seeds}: {min(noise):.4f}-{max(noise):.4f} "
              f"(range {max(noise) - min(noise):.4f}, sd {np.std(noise, ddof=1):.4f})")
    if not parts:
        return
    net, bas = parts["network"] / n_skus, parts["baselines"] / n_skus
    one = next(r[1] for r in rows if r[0].startswith("Ray, 1 "))
    two = next(r[1] for r in rows if r[0].startswith("Ray, 2 workers, one"))
    bound = max(net, (net + bas) / 2)
    print(f"\nper SKU on one worker: network {net:.4f} s, baselines {bas:.4f} s "
          f"(Ray 1 worker total {one / n_skus:.4f} s); 2 workers: {two:.1f} s against the bound "
          f"max(network, all/2) = {bound * n_skus:.1f} s\n")
    print(f"| workers | {target:,} SKUs, one network (hours) | {target:,} SKUs, W global models (hours) |")
    print("|---|---|---|")
    for workers in WORKERS:
        exact = max(target * net, target * (net + bas) / workers) / 3600
        sharded = target * (net + bas) / workers / 3600
        print(f"| {workers} | {exact:.2f} | {sharded:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--target", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 1, 2])
    parser.add_argument("--old-shards", action="store_true")
    parser.add_argument("--threads", choices=["capped", "default"], default="capped")
    args = parser.parse_args()
    if args.threads == "capped" and os.environ.get("OMP_NUM_THREADS") != "1":
        from ml.engine import worker_env

        # numpy's BLAS started its threads at import: run again with the caps set from the start
        env = {**os.environ, **worker_env()}
        os.execve(sys.executable, [sys.executable, "-m", "bench.ray_scale", *sys.argv[1:]], env)
    scale(args.skus, args.days, args.epochs, args.target, args.seeds, args.old_shards)


if __name__ == "__main__":
    main()
