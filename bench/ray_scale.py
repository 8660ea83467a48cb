"""Forecasting many SKUs locally vs on a local Ray with 1 and 2 workers (ml/engine.py, ml/forecast/shards.py), and
an extrapolation to 100,000 SKUs on N workers from the measured per-SKU cost.

    .venv/bin/python -m bench.ray_scale --skus 200            # the timing table and the extrapolation
    .venv/bin/python -m bench.ray_scale --spread --seeds 1 2 3  # the seed noise tests/unit/test_engine_ray.py uses

Each SKU is a planted daily series (its own level, a weekly pattern scaled to it, noise). The local run is one
global model over every SKU in this process; Ray with W workers (``ray.init(num_cpus=W)``) runs W shards, each one
global model over its SKUs. Every engine gets a small warm-up run first (imports, XLA compilation, Ray's workers), so
the times compare the work, not the start.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

WEEKLY = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 40.0, -30.0])


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


def timed(series, config, engine, shards=None):
    from ml.forecast.shards import forecast_many

    started = time.perf_counter()
    result = forecast_many(series, config, engine, shards=shards)
    return time.perf_counter() - started, result


def spread(seeds: list[int]) -> None:
    """Network MASE of the test's planted products (6 SKUs, 180 days, 8 epochs) as one shard and as two. Ray runs the
    same shards with the same seeds (tests/unit/test_engine_ray.py: same answer to float rounding), so the shards are
    run here in this process: the figures are the sharding's effect and the seeds' noise, not Ray's."""
    from ml.engine import LocalEngine

    series = planted_skus_like_test()
    rows = []
    for seed in seeds:
        config = small_config(seed, 8)
        _, one = timed(series, config, LocalEngine(), shards=1)
        _, two = timed(series, config, LocalEngine(), shards=2)
        rows.append((seed, one.metrics["network"]["mase"], two.metrics["network"]["mase"],
                     one.metrics["naive"]["mase"]))
        print(f"seed {seed}: 1 shard {rows[-1][1]:.4f}  2 shards {rows[-1][2]:.4f}  naive {rows[-1][3]:.4f}",
              flush=True)
    one_v, two_v = [r[1] for r in rows], [r[2] for r in rows]
    print(f"1 shard {min(one_v):.3f}-{max(one_v):.3f} (spread {max(one_v) - min(one_v):.3f}); "
          f"2 shards {min(two_v):.3f}-{max(two_v):.3f} (spread {max(two_v) - min(two_v):.3f}); "
          f"max |2 shards - 1 shard| same seed {max(abs(a - b) for a, b in zip(one_v, two_v, strict=True)):.3f}")


def planted_skus_like_test() -> pd.DataFrame:
    """tests/unit/test_engine_ray.py's planted_products() as series (same levels, pattern and noise)."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=180, freq="D")
    frames = []
    for p in range(6):
        level = 40.0 + 15.0 * p
        units = level + (level / 50.0) * WEEKLY[dates.day_of_week] + rng.normal(0, 3.0, 180)
        frames.append(pd.DataFrame({"unique_id": f"P{p:02d}", "ds": dates, "y": np.maximum(units.round(), 0)}))
    return pd.concat(frames, ignore_index=True)


def scale(n_skus: int, days: int, epochs: int, target: int) -> None:
    import ray

    from ml.engine import LocalEngine, RayEngine

    series = planted_skus(n_skus, days)
    warm = planted_skus(4, days, seed=1)
    config = small_config(7, epochs)
    rows = []
    timed(warm, config, LocalEngine())
    seconds, result = timed(series, config, LocalEngine())
    rows.append(("local (this process, 1 global model)", 1, 1, seconds, result))
    # Ray starts its workers at nice 15 (RAY_worker_niceness); on a shared machine they would wait behind every
    # other process while the local run does not, so both run at the same priority here.
    os.environ.setdefault("RAY_worker_niceness", "0")
    for workers in (1, 2):
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        engine = RayEngine()
        timed(planted_skus(4 * workers, days, seed=1), config, engine)  # start and warm every worker
        seconds, result = timed(series, config, engine)
        rows.append((f"Ray, {workers} worker{'s' if workers > 1 else ''}", workers, workers, seconds, result))
        ray.shutdown()
    print(f"\n{n_skus} SKUs x {days} days, horizon 7, window 14, 16 units, {epochs} epochs, combine none\n")
    print("| engine | shards | time (s) | SKUs/s | speed-up vs local | network MASE | seasonal naive MASE |")
    print("|---|---|---|---|---|---|---|")
    base = rows[0][3]
    for name, _workers, shards, seconds, result in rows:
        print(f"| {name} | {shards} | {seconds:.1f} | {n_skus / seconds:.2f} | {base / seconds:.2f}x | "
              f"{result.metrics['network']['mase']:.3f} | {result.metrics['snaive']['mase']:.3f} |")
    one, two = rows[1][3], rows[2][3]
    per_sku = one / n_skus  # CPU-seconds per SKU on one worker (Ray, 1 worker: includes the task overhead)
    efficiency = min(1.0, one / (2 * two))
    print(f"\nper-SKU cost on one worker: {per_sku:.3f} s; parallel efficiency at 2 workers: {efficiency:.2f}\n")
    print(f"| workers | {target:,} SKUs: hours (measured efficiency) | hours (ideal) |")
    print("|---|---|---|")
    for workers in (2, 8, 32, 128, 512):
        ideal = target * per_sku / workers / 3600
        print(f"| {workers} | {ideal / efficiency:.2f} | {ideal:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--target", type=int, default=100_000)
    parser.add_argument("--spread", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    if args.spread:
        spread(args.seeds)
    else:
        scale(args.skus, args.days, args.epochs, args.target)


if __name__ == "__main__":
    main()
