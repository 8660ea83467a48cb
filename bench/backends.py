"""TensorFlow against JAX: the same SalesLens networks, each backend in its own process, ratios within one run.

Run (from the repository root; 10-40 minutes on 2 shared cores)::

    .venv/bin/python bench/backends.py [--epochs 10] [--rounds 1] [--configs saleslens_default,market_trend_lstm]
        [--variants jax,tf_plain,tf,tf_xla] [--extra-configs 2]

Every configuration (the default one and each seed preset of ml/forecast/config.py) trains for the same fixed
number of epochs (early stopping off, so both backends run the same work) on a generated 730-day daily series
(weekly pattern + trend + noise), and forecasts the next horizon. Timed: ``NeuralForecaster.fit`` (windowing,
build, XLA compilation, training, calibration predictions) and ``predict`` (the future horizon; the recursive heads
call the network once per step). Variants, each in a fresh subprocess (Keras fixes its backend at import):

- ``jax``: SalesLens on JAX as shipped;
- ``tf_plain``: TensorFlow with Keras' default compile settings (what a plain script gets);
- ``tf``: TensorFlow with SalesLens' settings (``ml.forecast.network.TF_OPTIONS``: 32 steps per call);
- ``tf_spe``: 32 steps per call; ``tf_xla``: XLA; ``tf_xla_spe``: both; ``tf_threads1``: SalesLens' settings and one
  inter-op thread; ``jax_spe``: JAX with 32 steps per call. Only on the first ``--extra-configs`` configurations.

Variants run in rounds (all variants once, then again), so slow phases of the shared machine hit every variant.
Prints a Markdown table: wall and CPU seconds (all threads of the process; less sensitive than wall time to other
programs on a shared machine) per variant, and each one's CPU time as a multiple of ``jax`` in the same round
(medians over rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MAIN = ("jax", "tf_plain", "tf")
EXTRA = ("tf_spe", "tf_xla", "tf_xla_spe", "tf_threads1", "jax_spe")
BACKEND = {"jax": "jax", "jax_spe": "jax"}  # every other variant runs on TensorFlow


def generated_730():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ds = pd.date_range("2023-01-01", periods=730, freq="D")
    y = 200 + 0.1 * np.arange(730) + np.array([0, 10, 20, 30, 40, 80, -60])[ds.day_of_week] + rng.normal(0, 10, 730)
    return pd.DataFrame({"unique_id": "generated", "ds": ds, "y": y})


def worker(variant: str, configs: list[str], epochs: int, out: str) -> None:
    """Runs in its own process: choose the backend, apply the variant's settings, time every configuration."""
    sys.path.insert(0, str(ROOT))
    from ml.keras_runtime import select_backend

    backend = select_backend(BACKEND.get(variant, "tensorflow"))
    started = time.perf_counter()
    from ml.forecast import NeuralForecaster, get_preset, network

    import_seconds = time.perf_counter() - started
    if variant == "tf_plain":
        network.TF_OPTIONS = {}
    elif variant == "tf_xla":
        network.TF_OPTIONS = {"jit_compile": True}
    elif variant == "tf_spe":
        network.TF_OPTIONS = {"steps_per_execution": 32}
    elif variant == "tf_xla_spe":
        network.TF_OPTIONS = {"jit_compile": True, "steps_per_execution": 32}
    elif variant == "tf_threads1":
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
    elif variant == "jax_spe":
        original = network.compile_options
        network.compile_options = lambda model: {**original(model), "steps_per_execution": 32}
    frame = generated_730()
    rows = []
    for name in configs:
        config = get_preset(name, "D", epochs=epochs, patience=0)
        forecaster = NeuralForecaster(config)
        start, cpu = time.perf_counter(), time.process_time()
        forecaster.fit(frame)
        fit_seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        forecaster.predict(frame)
        rows.append({"config": name, "fit": fit_seconds, "cpu": cpu_seconds, "predict": time.perf_counter() - start,
                     "loss": forecaster.history_["loss"][-1], "epochs": forecaster.epochs_run_})
    Path(out).write_text(json.dumps({"variant": variant, "backend": backend, "import": import_seconds,
                                     "versions": network.versions(), "rows": rows}))


def run_variant(variant: str, configs: list[str], epochs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "SALESLENS_BACKEND")}
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        proc = subprocess.run([sys.executable, __file__, "--worker", variant, "--configs", ",".join(configs),
                               "--epochs", str(epochs), "--out", str(out)], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{variant} failed:\n{proc.stderr[-3000:]}")
        return json.loads(out.read_text())


def main() -> None:
    from ml.forecast.config import PRESETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--configs", default=",".join(PRESETS))
    parser.add_argument("--variants", default=",".join(MAIN + EXTRA))
    parser.add_argument("--extra-configs", type=int, default=1, help="configurations the extra variants run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configs = args.configs.split(",")
    if args.worker:
        worker(args.worker, configs, args.epochs, args.out)
        return
    variants = args.variants.split(",")
    assert "jax" in variants, "ratios are to jax"
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for variant in variants:
            chosen = configs if variant in MAIN else configs[:args.extra_configs]
            results.setdefault(variant, []).append(run_variant(variant, chosen, args.epochs))
            print(f"{variant}: done", file=sys.stderr, flush=True)
    versions = {v: results[v][0]["versions"] for v in ("jax", "tf") if v in results}
    print(f"bench/backends.py --epochs {args.epochs} --rounds {args.rounds} --variants {args.variants}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}, {versions}")
    print()
    print("Fit: wall seconds / CPU seconds of the process (all threads), and CPU time as a multiple of JAX's "
          "(medians over rounds).")
    print()
    print("| configuration | " + " | ".join(variants) + " |")
    print("|---|" + "---|" * len(variants))
    for i, name in enumerate(configs):
        cells = []
        for variant in variants:
            runs = [r for r in results[variant] if i < len(r["rows"])]
            if not runs:
                cells.append("")
                continue
            wall = statistics.median(r["rows"][i]["fit"] for r in runs)
            cpu = statistics.median(r["rows"][i]["cpu"] for r in runs)
            rel = statistics.median(a["rows"][i]["cpu"] / b["rows"][i]["cpu"]
                                    for a, b in zip(runs, results["jax"], strict=False))
            cells.append(f"{wall:.1f} / {cpu:.1f} ({rel:.2f}x)")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("Predict (future horizon), wall s: " + "; ".join(
        f"{v} " + ", ".join(f"{statistics.median(r['rows'][i]['predict'] for r in results[v]):.2f}"
                            for i in range(len(results[v][0]["rows"]))) for v in variants))
    print("Final training loss on the first configuration: " + ", ".join(
        f"{v} {results[v][0]['rows'][0]['loss']:.4f}" for v in variants))
    print("Import of Keras + the network module, wall s: " + ", ".join(
        f"{v} {statistics.median(r['import'] for r in results[v]):.1f}" for v in variants))


if __name__ == "__main__":
    main()
